import type { DurableClient } from 'durable-functions';
import { durableReleaseClient, listsInIdOrder } from '../../../src/core/api/client';

/** A durable-functions client that records the ids and names it is handed (they go into URLs as given). */
function recordingClient(calls: string[]): DurableClient {
  const status = { instanceId: 'x', name: 'Release', runtimeStatus: 'Running' };
  return {
    getStatus: async (id: string) => (calls.push(`get ${id}`), status),
    startNew: async (name: string, o: { instanceId: string }) => (
      calls.push(`start ${name} ${o.instanceId}`),
      ''
    ),
    raiseEvent: async (id: string, event: string) => void calls.push(`raise ${id} ${event}`),
  } as unknown as DurableClient;
}

describe('durableReleaseClient', () => {
  it('percent-encodes every instance id and event name before the SDK puts it into a URL', async () => {
    const calls: string[] = [];
    const client = durableReleaseClient(recordingClient(calls));
    await client.get('a?b#c/d e');
    // Names the app never uses, through the client's untyped shape: the encoding must not depend on them.
    const untyped = client as unknown as {
      start(orchestration: string, instanceId: string, input: unknown): Promise<void>;
      raise(instanceId: string, event: string, data: unknown): Promise<void>;
    };
    await untyped.start('Release', 'web-b1:accepted', {});
    await untyped.raise('x?y', 'Alert#1', {});
    expect(calls).toEqual([
      'get a%3Fb%23c%2Fd%20e',
      'start Release web-b1%3Aaccepted',
      'raise x%3Fy Alert%231',
    ]);
  });
});

describe('listsInIdOrder', () => {
  it('holds for the Azure Storage provider (the default) only', () => {
    const key = 'AzureFunctionsJobHost__extensions__durableTask__storageProvider__type';
    expect(listsInIdOrder({})).toBe(true);
    expect(listsInIdOrder({ [key]: 'AzureStorage' })).toBe(true);
    expect(listsInIdOrder({ [key]: 'azureManaged' })).toBe(false);
    expect(listsInIdOrder({ [key]: 'mssql' })).toBe(false);
  });
});

describe('durableReleaseClient.query', () => {
  /** A client with the SDK's binding data and an axios stand-in that records what it is asked. */
  function queryingClient(
    clientData: Record<string, unknown>,
    answer: { status: number; data: unknown; headers: Record<string, unknown> },
  ) {
    const calls: { url: string; headers: Record<string, string> | undefined }[] = [];
    const sdk = {
      clientData,
      axiosInstance: {
        get: async (url: string, config?: { headers?: Record<string, string> }) => {
          calls.push({ url, headers: config?.headers });
          return answer;
        },
      },
    } as unknown as DurableClient;
    return { client: durableReleaseClient(sdk), calls };
  }
  const status = {
    instanceId: 'web-b1',
    name: 'Release',
    runtimeStatus: 'Completed',
    createdTime: '2026-01-01T09:00:00Z',
    lastUpdatedTime: '2026-01-01T09:10:00Z',
  };

  it('asks the rpc endpoint for one page with top, prefix, times and states, and passes the token both ways', async () => {
    const { client, calls } = queryingClient(
      { rpcBaseUrl: 'http://127.0.0.1:17071/durabletask/' },
      { status: 200, data: [status], headers: { 'x-ms-continuation-token': 'next-page' } },
    );
    const page = await client.query({
      instanceIdPrefix: 'web-b',
      runtimeStatus: ['Completed', 'Failed'],
      createdTimeFrom: new Date('2026-01-01T00:00:00Z'),
      createdTimeTo: new Date('2026-02-01T00:00:00Z'),
      pageSize: 50,
      continuationToken: 'this-page',
    });
    const url = new URL(calls[0]!.url);
    expect(url.origin + url.pathname).toBe('http://127.0.0.1:17071/durabletask/instances/');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      showInput: 'true',
      top: '50',
      instanceIdPrefix: 'web-b',
      createdTimeFrom: '2026-01-01T00:00:00.000Z',
      createdTimeTo: '2026-02-01T00:00:00.000Z',
      runtimeStatus: 'Completed,Failed',
    });
    expect(calls[0]!.headers).toEqual({ 'x-ms-continuation-token': 'this-page' });
    expect(page).toEqual({
      instances: [expect.objectContaining({ instanceId: 'web-b1', createdTime: '2026-01-01T09:00:00Z' })],
      continuationToken: 'next-page',
    });
  });

  it('uses the status query template without an rpc endpoint; no token header means the last page', async () => {
    const { client, calls } = queryingClient(
      {
        managementUrls: {
          id: 'INSTANCEID',
          statusQueryGetUri:
            'https://app.example.com/runtime/webhooks/durabletask/instances/INSTANCEID?taskHub=Hub&connection=Storage&code=k',
        },
      },
      { status: 200, data: [], headers: {} },
    );
    expect(await client.query({ pageSize: 10 })).toEqual({ instances: [] });
    expect(calls[0]!.url).toBe(
      'https://app.example.com/runtime/webhooks/durabletask/instances/?taskHub=Hub&connection=Storage&code=k&showInput=true&top=10',
    );
    expect(calls[0]!.headers).toEqual({});
  });

  it('rejects with the status when the task hub refuses the query', async () => {
    const { client } = queryingClient(
      { rpcBaseUrl: 'http://127.0.0.1:17071/durabletask/' },
      { status: 400, data: { message: 'bad token' }, headers: {} },
    );
    await expect(client.query({ pageSize: 1, continuationToken: 'x' })).rejects.toMatchObject({
      name: 'InstanceQueryError',
      status: 400,
      message: expect.stringContaining('bad token'),
    });
  });
});
