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
      'RELEASE_TARGETS[0].traffic.kind: kind must be one of "trafficManager"',
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
      'RELEASE_TARGETS[0].traffic.kind: kind must be one of "trafficManager"',
      'RELEASE_TARGETS[1].traffic: required',
      'RELEASE_TARGETS[1].deploy: required',
    ]);
  });
});
