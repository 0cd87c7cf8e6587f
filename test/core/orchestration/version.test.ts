/** Durable Task's version comparison, which `atLeast` gates orchestrator changes with and the runtime matches by. */
import fc from 'fast-check';
import { compareVersions, OrchestrationVersions } from '../../../src/core/orchestration/version';

describe('compareVersions', () => {
  it.each([
    ['1.0', '2.0', -1],
    ['2.0', '10.0', -1], // numeric, not text: 10.0 is newer
    ['1.0', '1.0', 0],
    ['1.0', '1.0.0', -1], // System.Version: an absent build is older than a present one
    ['1.2.3.4', '1.2.3.5', -1],
    [undefined, '1.0', -1], // no version is older than any
    ['', undefined, 0],
    ['1.0', ' ', 1],
    ['v1-release', 'v2-release', -1], // not a System.Version: text, ignoring case
    ['ABC', 'abc', 0],
    ['1', '2', -1], // one number alone is not a System.Version: text
    ['9', '10', 1], // ...so, as text, 9 is after 10 (why versions here have two parts)
  ])('%p vs %p → %p', (a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected);
  });

  it('is an order: antisymmetric and transitive over versions and text', () => {
    const version = fc.oneof(
      fc.constant(undefined),
      fc.tuple(fc.nat(20), fc.nat(20)).map(([a, b]) => `${a}.${b}`),
      fc.tuple(fc.nat(5), fc.nat(5), fc.nat(5)).map(([a, b, c]) => `${a}.${b}.${c}`),
    );
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        expect(Math.sign(compareVersions(a, b)) + Math.sign(compareVersions(b, a))).toBe(0);
        if (compareVersions(a, b) <= 0 && compareVersions(b, c) <= 0) {
          expect(compareVersions(a, c)).toBeLessThanOrEqual(0);
        }
      }),
    );
  });

  it('lists the versions oldest first', () => {
    const list = Object.values(OrchestrationVersions);
    for (let i = 1; i < list.length; i++) expect(compareVersions(list[i - 1], list[i])).toBe(-1);
  });
});
