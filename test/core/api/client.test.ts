import type { DurableClient } from 'durable-functions';
import { durableReleaseClient } from '../../../src/core/api/client';

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
    await client.start('Release', 'web-b1:accepted', {});
    await client.raise('x?y', 'Alert#1', {});
    expect(calls).toEqual([
      'get a%3Fb%23c%2Fd%20e',
      'start Release web-b1%3Aaccepted',
      'raise x%3Fy Alert%231',
    ]);
  });
});
