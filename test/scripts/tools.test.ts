/**
 * The tool-backed checks that live outside `npm test` (`npm run lint:sh`, `npm run test:ps`): on a machine
 * without the tool they fail and say how to install it, instead of passing silently.
 */
import { copyFileSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { run, tempDir } from '../local/fleet/helpers';

const REPO = path.resolve(__dirname, '../..');

/** A PATH holding only links to the named commands (found in the usual system folders). */
function pathWith(dir: string, commands: string[]): string {
  const bin = path.join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const name of commands) {
    const found = ['/usr/local/bin', '/usr/bin', '/bin']
      .map((d) => path.join(d, name))
      .find((p) => existsSync(p));
    if (found === undefined) throw new Error(`${name} is not installed here`);
    symlinkSync(found, path.join(bin, name));
  }
  return bin;
}

const BASICS = ['bash', 'dirname', 'find', 'sort', 'sed', 'cat', 'ls'];

describe('npm run lint:sh (scripts/tools/shellcheck.sh)', () => {
  const tmp = tempDir('lint-sh-');
  afterAll(() => tmp.remove());

  it('fails naming the apt package when shellcheck is not on PATH', async () => {
    const result = await run('bash', [path.join(REPO, 'scripts/tools/shellcheck.sh')], {
      PATH: pathWith(tmp.dir, BASICS),
    });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'shellcheck is not installed; install it with: apt-get install shellcheck',
    );
  });
});

describe('npm run test:ps (scripts/tools/test-ps.sh)', () => {
  const tmp = tempDir('test-ps-');
  afterAll(() => tmp.remove());

  it('fails pointing at scripts/tools/install.sh when pwsh is neither in ./.tools nor on PATH', async () => {
    // A copy outside this checkout, so that the checkout's own ./.tools is not found.
    const copy = path.join(tmp.dir, 'repo/scripts/tools');
    mkdirSync(copy, { recursive: true });
    copyFileSync(path.join(REPO, 'scripts/tools/test-ps.sh'), path.join(copy, 'test-ps.sh'));

    const result = await run('bash', [path.join(copy, 'test-ps.sh')], { PATH: pathWith(tmp.dir, BASICS) });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'test:ps: PowerShell (pwsh) is not installed: run bash scripts/tools/install.sh',
    );
  });
});
