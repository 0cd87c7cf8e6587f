/**
 * `npm run check:infra` / `npm run build:infra` (scripts/tools/infra.sh) without the real Bicep CLI: a
 * stand-in `bicep` in a copy of the repository shows how the script finds the CLI, refuses another
 * version, fails on any diagnostic, and fails when the committed infra/main.json is stale.
 */
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run, tempDir } from '../local/fleet/helpers';

const REPO = path.resolve(__dirname, '../..');
const SYSTEM_PATH = '/usr/local/bin:/usr/bin:/bin';
const pinned = /^BICEP_VERSION=(\S+)$/m.exec(
  readFileSync(path.join(REPO, 'scripts/tools/install.sh'), 'utf8'),
)?.[1];

/** A copy of the parts of the repository the script reads, with a stand-in bicep when `bicep` is given. */
function checkout(dir: string, bicep?: { version: string; compiles: string; lint?: string }): string {
  for (const rel of [
    'scripts/tools/infra.sh',
    'scripts/tools/install.sh',
    'infra/main.bicep',
    'infra/app/api.bicep',
  ]) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    copyFileSync(path.join(REPO, rel), path.join(dir, rel));
  }
  writeFileSync(path.join(dir, 'infra/main.json'), '{"compiled": "before"}\n');
  if (bicep) {
    mkdirSync(path.join(dir, '.tools/bin'), { recursive: true });
    const fake = path.join(dir, '.tools/bin/bicep');
    writeFileSync(
      fake,
      [
        '#!/usr/bin/env bash',
        `if [ "$1" = --version ]; then echo "Bicep CLI version ${bicep.version} (abcdef)"; exit 0; fi`,
        // build infra/main.bicep --outfile <file>
        `if [ "$1" = build ]; then printf '%s\\n' '${bicep.compiles}' > "$4"; exit 0; fi`,
        `if [ "$1" = lint ]; then ${bicep.lint ?? 'exit 0'}; fi`,
        'exit 3',
      ].join('\n'),
    );
    chmodSync(fake, 0o755);
  }
  return path.join(dir, 'scripts/tools/infra.sh');
}

describe('npm run check:infra (scripts/tools/infra.sh)', () => {
  const tmp = tempDir('check-infra-');
  afterAll(() => tmp.remove());
  let n = 0;
  const dir = (): string => path.join(tmp.dir, String((n += 1)));

  it('fails saying how to install the pinned Bicep CLI when there is none', async () => {
    const result = await run('bash', [checkout(dir()), 'check'], { PATH: SYSTEM_PATH });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`the Bicep CLI is not installed. Install the pinned version (${pinned})`);
    expect(result.stderr).toContain('bash scripts/tools/install.sh');
  });

  it('refuses another Bicep version (the compiled JSON records it)', async () => {
    const script = checkout(dir(), { version: '0.1.0', compiles: '{}' });
    const result = await run('bash', [script, 'check'], { PATH: SYSTEM_PATH });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`is Bicep 0.1.0; this repository pins ${pinned}`);
  });

  it('fails when the committed infra/main.json is not what the compiler produces, and build:infra fixes it', async () => {
    const d = dir();
    const script = checkout(d, { version: pinned ?? '', compiles: '{"compiled": "after"}' });
    const stale = await run('bash', [script, 'check'], { PATH: SYSTEM_PATH });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain(
      'infra/main.json is not what infra/main.bicep compiles to; run npm run build:infra',
    );

    const build = await run('bash', [script, 'build'], { PATH: SYSTEM_PATH });
    expect(build.code).toBe(0);
    expect(readFileSync(path.join(d, 'infra/main.json'), 'utf8')).toBe('{"compiled": "after"}\n');
    const clean = await run('bash', [script, 'check'], { PATH: SYSTEM_PATH });
    expect(clean.stderr).toBe('');
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('compile and lint clean');
  });

  it('fails on any linter diagnostic, naming the file', async () => {
    const d = dir();
    const script = checkout(d, {
      version: pinned ?? '',
      compiles: '{"compiled": "before"}',
      // bicep lint --pattern 'infra/**/*.bicep'
      lint: `[ "$2" = --pattern ] && [ "$3" = 'infra/**/*.bicep' ] && echo "$PWD/infra/app/api.bicep(1,1) : Error use-recent-api-versions: Use more recent API version"; exit 1`,
    });
    const result = await run('bash', [script, 'check'], { PATH: SYSTEM_PATH });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('infra/app/api.bicep(1,1) : Error use-recent-api-versions');
    expect(result.stderr).toContain('bicep lint reported the diagnostics above');
  });
});
