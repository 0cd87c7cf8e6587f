import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  cutoverAnswer,
  cutoverFrom,
  startTraffic,
  type ResolvedEndpoint,
  type Sample,
  type TrafficGenerator,
} from '../../../local/fleet';

const s = (at: number, slot: string, client = 0): Sample => ({ at, slot, ok: true, client });

describe('cutoverFrom: when at least 99% of requests land on the new slot', () => {
  it('is the first request from which every window is clean, not the first lucky one', () => {
    // Two clients, a request each every 100 ms; client 1 follows at 300, client 0 only at 700.
    const samples: Sample[] = [];
    for (let t = 0; t < 2000; t += 100) {
      samples.push(s(t, t >= 700 ? 'green' : 'blue', 0), s(t, t >= 300 ? 'green' : 'blue', 1));
    }
    expect(cutoverFrom(samples, { slot: 'green', since: 0, windowMs: 500 }, 2000)).toEqual({
      state: 'reached',
      reachedAt: 700,
      requests: 26,
    });
  });

  it('counts only requests sent after the write and before the next move', () => {
    const samples = [s(0, 'green'), s(100, 'blue'), s(200, 'blue'), s(300, 'green'), s(400, 'green')];
    expect(cutoverFrom(samples, { slot: 'green', since: 100, until: 300, windowMs: 100 }, 1000)).toEqual({
      state: 'not-reached',
      detail: '0 of 2 requests since the write landed on green',
    });
    expect(cutoverFrom(samples, { slot: 'green', since: 100, windowMs: 100 }, 1000)).toMatchObject({
      state: 'reached',
      reachedAt: 300,
    });
  });

  it('stays pending until one whole clean window has completed', () => {
    const samples = [s(0, 'blue'), s(100, 'green'), s(200, 'green')];
    expect(cutoverFrom(samples, { slot: 'green', since: 0, windowMs: 500 }, 550)).toEqual({
      state: 'pending',
      detail: '2 of 3 requests since the write landed on green',
    });
    expect(cutoverFrom(samples, { slot: 'green', since: 0, windowMs: 500 }, 600)).toMatchObject({
      state: 'reached',
      reachedAt: 100,
    });
  });

  it('tolerates 1% elsewhere with enough requests per window, not more', () => {
    const many = Array.from({ length: 400 }, (_, i) => s(i, i % 200 === 7 ? 'blue' : 'green'));
    expect(cutoverFrom(many, { slot: 'green', since: 0, windowMs: 200 }, 400)).toMatchObject({
      state: 'reached',
      reachedAt: 0,
    });
    const worse = Array.from({ length: 400 }, (_, i) => s(i, i % 50 === 7 ? 'blue' : 'green'));
    expect(cutoverFrom(worse, { slot: 'green', since: 0, windowMs: 200 }, 400).state).toBe('pending');
  });

  it('says why when there is nothing to judge', () => {
    expect(cutoverFrom([], { slot: 'green', since: 0 }, 10)).toEqual({
      state: 'pending',
      detail: 'no requests sent since the write yet',
    });
    expect(cutoverFrom([], { slot: 'green', since: 0, until: 5 }, 10)).toEqual({
      state: 'not-measured',
      reason: 'no requests were sent between the write and the next move',
    });
  });
});

describe('GET /traffic/cutover (the fleet control answer)', () => {
  const fake = {
    target: 'webapp',
    cutover: jest.fn(() => ({ state: 'reached' as const, reachedAt: Date.UTC(2026, 0, 1), requests: 3 })),
  } as unknown as TrafficGenerator;
  const q = (o: Record<string, string>) => new URLSearchParams(o);

  it('names the missing or bad parameter in a 400', () => {
    expect(cutoverAnswer(q({ target: 'webapp', since: 'x' }), fake)).toEqual([
      400,
      { error: 'traffic/cutover: slot is required' },
    ]);
    expect(cutoverAnswer(q({ slot: 'green', target: 'webapp', since: 'yesterday' }), fake)).toEqual([
      400,
      { error: 'traffic/cutover: since must be an ISO 8601 time' },
    ]);
    expect(
      cutoverAnswer(q({ slot: 'green', target: 'webapp', since: '2026-01-01T00:00:00Z', until: 'no' }), fake),
    ).toEqual([400, { error: 'traffic/cutover: until must be an ISO 8601 time' }]);
  });

  it('answers for its own target only, with ISO times', () => {
    expect(cutoverAnswer(q({ slot: 'green', target: 'other', since: '2026-01-01T00:00:00Z' }), fake)).toEqual(
      [200, { state: 'not-measured', reason: 'the local traffic generator sends traffic to webapp only' }],
    );
    expect(
      cutoverAnswer(
        q({ slot: 'green', target: 'webapp', since: '2026-01-01T00:00:00Z', until: '2026-01-01T00:01:00Z' }),
        fake,
      ),
    ).toEqual([200, { state: 'reached', reachedAt: '2026-01-01T00:00:00.000Z', requests: 3 }]);
    expect(fake.cutover).toHaveBeenCalledWith({
      slot: 'green',
      since: Date.UTC(2026, 0, 1),
      until: Date.UTC(2026, 0, 1, 0, 1),
    });
    expect(
      cutoverAnswer(q({ slot: 'g', target: 'webapp', since: '2026-01-01T00:00:00Z' }), undefined),
    ).toEqual([200, { state: 'not-measured', reason: 'the local traffic generator is not running' }]);
  });
});

describe('traffic generator: clients that cache answers for their TTL', () => {
  const servers: Server[] = [];
  const slots: Record<string, { address: string; port: number }> = {};
  let generator: TrafficGenerator | undefined;

  beforeAll(async () => {
    for (const [name, address] of [
      ['blue', '127.0.41.1'],
      ['green', '127.0.42.1'],
    ] as const) {
      const server = createServer((_req, res) => {
        // Answers like a slot's load balancer: the instance that served.
        res.writeHead(200, { 'x-served-by': `vmss-${name}_0` }).end('ok');
      });
      await new Promise<void>((r) => server.listen(0, address, r));
      servers.push(server);
      slots[name] = { address, port: (server.address() as AddressInfo).port };
    }
  });

  afterEach(async () => {
    await generator?.close();
    generator = undefined;
  });

  afterAll(async () => {
    await Promise.all(servers.map((x) => new Promise((r) => x.close(r))));
  });

  const until = async (what: string, probe: () => boolean) => {
    for (let i = 0; i < 200 && !probe(); i++) await new Promise((r) => setTimeout(r, 25));
    if (!probe()) throw new Error(`never: ${what}`);
  };

  it('keeps each answer for its TTL, staggered over the clients, and sends there until it expires', async () => {
    let live = 'blue';
    const asked: number[] = [];
    generator = startTraffic({
      clients: 4,
      ratePerSecond: 40,
      resolveProduction: async (): Promise<ResolvedEndpoint> => {
        asked.push(Date.now());
        return { target: slots[live]!.address, port: slots[live]!.port, ttlSeconds: 1 };
      },
      slotOf: (target) => Object.keys(slots).find((k) => slots[k]!.address === target),
    });
    await until('every client resolved once', () => generator!.answers().length >= 4);
    const first = generator.answers().slice(0, 4);
    // Client i of 4 keeps its first answer (i+1)/4 of the TTL: their expiries spread over one TTL.
    expect(first.map((a) => a.until - a.resolvedAt).sort((a, b) => a - b)).toEqual([250, 500, 750, 1000]);
    expect(first.every((a) => a.slot === 'blue' && a.ttlSeconds === 1)).toBe(true);

    const writeAt = Date.now();
    live = 'green';
    await until(
      'every client follows the move',
      () => generator!.answers().filter((a) => a.slot === 'green').length >= 4,
    );
    await until(
      'a clean second after it',
      () => generator!.cutover({ slot: 'green', since: writeAt }).state === 'reached',
    );

    // No request went to green before the client's blue answer expired, and none to blue after it.
    const answers = generator.answers();
    for (const sample of generator.samples().filter((x) => x.at >= writeAt)) {
      const held = answers.filter((a) => a.client === sample.client && a.resolvedAt <= sample.at).at(-1)!;
      expect(sample.slot).toBe(held.slot);
      expect(sample.at).toBeLessThan(held.until);
    }
    // The cutover is no earlier than the last blue answer's expiry (every client had to ask again).
    const lastBlue = Math.max(...answers.filter((a) => a.slot === 'blue').map((a) => a.until));
    const answer = generator.cutover({ slot: 'green', since: writeAt });
    expect(answer.state === 'reached' && answer.reachedAt >= lastBlue).toBe(true);
    expect(generator.stats()).toMatchObject({ clients: 4, production: { slot: 'green' } });
    expect(generator.stats().landed.blue).toBeGreaterThan(0);
    expect(generator.stats().landed.green).toBeGreaterThan(0);
    // Asked once per answer, never per request.
    expect(asked.length).toBe(answers.length);
    expect(generator.stats().sent).toBeGreaterThan(asked.length);
  });

  it('counts a request where the server says it landed, when the endpoint alone does not say (an edge)', async () => {
    generator = startTraffic({
      ratePerSecond: 20,
      resolveProduction: async () => ({ target: slots.green!.address, port: slots.green!.port }),
      slotOf: () => 'edge',
      slotOfServer: (server) => (server === 'vmss-green_0' ? 'green' : undefined),
    });
    await until('requests counted', () => (generator!.stats().landed.green ?? 0) >= 3);
    expect(generator.stats().landed).toEqual({ green: expect.any(Number) });
  });

  it('resetClients: every client asks again, staggered over the TTL it is given now', async () => {
    let ttl = 60;
    generator = startTraffic({
      clients: 2,
      ratePerSecond: 20,
      resolveProduction: async () => ({
        target: slots.blue!.address,
        port: slots.blue!.port,
        ttlSeconds: ttl,
      }),
    });
    await until('two answers', () => generator!.answers().length >= 2);
    ttl = 2;
    generator.resetClients();
    await until('two more answers', () => generator!.answers().length >= 4);
    expect(
      generator
        .answers()
        .slice(2)
        .map((a) => a.until - a.resolvedAt)
        .sort((a, b) => a - b),
    ).toEqual([1000, 2000]);
  });

  it('a cutover asked about a write before it started is not measured', () => {
    generator = startTraffic({
      resolveProduction: async () => ({ target: slots.blue!.address, port: slots.blue!.port }),
    });
    expect(generator.cutover({ slot: 'blue', since: Date.now() - 60_000 })).toEqual({
      state: 'not-measured',
      reason: 'the traffic generator started after the write',
    });
  });
});
