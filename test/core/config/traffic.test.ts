import { loadConfig } from '../../../src/core/config/load';
import { ValidationError } from '../../../src/core/errors';
import { aTargetInput, aValidEnv, ids } from '../../builders/target';

const load = (target: Record<string, unknown>) => loadConfig(aValidEnv({}, [target])).targets[0]!;
const problems = (target: Record<string, unknown>): string[] => {
  try {
    loadConfig(aValidEnv({}, [target]));
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected the configuration to be refused');
};
const frontDoor = (traffic: Record<string, unknown> = {}) =>
  aTargetInput({
    profileId: undefined,
    traffic: { kind: 'frontDoor', originGroupId: ids.originGroup(), ...traffic },
  });

describe('target traffic provider (config)', () => {
  it('profileId alone is Traffic Manager, as before', () => {
    const t = load(aTargetInput());
    expect(t.profileId).toBe(ids.profile());
    expect(t.traffic).toEqual({ kind: 'trafficManager', profileId: ids.profile() });
  });

  it('traffic: { kind: "trafficManager", profileId } is the same target', () => {
    const t = load(
      aTargetInput({ profileId: undefined, traffic: { kind: 'trafficManager', profileId: ids.profile() } }),
    );
    expect(t.profileId).toBe(ids.profile());
    expect(t.traffic).toEqual({ kind: 'trafficManager', profileId: ids.profile() });
  });

  it('a Front Door target switches its origin group; each slot is the origin of its name by default', () => {
    const t = load(frontDoor());
    expect(t.profileId).toBe(ids.originGroup());
    expect(t.traffic).toEqual({
      kind: 'frontDoor',
      originGroupId: ids.originGroup(),
      origins: { blue: 'blue', green: 'green' },
    });
  });

  it('maps slots to origins of other names', () => {
    const t = load(frontDoor({ origins: { blue: 'origin-a', green: 'origin-b' } }));
    expect(t.traffic).toMatchObject({ origins: { blue: 'origin-a', green: 'origin-b' } });
  });

  it('refuses, naming the field: a wrong ID, an unknown kind, both or neither resource', () => {
    expect(problems(frontDoor({ originGroupId: ids.profile() }))).toEqual([
      'RELEASE_TARGETS[0].traffic.originGroupId: must be a resource ID like /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Cdn/profiles/<profile>/originGroups/<name>',
    ]);
    expect(problems(aTargetInput({ profileId: undefined, traffic: { kind: 'appGateway' } }))).toEqual([
      'RELEASE_TARGETS[0].traffic.kind: kind must be "trafficManager" or "frontDoor"',
    ]);
    expect(
      problems(aTargetInput({ traffic: { kind: 'frontDoor', originGroupId: ids.originGroup() } })),
    ).toEqual([
      'RELEASE_TARGETS[0].profileId: give the traffic resource once: either profileId (Traffic Manager) or traffic ({ kind: "trafficManager", profileId } or { kind: "frontDoor", originGroupId })',
    ]);
    expect(problems(aTargetInput({ profileId: undefined }))).toEqual([
      'RELEASE_TARGETS[0].traffic: required: profileId (Traffic Manager), or traffic: { kind: "trafficManager", profileId } or { kind: "frontDoor", originGroupId, origins? }',
    ]);
    expect(problems(frontDoor({ profileId: ids.profile() }))).toEqual([
      'RELEASE_TARGETS[0].traffic: Unrecognized key: "profileId"',
    ]);
  });

  it('refuses an origins map that misses a slot, names an unknown one, or gives two slots one origin', () => {
    expect(problems(frontDoor({ origins: { blue: 'a' } }))).toEqual([
      "RELEASE_TARGETS[0].traffic.origins: names no origin for slot 'green' (map every slot, or leave origins out to use the slot names)",
    ]);
    expect(problems(frontDoor({ origins: { blue: 'a', green: 'b', purple: 'c' } }))).toEqual([
      "RELEASE_TARGETS[0].traffic.origins.purple: 'purple' is not a slot of this target (slots: blue, green)",
    ]);
    expect(problems(frontDoor({ origins: { blue: 'a', green: 'A' } }))).toEqual([
      'RELEASE_TARGETS[0].traffic.origins: each slot needs its own origin (two slots map to the same origin)',
    ]);
    expect(problems(frontDoor({ origins: { blue: ' ', green: 'b' } }))).toEqual([
      'RELEASE_TARGETS[0].traffic.origins.blue: must not be empty',
    ]);
  });
});
