import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const CORE = join(__dirname, '../../src/core');

/** Provider names, as identifiers, strings or prose: none belongs in the core. */
const PROVIDER = /traffic ?manager|front ?door|profileId|origin ?group|arm-cdn|\bafd\b/i;

/** The one file that reads shapes written before providers had kinds (see its header). */
const ALLOWED = new Set(['legacy.ts']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('src/core names no traffic provider', () => {
  it('has no provider name in any file but legacy.ts (providers live in src/adapters/<provider>/)', () => {
    const offenders = sources(CORE)
      .filter((f) => !ALLOWED.has(relative(CORE, f)))
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .map((line, i) => ({ where: `${relative(CORE, f)}:${i + 1}`, line: line.trim() }))
          .filter(({ line }) => PROVIDER.test(line)),
      );
    expect(offenders).toEqual([]);
  });

  it('catches what it is meant to (the fence is not vacuous)', () => {
    for (const line of [
      'profileId: string',
      "kind: 'trafficManager'",
      'the Front Door origin group',
      "import '@azure/arm-cdn'",
    ]) {
      expect(PROVIDER.test(line)).toBe(true);
    }
    expect(PROVIDER.test(readFileSync(join(CORE, 'legacy.ts'), 'utf8'))).toBe(true);
  });
});
