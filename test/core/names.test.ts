import fc from 'fast-check';
import { TARGET_NAME_PATTERN } from '../../src/core/config';
import { InstanceIds, RELEASE_ID_PATTERN } from '../../src/core/names';

const targetName = fc.stringMatching(TARGET_NAME_PATTERN);
const buildId = fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/);

describe('RELEASE_ID_PATTERN', () => {
  it('matches every id the app generates from a valid target name and build id', () => {
    fc.assert(
      fc.property(targetName, buildId, (target, build) => {
        expect(InstanceIds.release(target, build)).toMatch(RELEASE_ID_PATTERN);
      }),
    );
  });

  it('refuses ids carrying URL syntax, and the other instance kinds', () => {
    const unsafe = fc.constantFrom('?', '#', '/', '\\', '%', ' ', '&', '\u0000', ':');
    fc.assert(
      fc.property(targetName, buildId, unsafe, fc.nat(64), (target, build, ch, at) => {
        const id = InstanceIds.release(target, build);
        const cut = Math.min(at, id.length);
        expect(id.slice(0, cut) + ch + id.slice(cut)).not.toMatch(RELEASE_ID_PATTERN);
      }),
    );
    expect(InstanceIds.lane('webapp')).not.toMatch(RELEASE_ID_PATTERN);
    expect(InstanceIds.manualRollback('webapp-b1')).toMatch(RELEASE_ID_PATTERN); // routed as a release id, found as no release
  });
});
