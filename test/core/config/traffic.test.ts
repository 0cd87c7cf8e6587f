import { ValidationError } from '../../../src/core/errors';
import { aTargetInput, aValidEnv, ids, loadConfig, tmTraffic } from '../../builders/target';

function problems(targets: unknown[]): string[] {
  try {
    loadConfig(aValidEnv({}, targets));
  } catch (e) {
    if (e instanceof ValidationError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
  return [];
}

describe('a target names its traffic provider: traffic: { kind, ... }', () => {
  it('loads { kind: "trafficManager", profileId } with the profile as the resource', () => {
    const [target] = loadConfig(aValidEnv()).targets;
    expect(target?.traffic).toEqual(tmTraffic());
  });

  it('still loads the shape before kinds (profileId at the top) as exactly the same target', () => {
    const { traffic: _traffic, ...old } = aTargetInput();
    const upgraded = loadConfig(aValidEnv({}, [{ ...old, profileId: ids.profile() }]));
    expect(upgraded).toEqual(loadConfig(aValidEnv()));
    expect(upgraded.targets[0]).not.toHaveProperty('profileId');
  });

  it('refuses both shapes at once, saying exactly what to write', () => {
    expect(problems([{ ...aTargetInput(), profileId: ids.profile() }])).toEqual([
      `RELEASE_TARGETS[0]: has both traffic and the older top-level field it replaces; keep only "traffic": {"kind":"trafficManager","profileId":"${ids.profile()}"}`,
    ]);
  });

  it('refuses an unknown kind, listing the known ones, and a missing or wrong setting of a known one', () => {
    expect(problems([aTargetInput({ traffic: { kind: 'nginx', profileId: undefined } })])).toEqual([
      'RELEASE_TARGETS[0].traffic.kind: kind must be one of "trafficManager", "frontDoor"',
    ]);
    expect(problems([aTargetInput({ traffic: { kind: undefined } })])).toEqual([
      'RELEASE_TARGETS[0].traffic.kind: required',
    ]);
    expect(problems([aTargetInput({ traffic: { profileId: undefined } })])).toEqual([
      'RELEASE_TARGETS[0].traffic.profileId: required',
    ]);
    expect(problems([aTargetInput({ traffic: { extra: 1 } })])).toEqual([
      expect.stringMatching(/^RELEASE_TARGETS\[0\]\.traffic: .*extra/),
    ]);
  });

  it('lists the traffic problems of several targets with every other problem, in one error', () => {
    const first = aTargetInput({ traffic: { kind: 'nginx' } });
    const second = aTargetInput({ name: 'api-prod', traffic: undefined, deploy: undefined });
    expect(problems([first, second])).toEqual([
      'RELEASE_TARGETS[0].traffic.kind: kind must be one of "trafficManager", "frontDoor"',
      'RELEASE_TARGETS[1].traffic: required',
      'RELEASE_TARGETS[1].deploy: required',
    ]);
  });
});

describe('a Front Door target: traffic: { kind: "frontDoor", originGroupId, origins? }', () => {
  const load = (target: Record<string, unknown>) => loadConfig(aValidEnv({}, [target])).targets[0]!;
  const frontDoor = (traffic: Record<string, unknown> = {}) =>
    aTargetInput({
      traffic: { kind: 'frontDoor', profileId: undefined, originGroupId: ids.originGroup(), ...traffic },
    });

  it('switches its origin group (the resource); each slot is the origin of its name unless mapped', () => {
    expect(load(frontDoor()).traffic).toEqual({
      kind: 'frontDoor',
      originGroupId: ids.originGroup(),
      resource: ids.originGroup(),
    });
    expect(load(frontDoor({ origins: { blue: 'origin-a', green: 'origin-b' } })).traffic).toMatchObject({
      origins: { blue: 'origin-a', green: 'origin-b' },
    });
  });

  it('refuses a wrong ID, or a Traffic Manager setting, naming the field', () => {
    expect(problems([frontDoor({ originGroupId: ids.profile() })])).toEqual([
      'RELEASE_TARGETS[0].traffic.originGroupId: must be a resource ID like /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Cdn/profiles/<profile>/originGroups/<name>',
    ]);
    expect(problems([frontDoor({ profileId: ids.profile() })])).toEqual([
      'RELEASE_TARGETS[0].traffic: Unrecognized key: "profileId"',
    ]);
  });

  it('refuses an origins map that misses a slot, names an unknown one, or gives two slots one origin', () => {
    expect(problems([frontDoor({ origins: { blue: 'a' } })])).toEqual([
      "RELEASE_TARGETS[0].traffic.origins: names no origin for slot 'green' (map every slot, or leave origins out to use the slot names)",
    ]);
    expect(problems([frontDoor({ origins: { blue: 'a', green: 'b', purple: 'c' } })])).toEqual([
      "RELEASE_TARGETS[0].traffic.origins.purple: 'purple' is not a slot of this target (slots: blue, green)",
    ]);
    expect(problems([frontDoor({ origins: { blue: 'a', green: 'A' } })])).toEqual([
      'RELEASE_TARGETS[0].traffic.origins: each slot needs its own origin (two slots map to the same origin)',
    ]);
    expect(problems([frontDoor({ origins: { blue: ' ', green: 'b' } })])).toEqual([
      'RELEASE_TARGETS[0].traffic.origins.blue: must not be empty',
    ]);
  });
});
