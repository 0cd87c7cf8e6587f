import { createTestHost } from '../../../local/host/host';
import type { TestHost } from '../../../local/host/host';
import {
  inProcessRpcHosts,
  registerInProcessRpc,
  rpcInProcess,
  sdkAxios,
} from '../../../local/host/rpcChannel';
import type { RpcRequest } from '../../../local/host/rpcChannel';
import { RPC_BASE_PATH } from '../../../local/host/server';
import { registerSampleApp } from './sampleApp';

// Nothing listens on port 1: a request that reaches the network fails with ECONNREFUSED.
const NOWHERE = 'http://127.0.0.1:1';

describe('rpc channel in process: the adapter', () => {
  const axios = sdkAxios();

  it('hands requests under the registered base to the dispatcher, with the Basic password as the key', async () => {
    const seen: RpcRequest[] = [];
    const unregister = registerInProcessRpc(NOWHERE, '/_rpc/durabletask', async (request) => {
      seen.push(request);
      return {
        status: 202,
        headers: { location: 'http://x/1', 'x-ms-continuation-token': 't2' },
        body: '{"a":1}',
      };
    });
    try {
      const response = await axios.post(
        `http://functions:s3cr%3At@127.0.0.1:1/_rpc/durabletask/instances/i%3A1/raiseEvent/Go?x=1`,
        JSON.stringify({ ok: true }),
        { headers: { 'Content-Type': 'application/json', 'X-Ms-Continuation-Token': 't1' } },
      );
      expect(response.status).toBe(202);
      expect(response.data).toEqual({ a: 1 });
      expect(response.headers['x-ms-continuation-token']).toBe('t2');
      expect(response.headers.location).toBe('http://x/1');
      expect(seen).toHaveLength(1);
      const [request] = seen;
      expect(request!.method).toBe('POST');
      // The userinfo is the credential, not part of the address the handler sees.
      expect(request!.url.href).toBe('http://127.0.0.1:1/_rpc/durabletask/instances/i%3A1/raiseEvent/Go?x=1');
      expect(request!.key).toBe('s3cr:t');
      expect(request!.headers['content-type']).toBe('application/json');
      expect(request!.headers['x-ms-continuation-token']).toBe('t1');
      expect(request!.headers.host).toBe('127.0.0.1:1');
      expect(request!.body.toString('utf8')).toBe('{"ok":true}');
    } finally {
      unregister();
    }
  });

  it('takes an event-loop turn before dispatching and another before answering, as a socket round trip does', async () => {
    const order: string[] = [];
    const unregister = registerInProcessRpc(NOWHERE, '/_rpc/durabletask', async () => {
      order.push('dispatched');
      setImmediate(() => order.push('turn after dispatch'));
      return { status: 200, headers: {}, body: '{}' };
    });
    try {
      // Queued just before the call: answered within microtasks, the handler would run first.
      setImmediate(() => order.push('turn before dispatch'));
      await axios.get(`${NOWHERE}/_rpc/durabletask/instances/x`).then(() => order.push('answered'));
      // Work queued for the next turn (the engine's episodes) runs between the caller and the handler, both ways.
      expect(order).toEqual(['turn before dispatch', 'dispatched', 'turn after dispatch', 'answered']);
    } finally {
      unregister();
    }
  });

  it('settles as axios does: validateStatus decides, a refused status rejects with the response', async () => {
    const unregister = registerInProcessRpc(NOWHERE, '/_rpc/durabletask', async () => ({
      status: 404,
      headers: { 'content-type': 'application/json' },
      body: '{"message":"no such instance"}',
    }));
    try {
      const lenient = await axios.get(`${NOWHERE}/_rpc/durabletask/instances/x`, {
        validateStatus: (s) => s < 600,
      });
      expect(lenient.status).toBe(404);
      expect(lenient.data).toEqual({ message: 'no such instance' });
      await expect(axios.get(`${NOWHERE}/_rpc/durabletask/instances/x`)).rejects.toMatchObject({
        response: { status: 404 },
        code: 'ERR_BAD_REQUEST',
      });
    } finally {
      unregister();
    }
  });

  it('leaves other paths, other hosts and unregistered hosts to the network', async () => {
    let calls = 0;
    const unregister = registerInProcessRpc(NOWHERE, '/_rpc/durabletask', async () => {
      calls++;
      return { status: 200, headers: {}, body: '{}' };
    });
    try {
      await expect(axios.get(`${NOWHERE}/runtime/webhooks/durabletask/instances/x`)).rejects.toMatchObject({
        code: 'ECONNREFUSED',
      });
      await expect(axios.get('http://127.0.0.2:1/_rpc/durabletask/instances/x')).rejects.toMatchObject({
        code: 'ECONNREFUSED',
      });
    } finally {
      unregister();
    }
    await expect(axios.get(`${NOWHERE}/_rpc/durabletask/instances/x`)).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    expect(calls).toBe(0);
  });

  it('reads LOCAL_RPC_TRANSPORT: in process unless http; anything else is refused by name', () => {
    expect(rpcInProcess(undefined)).toBe(true);
    expect(rpcInProcess('in-process')).toBe(true);
    expect(rpcInProcess(' HTTP ')).toBe(false);
    expect(() => rpcInProcess('socket')).toThrow(
      "LOCAL_RPC_TRANSPORT must be 'in-process' or 'http', got 'socket'",
    );
  });
});

describe('rpc channel in process: the host answers as over HTTP', () => {
  let host: TestHost;
  const axios = sdkAxios();
  const rpc = (key: string, path: string): string =>
    `${host.url.replace('http://', `http://functions:${encodeURIComponent(key)}@`)}${RPC_BASE_PATH}/${path}`;
  const overHttp = (key: string, path: string): Promise<Response> =>
    fetch(`${host.url}${RPC_BASE_PATH}/${path}`, {
      headers: { authorization: `Basic ${Buffer.from(`functions:${key}`).toString('base64')}` },
    });
  const inProcess = (key: string, path: string) =>
    axios.get(rpc(key, path), { validateStatus: () => true, transformResponse: (d: unknown) => d });

  beforeAll(async () => {
    host = await createTestHost({ register: registerSampleApp, functionKey: 'k3y' });
    host.startNew('Approval', { instanceId: 'waits' });
    await host.idle();
  });

  afterAll(async () => {
    await host.close();
  });

  it('a running instance: 202 with the status body, Location and Retry-After', async () => {
    const http = await overHttp('k3y', 'instances/waits');
    const local = await inProcess('k3y', 'instances/waits');
    expect(local.status).toBe(202);
    expect(http.status).toBe(202);
    expect(JSON.parse(local.data as string)).toEqual(await http.json());
    expect(local.headers.location).toBe(http.headers.get('location'));
    expect(local.headers['retry-after']).toBe('5');
    expect(local.headers['content-type']).toBe(http.headers.get('content-type'));
  });

  it('a wrong key: the same 401 and message', async () => {
    const http = await overHttp('wrong', 'instances/waits');
    const local = await inProcess('wrong', 'instances/waits');
    expect(local.status).toBe(401);
    expect(http.status).toBe(401);
    expect(JSON.parse(local.data as string)).toEqual(await http.json());
  });

  it('an instance query pages with the continuation header both ways', async () => {
    host.startNew('Approval', { instanceId: 'waits-2' });
    await host.idle();
    const first = await inProcess('k3y', 'instances/?top=1&instanceIdPrefix=waits');
    expect(first.status).toBe(200);
    expect((JSON.parse(first.data as string) as { instanceId: string }[]).map((s) => s.instanceId)).toEqual([
      'waits',
    ]);
    const token = first.headers['x-ms-continuation-token'] as string;
    expect(token).toEqual(expect.any(String));
    const second = await axios.get(rpc('k3y', 'instances/?top=1&instanceIdPrefix=waits'), {
      headers: { 'x-ms-continuation-token': token },
    });
    expect((second.data as { instanceId: string }[]).map((s) => s.instanceId)).toEqual(['waits-2']);
  });

  it('is registered in process by default, not with rpcTransport http', async () => {
    expect(inProcessRpcHosts()).toContain(new URL(host.url).host);
    const overLoopback = await createTestHost({ register: registerSampleApp, rpcTransport: 'http' });
    try {
      expect(inProcessRpcHosts()).not.toContain(new URL(overLoopback.url).host);
    } finally {
      await overLoopback.close();
    }
  });

  it('after close the channel is gone (requests go to the closed port and fail)', async () => {
    const closed = await createTestHost({ register: registerSampleApp, functionKey: 'k3y' });
    expect(inProcessRpcHosts()).toContain(new URL(closed.url).host);
    const url = `${closed.url.replace('http://', 'http://functions:k3y@')}${RPC_BASE_PATH}/instances/x`;
    expect((await axios.get(url, { validateStatus: () => true })).status).toBe(404);
    await closed.close();
    expect(inProcessRpcHosts()).not.toContain(new URL(closed.url).host);
    await expect(axios.get(url)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
