import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { routable, startEdge, type Edge, type EdgeOrigin } from '../../../local/fleet/edge';

describe('routable: the origins Front Door routes to', () => {
  const o = (name: string, enabled: boolean, priority?: number): EdgeOrigin => ({
    name,
    target: name,
    port: 1,
    enabled,
    ...(priority !== undefined ? { priority } : {}),
  });
  it('the enabled ones of the best priority; none when none is enabled', () => {
    expect(routable([o('blue', true), o('green', false)]).map((x) => x.name)).toEqual(['blue']);
    expect(routable([o('blue', true, 2), o('green', true, 1)]).map((x) => x.name)).toEqual(['green']);
    expect(routable([o('blue', true), o('green', true)]).map((x) => x.name)).toEqual(['blue', 'green']);
    expect(routable([o('blue', false), o('green', false)])).toEqual([]);
  });
});

describe('the local Front Door edge', () => {
  const servers: Server[] = [];
  const origins: EdgeOrigin[] = [];
  let edge: Edge | undefined;

  beforeAll(async () => {
    for (const [name, address] of [
      ['blue', '127.0.51.1'],
      ['green', '127.0.52.1'],
    ] as const) {
      const server = createServer((_req, res) =>
        res.writeHead(200, { 'x-served-by': `${name}_0` }).end(name),
      );
      await new Promise<void>((r) => server.listen(0, address, r));
      servers.push(server);
      origins.push({
        name,
        target: address,
        port: (server.address() as AddressInfo).port,
        enabled: name === 'blue',
      });
    }
  });

  afterEach(async () => {
    await edge?.close();
    edge = undefined;
  });

  afterAll(async () => {
    await Promise.all(servers.map((x) => new Promise((r) => x.close(r))));
  });

  const get = async (e: Edge) => {
    const res = await fetch(`http://${e.host}:${e.port}/`);
    return {
      status: res.status,
      origin: res.headers.get('x-edge-origin'),
      servedBy: res.headers.get('x-served-by'),
      text: await res.text(),
    };
  };
  const until = async (what: string, probe: () => boolean) => {
    for (let i = 0; i < 200 && !probe(); i++) await new Promise((r) => setTimeout(r, 20));
    if (!probe()) throw new Error(`never: ${what}`);
  };

  it('proxies to the enabled origin, passing its headers through', async () => {
    const state = origins.map((o) => ({ ...o }));
    edge = await startEdge({ origins: () => state, propagationDelayMs: 0 });
    expect(await get(edge)).toEqual({ status: 200, origin: 'blue', servedBy: 'blue_0', text: 'blue' });
  });

  it('follows a control-plane change only after the propagation delay', async () => {
    const state = origins.map((o) => ({ ...o }));
    edge = await startEdge({ origins: () => state, propagationDelayMs: 400, pollMs: 10 });
    state[1]!.enabled = true;
    state[0]!.enabled = false;
    await until('the edge saw the change', () => edge!.state().pending.length === 1);
    const seen = edge.state().pending[0]!;
    // Seen, not applied: the edge still serves blue.
    expect(edge.state().serving.find((o) => o.enabled)?.name).toBe('blue');
    expect((await get(edge)).origin).toBe('blue');
    await until('the change applied', () => edge!.state().pending.length === 0);
    const applied = edge.state().lastApplied!;
    expect(applied.appliedAt).toBeGreaterThanOrEqual(seen.appliesAt);
    expect(seen.appliesAt - applied.seenAt).toBe(400);
    expect((await get(edge)).origin).toBe('green');
  });

  it('with no enabled origin answers 503, as Front Door does', async () => {
    edge = await startEdge({
      origins: () => origins.map((o) => ({ ...o, enabled: false })),
      propagationDelayMs: 0,
    });
    expect(await get(edge)).toMatchObject({ status: 503 });
  });

  it('keeps serving what it has when the control plane does not answer', async () => {
    let fail = false;
    const state = origins.map((o) => ({ ...o }));
    edge = await startEdge({
      origins: () => {
        if (fail) throw new Error('control plane down');
        return state;
      },
      propagationDelayMs: 0,
      pollMs: 10,
    });
    fail = true;
    await new Promise((r) => setTimeout(r, 50));
    expect((await get(edge)).origin).toBe('blue');
  });

  it('refuses an address outside loopback', async () => {
    await expect(startEdge({ host: '0.0.0.0', origins: () => [], propagationDelayMs: 0 })).rejects.toThrow(
      'edge: 0.0.0.0 is not a loopback address',
    );
  });
});
