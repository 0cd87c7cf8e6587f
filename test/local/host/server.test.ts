import { createTestHost } from '../../../local/host/host';
import type { TestHost } from '../../../local/host/host';
import { registerSampleApp } from './sampleApp';

const DURABLE = '/runtime/webhooks/durabletask';

describe('local host HTTP server', () => {
  let host: TestHost;

  beforeAll(async () => {
    host = await createTestHost({ register: registerSampleApp, functionKey: 'k3y-for-tests' });
  });

  afterAll(async () => {
    await host.close();
  });

  const call = (path: string, init?: RequestInit): Promise<Response> => fetch(`${host.url}${path}`, init);

  describe('HTTP triggers', () => {
    it('serves anonymous functions with headers and cookies', async () => {
      const res = await call('/api/ping');
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('pong');
      expect(res.headers.get('x-sample')).toBe('yes');
      expect(res.headers.get('set-cookie')).toBe('session=abc; Path=/; HttpOnly; SameSite=Strict');
    });

    it('matches route parameters and constraints, and passes the query', async () => {
      const ok = await call('/api/items/42?q=blue');
      expect(await ok.json()).toEqual({ id: 42, q: 'blue' });
      expect((await call('/api/items/abc')).status).toBe(404);
      expect((await call('/api/nothing-here')).status).toBe(404);
    });

    it('enforces methods', async () => {
      expect((await call('/api/echo', { headers: { 'x-functions-key': 'k3y-for-tests' } })).status).toBe(405);
    });

    it('requires the function key for function/admin levels: header or ?code=', async () => {
      const missing = await call('/api/echo', { method: 'POST', body: 'hi' });
      expect(missing.status).toBe(401);
      expect(await missing.json()).toEqual({ error: expect.stringContaining('function key') });
      const wrong = await call('/api/echo', {
        method: 'POST',
        body: 'hi',
        headers: { 'x-functions-key': 'nope' },
      });
      expect(wrong.status).toBe(401);
      const viaCode = await call('/api/echo?code=k3y-for-tests', { method: 'POST', body: 'hi' });
      expect(viaCode.status).toBe(201);
      expect(await viaCode.text()).toBe('hi');
      const viaHeader = await host.fetch('/api/echo', { method: 'POST', body: 'there' });
      expect(await viaHeader.text()).toBe('there');
    });

    it('never takes a Basic password for a function key (Azure reads only x-functions-key and ?code=)', async () => {
      const basic = `Basic ${Buffer.from('anyone:k3y-for-tests').toString('base64')}`;
      const fn = await call('/api/echo', { method: 'POST', body: 'hi', headers: { authorization: basic } });
      expect(fn.status).toBe(401);
      const mgmt = await call(`${DURABLE}/instances/`, { headers: { authorization: basic } });
      expect(mgmt.status).toBe(401);
      // The Authorization header reaches the app untouched when the key comes the Azure way.
      const both = await call('/api/echo?code=k3y-for-tests', {
        method: 'POST',
        body: 'hi',
        headers: { authorization: basic },
      });
      expect(both.status).toBe(201);
    });

    it('answers a malformed percent-escape in a path with 400, not 500', async () => {
      for (const path of [
        '/api/items/%zz',
        '/api/items/%E0%A4%A',
        `${DURABLE}/instances/%zz?code=k3y-for-tests`,
      ]) {
        const res = await call(path);
        expect(res.status).toBe(400);
        expect(await res.json()).toEqual({ error: expect.stringContaining('not valid percent-encoding') });
      }
      expect(host.errors.some((e) => e.includes('URIError'))).toBe(false);
    });

    it('keeps the durable management API behind the key', async () => {
      expect((await call(`${DURABLE}/instances/`)).status).toBe(401);
      expect((await call(`${DURABLE}/instances/?code=wrong`)).status).toBe(401);
      expect((await call(`${DURABLE}/instances/?code=k3y-for-tests`)).status).toBe(200);
      expect((await host.fetch(`${DURABLE}/instances/unknown`)).status).toBe(404);
      const rewind = await host.fetch(`${DURABLE}/instances/x/rewind?reason=r`, { method: 'POST' });
      expect(rewind.status).toBe(501);
      expect(await rewind.json()).toEqual({ message: expect.stringContaining('not implemented') });
    });
  });
});

// The SDK's rpc channel in process (the default) and over loopback HTTP: the same answers either way.
describe.each(['in-process', 'http'] as const)(
  'durable client (df.getClient), rpc channel %s',
  (rpcTransport) => {
    let host: TestHost;

    beforeAll(async () => {
      host = await createTestHost({
        register: registerSampleApp,
        functionKey: 'k3y-for-tests',
        rpcTransport,
      });
    });

    afterAll(async () => {
      await host.close();
    });

    {
      const post = (path: string, body?: unknown): Promise<Response> =>
        host.fetch(path, {
          method: 'POST',
          body: body === undefined ? undefined : JSON.stringify(body),
          headers: { 'content-type': 'application/json' },
        });

      it('starts through an HTTP starter, raises an event, and resolves a 410 for a finished instance', async () => {
        const started = await post('/api/start/WaitAfterWork/http-1');
        expect(started.status).toBe(202);
        expect(await started.json()).toEqual({ id: 'http-1' });
        await host.idle();
        expect(await (await host.fetch('/api/status/http-1')).json()).toMatchObject({
          runtimeStatus: 'Running',
        });

        expect((await post('/api/raise/http-1/Go', { ok: 1 })).status).toBe(202);
        await host.idle();
        expect(await (await host.fetch('/api/status/http-1')).json()).toEqual({
          runtimeStatus: 'Completed',
          output: { first: 'Hello early', go: { ok: 1 } },
          custom: null,
        });
        // The extension answers 410 for a completed instance; the SDK resolves it.
        expect((await post('/api/raise/http-1/Go', { ok: 2 })).status).toBe(202);
        const direct = await host.fetch(`${DURABLE}/instances/http-1/raiseEvent/Go`, {
          method: 'POST',
          body: '{}',
          headers: { 'content-type': 'application/json' },
        });
        expect(direct.status).toBe(410);
      });

      it('refuses to start an id that is running (409 with a message)', async () => {
        expect((await post('/api/start-twice/dup-1')).status).toBe(202);
        await host.idle();
        const second = await post('/api/start-twice/dup-1');
        expect(second.status).toBe(409);
        expect(await second.json()).toEqual({
          error: expect.stringContaining("'dup-1' already exists and is Running"),
        });
      });

      it('lists with filters, terminates and purges through the client', async () => {
        await post('/api/start/Approval/list-a');
        await post('/api/start/Hello/list-b', 'x');
        await host.idle();
        const running = (await (await host.fetch('/api/list?status=Running')).json()) as string[];
        expect(running).toEqual(expect.arrayContaining(['list-a']));
        expect(running).not.toContain('list-b');
        const completed = (await (await host.fetch('/api/list?status=Completed')).json()) as string[];
        expect(completed).toContain('list-b');
        const future = new Date(host.clock.now() + 60_000).toISOString();
        expect(await (await host.fetch(`/api/list?from=${future}`)).json()).toEqual([]);

        expect((await post('/api/terminate/list-a')).status).toBe(202);
        await host.idle();
        expect(host.getStatus('list-a')).toMatchObject({
          runtimeStatus: 'Terminated',
          output: 'stopped by test',
        });
        const purged = await host.fetch('/api/purge/list-a', { method: 'DELETE' });
        expect(await purged.json()).toEqual({ deleted: 1 });
        expect(host.getStatus('list-a')).toBeUndefined();
        const again = await host.fetch('/api/purge/list-a', { method: 'DELETE' });
        expect(await again.json()).toEqual({ deleted: 0 });
      });

      it('answers a status query for an unknown instance with 404 (the starter function then fails with 500)', async () => {
        expect((await host.fetch('/api/status/does-not-exist')).status).toBe(500);
        expect(host.errors.at(-1)).toContain("function 'GetStatus' failed");
      });
    }
  },
);

describe('two hosts in one file', () => {
  it('create, use and close sequentially with separate state', async () => {
    for (const id of ['first', 'second']) {
      const h = await createTestHost({ register: registerSampleApp });
      try {
        expect(h.list()).toEqual([]);
        h.startNew('Hello', { instanceId: id, input: id });
        await h.idle();
        expect(h.getStatus(id)?.output).toBe(`Hello ${id}`);
      } finally {
        await h.close();
      }
    }
  });
});
