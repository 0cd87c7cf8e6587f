import { upgradeLegacy } from '../../src/core/legacy';
import type { LaneState, SwapInput, WorkEnded } from '../../src/core/orchestration/contracts';
import { aBuild, aTarget, ids, tmTraffic } from '../builders/target';

/** A target as app 0.1 snapshot it into a release's input: `profileId` at the top, no `traffic`. */
function legacyTarget(): Record<string, unknown> {
  const { traffic: _traffic, ...rest } = aTarget();
  return { ...rest, profileId: ids.profile() };
}

describe('upgradeLegacy: values written before traffic providers had kinds', () => {
  it('gives an old release input its traffic, as configuration outputs it today', () => {
    const old = { releaseId: 'web-prod-b1', build: aBuild(), receivedAt: 't', target: legacyTarget() };
    expect(upgradeLegacy(old)).toEqual({ ...old, target: aTarget() });
  });

  it("upgrades a lane's last success, a lane report and a swap input, at any depth", () => {
    const last = { releaseId: 'r', previousSlot: 'blue', liveSlot: 'green', profileId: ids.profile() };
    const lane = upgradeLegacy<unknown>({ target: 'web-prod', recent: [], lastSucceeded: last }) as LaneState;
    expect(lane.lastSucceeded).toEqual({
      releaseId: 'r',
      previousSlot: 'blue',
      liveSlot: 'green',
      traffic: tmTraffic(),
    });

    const ended = {
      instanceId: 'r',
      release: { status: 'Succeeded', target: 'web-prod', build: aBuild(), profileId: ids.profile() },
    };
    expect((upgradeLegacy<unknown>(ended) as WorkEnded).release?.traffic).toEqual(tmTraffic());

    const swap = { releaseId: 'r', profileId: ids.profile(), enable: 'green', disable: 'blue' };
    expect(upgradeLegacy<unknown>(swap) as SwapInput).toEqual({
      releaseId: 'r',
      traffic: tmTraffic(),
      enable: 'green',
      disable: 'blue',
    });
  });

  it('returns values of today unchanged, the very same object (replays see the same), and is idempotent', () => {
    const current = { releaseId: 'r', build: aBuild(), receivedAt: 't', target: aTarget() };
    expect(upgradeLegacy(current)).toBe(current);
    const once = upgradeLegacy({ target: legacyTarget() });
    expect(upgradeLegacy(once)).toBe(once);
    expect(upgradeLegacy(undefined)).toBeUndefined();
    expect(upgradeLegacy([1, 'a', null])).toEqual([1, 'a', null]);
  });

  it('never changes a frozen input (the configuration is deeply frozen)', () => {
    const frozen = Object.freeze({ target: Object.freeze(legacyTarget()) });
    expect(() => upgradeLegacy(frozen)).not.toThrow();
    expect(frozen.target).toHaveProperty('profileId');
  });
});
