import { FakeWorld } from '../../../src/adapters/fake/world';
import { StepError } from '../../../src/core/errors';
import { swapEndpoints } from '../../../src/core/traffic/swap';

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

const toGreen = { releaseId: 'r1', profileId: PROFILE, enable: 'green', disable: 'blue' };

describe('swapEndpoints', () => {
  it('enables staging before disabling production, so one endpoint is always enabled', async () => {
    const w = world();
    const enabledCounts: number[] = [];
    w.beforeWrite = () => enabledCounts.push(w.slots.filter((s) => s.enabled).length);
    const result = await swapEndpoints(w.traffic, toGreen, clock);
    expect(result).toEqual({ changed: true, confirmedAt: '2026-01-01T00:00:00.000Z' });
    expect(w.writes).toEqual([
      { endpoint: 'green', enabled: true },
      { endpoint: 'blue', enabled: false },
    ]);
    expect(enabledCounts.every((n) => n >= 1)).toBe(true);
    expect(w.live()).toBe('green');
  });

  it('does nothing when the profile is already in the wanted state (a replayed or retried swap)', async () => {
    const w = world();
    await swapEndpoints(w.traffic, toGreen, clock);
    w.writes.length = 0;
    const again = await swapEndpoints(w.traffic, toGreen, clock);
    expect(again.changed).toBe(false);
    expect(w.writes).toEqual([]);
    expect(w.live()).toBe('green');
  });

  it('finishes a half-done swap (both enabled after a crash between the two writes)', async () => {
    const w = world();
    w.slot('green').enabled = true;
    const result = await swapEndpoints(w.traffic, toGreen, clock);
    expect(result.changed).toBe(true);
    expect(w.writes).toEqual([{ endpoint: 'blue', enabled: false }]);
    expect(w.live()).toBe('green');
  });

  it('refuses to write when both endpoints are disabled (someone else changed the profile)', async () => {
    const w = world();
    w.slot('blue').enabled = false;
    await expect(swapEndpoints(w.traffic, toGreen, clock)).rejects.toThrow(StepError);
    await expect(swapEndpoints(w.traffic, toGreen, clock)).rejects.toThrow(
      /swap failed on .*trafficManagerProfiles\/tm: refused: both endpoints are disabled/,
    );
    expect(w.writes).toEqual([]);
  });

  it('refuses an unknown endpoint name and names what the profile has', async () => {
    const w = world();
    await expect(swapEndpoints(w.traffic, { ...toGreen, enable: 'purple' }, clock)).rejects.toThrow(
      /endpoint 'purple' not found \(profile has: blue=Enabled, green=Disabled\)/,
    );
    expect(w.writes).toEqual([]);
  });

  it('stops after enabling staging when production was disabled concurrently, leaving staging live', async () => {
    const w = world();
    w.beforeWrite = (endpoint) => {
      if (endpoint === 'green') w.slot('blue').enabled = false; // another writer flips production meanwhile
    };
    const result = await swapEndpoints(w.traffic, toGreen, clock);
    expect(result.changed).toBe(true);
    expect(w.writes).toEqual([{ endpoint: 'green', enabled: true }]);
    expect(w.live()).toBe('green');
  });

  it('propagates a failed write, leaving at least one endpoint enabled', async () => {
    const w = world();
    w.beforeWrite = (endpoint, enabled) => {
      if (endpoint === 'blue' && !enabled) throw new Error('HTTP 409 Conflict from ARM');
    };
    await expect(swapEndpoints(w.traffic, toGreen, clock)).rejects.toThrow('HTTP 409 Conflict from ARM');
    expect(w.slots.filter((s) => s.enabled).length).toBeGreaterThanOrEqual(1);
  });
});
