import { FakeWorld } from '../../../src/adapters/fake/world';
import { StepError } from '../../../src/core/errors';
import { MAX_CORRECTIONS, swapEndpoints } from '../../../src/core/traffic/swap';
import { tmTraffic } from '../../builders/target';

const clock = { now: () => new Date('2026-01-01T00:00:00Z') };
const PROFILE = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/trafficManagerProfiles/tm';

function world(): FakeWorld {
  return new FakeWorld({
    profileId: PROFILE,
    slots: [
      { name: 'blue', computeId: 'vmss-blue', instances: 1 },
      { name: 'green', computeId: 'vmss-green', instances: 1 },
    ],
  });
}

const TM = tmTraffic(PROFILE);
const toGreen = { releaseId: 'r1', traffic: TM, enable: 'green', disable: 'blue' };

describe('swapEndpoints', () => {
  it('enables staging before disabling production, so one endpoint is always enabled', async () => {
    const w = world();
    const enabledCounts: number[] = [];
    w.beforeWrite = () => enabledCounts.push(w.slots.filter((s) => s.enabled).length);
    const result = await swapEndpoints(w.routers(TM), toGreen, clock);
    // The first write's time is what the cutover clients see is measured from.
    expect(result).toEqual({
      changed: true,
      confirmedAt: '2026-01-01T00:00:00.000Z',
      writtenAt: '2026-01-01T00:00:00.000Z',
    });
    expect(w.writes).toEqual([
      { endpoint: 'green', enabled: true },
      { endpoint: 'blue', enabled: false },
    ]);
    expect(enabledCounts.every((n) => n >= 1)).toBe(true);
    expect(w.live()).toBe('green');
  });

  it('does nothing when the profile is already in the wanted state (a replayed or retried swap)', async () => {
    const w = world();
    await swapEndpoints(w.routers(TM), toGreen, clock);
    w.writes.length = 0;
    const again = await swapEndpoints(w.routers(TM), toGreen, clock);
    expect(again.changed).toBe(false);
    expect(w.writes).toEqual([]);
    expect(w.live()).toBe('green');
  });

  it('finishes a half-done swap (both enabled after a crash between the two writes)', async () => {
    const w = world();
    w.slot('green').enabled = true;
    const result = await swapEndpoints(w.routers(TM), toGreen, clock);
    expect(result.changed).toBe(true);
    expect(w.writes).toEqual([{ endpoint: 'blue', enabled: false }]);
    expect(w.live()).toBe('green');
  });

  it('refuses to write when both endpoints are disabled (someone else changed the profile)', async () => {
    const w = world();
    w.slot('blue').enabled = false;
    await expect(swapEndpoints(w.routers(TM), toGreen, clock)).rejects.toThrow(StepError);
    await expect(swapEndpoints(w.routers(TM), toGreen, clock)).rejects.toThrow(
      /swap failed on .*trafficManagerProfiles\/tm: refused: both endpoints are disabled/,
    );
    expect(w.writes).toEqual([]);
  });

  it('refuses an unknown endpoint name and names what the profile has', async () => {
    const w = world();
    await expect(swapEndpoints(w.routers(TM), { ...toGreen, enable: 'purple' }, clock)).rejects.toThrow(
      /endpoint 'purple' not found \(profile has: blue=Enabled, green=Disabled\)/,
    );
    expect(w.writes).toEqual([]);
  });

  it('stops after enabling staging when production was disabled concurrently, leaving staging live', async () => {
    const w = world();
    w.beforeWrite = (endpoint) => {
      if (endpoint === 'green') w.slot('blue').enabled = false; // another writer flips production meanwhile
    };
    const result = await swapEndpoints(w.routers(TM), toGreen, clock);
    expect(result.changed).toBe(true);
    expect(w.writes).toEqual([{ endpoint: 'green', enabled: true }]);
    expect(w.live()).toBe('green');
  });

  it('propagates a failed write, leaving at least one endpoint enabled', async () => {
    const w = world();
    w.beforeWrite = (endpoint, enabled) => {
      if (endpoint === 'blue' && !enabled) throw new Error('HTTP 409 Conflict from ARM');
    };
    await expect(swapEndpoints(w.routers(TM), toGreen, clock)).rejects.toThrow('HTTP 409 Conflict from ARM');
    expect(w.slots.filter((s) => s.enabled).length).toBeGreaterThanOrEqual(1);
  });

  it('the issue 7 repro: green disabled by another writer while blue is being disabled; green re-enabled at once', async () => {
    const w = world();
    const zeroAfter: string[] = [];
    w.beforeWrite = (endpoint, enabled) => {
      if (endpoint === 'blue' && !enabled) w.slot('green').enabled = false; // the concurrent disable
    };
    w.afterWrite = (endpoint, enabled) => {
      if (w.live() === '') zeroAfter.push(`${endpoint}=${enabled}`);
    };
    const result = await swapEndpoints(w.routers(TM), toGreen, clock);
    expect(result).toMatchObject({ changed: true });
    expect(result.restored).toBe('read back after disabling blue=Disabled, green=Disabled: re-enabled green');
    // One write left zero enabled, and the very next write was the corrective one.
    expect(zeroAfter).toEqual(['blue=false']);
    expect(w.writes).toEqual([
      { endpoint: 'green', enabled: true },
      { endpoint: 'blue', enabled: false },
      { endpoint: 'green', enabled: true },
    ]);
    expect(w.live()).toBe('green');
  });

  it('a rollback that finds zero endpoints enabled re-enables the previous slot at once', async () => {
    const w = world();
    w.slot('blue').enabled = false;
    const back = { ...toGreen, enable: 'blue', disable: 'green', mode: 'rollback' as const };
    const result = await swapEndpoints(w.routers(TM), back, clock);
    expect(result.restored).toBe('found blue=Disabled, green=Disabled: re-enabled blue');
    expect(w.writes).toEqual([{ endpoint: 'blue', enabled: true }]);
    expect(w.live()).toBe('blue');
  });

  it('a restore finishes whatever a swap left: both enabled, or the new slot alone', async () => {
    const restore = { ...toGreen, enable: 'blue', disable: 'green', mode: 'restore' as const };
    const both = world();
    both.slot('green').enabled = true;
    await swapEndpoints(both.routers(TM), restore, clock);
    expect(both.writes).toEqual([{ endpoint: 'green', enabled: false }]);
    const moved = world();
    moved.slot('blue').enabled = false;
    moved.slot('green').enabled = true;
    await swapEndpoints(moved.routers(TM), restore, clock);
    expect(moved.writes).toEqual([
      { endpoint: 'blue', enabled: true },
      { endpoint: 'green', enabled: false },
    ]);
    expect(moved.live()).toBe('blue');
  });

  it('a retried swap attempt that finds zero enabled (its earlier write may have caused it) re-enables the new slot', async () => {
    const w = world();
    w.slot('blue').enabled = false;
    const result = await swapEndpoints(w.routers(TM), { ...toGreen, attempt: 2 }, clock);
    expect(result.restored).toBe('found blue=Disabled, green=Disabled: re-enabled green');
    expect(w.live()).toBe('green');
  });

  it(`gives up as transient after ${MAX_CORRECTIONS} corrections when another writer keeps disabling the slot`, async () => {
    const w = world();
    w.slot('blue').enabled = false;
    w.afterWrite = (endpoint, enabled) => {
      if (endpoint === 'blue' && enabled) w.slot('blue').enabled = false;
    };
    const back = { ...toGreen, enable: 'blue', disable: 'green', mode: 'rollback' as const };
    const err = await swapEndpoints(w.routers(TM), back, clock).catch((e: unknown) => e);
    expect(err).toMatchObject({ step: 'swap', transient: true });
    expect((err as Error).message).toMatch(/re-enabled 'blue' 3 times .* another writer keeps disabling it/);
    expect(w.writes).toHaveLength(MAX_CORRECTIONS);
  });

  it('refuses to fight a writer that re-enables the slot it just disabled', async () => {
    const w = world();
    w.afterWrite = (endpoint, enabled) => {
      if (endpoint === 'blue' && !enabled) w.slot('blue').enabled = true;
    };
    await expect(swapEndpoints(w.routers(TM), toGreen, clock)).rejects.toThrow(
      /'blue' read back Enabled after it was disabled .* another writer re-enabled it/,
    );
    expect(w.writes).toHaveLength(2);
  });
});
