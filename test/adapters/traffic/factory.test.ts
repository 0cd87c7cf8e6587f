import type { AzureClients } from '../../../src/adapters/azure/clients';
import {
  createTrafficRouters,
  TRAFFIC_PROVIDERS,
  trafficName,
  type TrafficProvider,
} from '../../../src/adapters/traffic/factory';
import { InMemoryTraffic } from '../../../src/adapters/traffic/nop';
import { trafficManagerProvider } from '../../../src/adapters/trafficManager';
import { StepError } from '../../../src/core/errors';
import type { TrafficConfig } from '../../../src/core/ports/traffic';
import { swapEndpoints } from '../../../src/core/traffic/swap';
import type { Harness } from '../../local/arm/harness';
import { PROFILE_ID, startHarness, testClients } from '../../local/arm/harness';
import { tmTraffic } from '../../builders/target';

/** Routers are built lazily: these tests never reach ARM. */
const NO_CLIENTS = {} as AzureClients;
const clock = { now: () => new Date('2026-01-01T00:00:00Z') };

describe('the traffic factory', () => {
  it("picks each target's provider by its kind, handing it the target's traffic", () => {
    const made: [string, TrafficConfig][] = [];
    const fake = (kind: string): TrafficProvider => ({
      kind,
      schema: trafficManagerProvider.schema,
      router: (_clients, traffic) => {
        made.push([kind, traffic]);
        return new InMemoryTraffic().router(traffic);
      },
    });
    const routers = createTrafficRouters(NO_CLIENTS, [fake('a'), fake('b')]);
    routers({ kind: 'b', resource: 'r1' });
    routers({ kind: 'a', resource: 'r2' });
    expect(made).toEqual([
      ['b', { kind: 'b', resource: 'r1' }],
      ['a', { kind: 'a', resource: 'r2' }],
    ]);
  });

  it('refuses a kind it does not know with a permanent step error naming the resource and the known kinds', () => {
    const routers = createTrafficRouters(NO_CLIENTS);
    let err: unknown;
    try {
      routers({ kind: 'nginx', resource: '/subscriptions/s/x' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StepError);
    expect((err as StepError).transient).toBe(false);
    expect((err as StepError).message).toBe(
      "traffic failed on /subscriptions/s/x: no traffic provider of kind 'nginx' (known: trafficManager, frontDoor)",
    );
  });

  it("names each kind as people read it: its provider's label, else the kind itself", () => {
    expect(trafficName('trafficManager')).toBe('Traffic Manager');
    expect(trafficName('frontDoor')).toBe('Front Door');
    expect(trafficName('nginx')).toBe('nginx');
    const unlabelled = {
      kind: 'a',
      schema: trafficManagerProvider.schema,
      router: trafficManagerProvider.router,
    };
    expect(trafficName('a', [unlabelled])).toBe('a');
  });

  it('lists every provider once, each with its schema', () => {
    const kinds = TRAFFIC_PROVIDERS.map((p) => p.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    expect(kinds).toContain('trafficManager');
  });
});

describe('the in-memory provider (tests, dry runs)', () => {
  it('runs the core swap protocol like any provider: both ways, idempotent', async () => {
    const memory = new InMemoryTraffic();
    const traffic = { kind: 'memory', resource: 'mem-1' };
    const input = { releaseId: 'r', traffic, enable: 'green', disable: 'blue' };
    expect((await swapEndpoints(memory.routers(traffic), input, clock)).changed).toBe(true);
    expect(memory.endpoints('mem-1').map((e) => e.enabled)).toEqual([false, true]);
    expect((await swapEndpoints(memory.routers(traffic), input, clock)).changed).toBe(false);
    await swapEndpoints(
      memory.routers(traffic),
      { ...input, enable: 'blue', disable: 'green', mode: 'rollback' },
      clock,
    );
    expect(memory.endpoints('mem-1').map((e) => e.enabled)).toEqual([true, false]);
    expect(memory.endpoints('mem-2').map((e) => e.enabled)).toEqual([true, false]);
  });
});

describe('the Traffic Manager provider through the factory', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it("reads and swaps the target's profile, reporting it as the resource", async () => {
    const routers = createTrafficRouters(testClients(h.arm));
    const router = routers(tmTraffic(PROFILE_ID));
    const before = await router.read();
    expect(before.resource).toBe(PROFILE_ID);
    expect(before.endpoints.map((e) => [e.name, e.enabled])).toEqual([
      ['blue', true],
      ['green', false],
    ]);
    const input = { releaseId: 'r', traffic: tmTraffic(PROFILE_ID), enable: 'green', disable: 'blue' };
    await swapEndpoints(router, input, clock);
    expect((await router.read()).endpoints.map((e) => [e.name, e.enabled])).toEqual([
      ['blue', false],
      ['green', true],
    ]);
  });
});
