/**
 * The `release` CLI against the whole local stack, as a pipeline runs it: the built bin in a child process,
 * `watch` waiting on a release through approval and bake and exiting 0, a rollback followed to exit 11, and
 * `ls`/`show` in-process; the function key never appears in anything it prints.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { main, type CliIo } from '../../src/cli/release';
import { releaseIdOf, startE2e, type E2e } from './support';

jest.setTimeout(180_000);

const BIN = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'release.js');
let e2e: E2e;

beforeAll(async () => {
  e2e = await startE2e({ network: 47, targetOverrides: { bakeSeconds: 3, health: { intervalSeconds: 1 } } });
});

afterAll(async () => {
  await e2e?.close();
});

const envOf = (key = e2e.stack.functionKey): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  RELEASE_API: e2e.stack.hostUrl,
  RELEASE_FUNCTION_KEY: key,
});

/** Runs the built bin; resolves with its exit code and output. */
function run(
  args: string[],
  env = envOf(),
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function inProcess(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
    isTTY: false,
    now: () => new Date(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
}

describe('release CLI on the local stack', () => {
  it('watch waits on a release through approval and bake and exits 0; a rollback is followed to exit 11', async () => {
    const id = releaseIdOf(8001);
    expect((await e2e.hook({ id: 8001, number: '8.0.1' })).status).toBe(202);
    const watching = run(['watch', 'webapp', '--interval', '300']);
    const waiting = await e2e.waitFor(
      id,
      (v) => v.phase === 'awaiting-approval' || v.phase === 'done',
      60_000,
    );
    expect((await e2e.decide(waiting, 'approve', 'alice@example.com')).status).toBe(202);
    const watched = await watching;
    console.log(`release watch webapp (not a terminal), as a pipeline log shows it:\n${watched.stdout}`);
    expect({ code: watched.code, stderr: watched.stderr }).toEqual({ code: 0, stderr: '' });
    const lines = watched.stdout.trim().split('\n');
    expect(lines.find((l) => l.includes('webapp-b8001'))).toMatch(
      /^\d\d:\d\d:\d\d webapp-b8001 (Queued|Running)/,
    );
    expect(watched.stdout).toMatch(/deploy\s+✔ ok .*3 instance\(s\) in slot green/);
    expect(watched.stdout).toMatch(/approval\s+✔ ok .*approved by alice@example\.com/);
    expect(watched.stdout).toMatch(/bake\s+✔ ok/);
    expect(lines.at(-1)).toMatch(/webapp-b8001 Succeeded; traffic on green$/);
    expect(watched.stdout + watched.stderr).not.toContain(e2e.stack.functionKey);

    const ls = inProcess();
    expect(await main(['ls', '--target', 'webapp'], envOf(), ls)).toBe(0);
    expect(ls.stdout.join('\n')).toMatch(/webapp-b8001\s+webapp\s+8\.0\.1\s+Succeeded\s+done/);

    const show = inProcess();
    expect(await main(['show', id], envOf(), show)).toBe(0);
    expect(show.stdout.join('\n')).toMatch(
      /VERIFY {2}✔ http:\/\/127\.\d+\.2\.1:8080\/health version 8\.0\.1/,
    );

    const rollback = await run(['rollback', id, '--reason', 'checkout errors']);
    expect(rollback).toEqual({
      code: 0,
      stdout: `${id}: rollback requested; follow it with: release watch ${id}\n`,
      stderr: '',
    });
    const after = await run(['watch', id, '--interval', '300']);
    expect(after.code).toBe(11);
    expect(after.stdout).toMatch(/manual-rollback\s+✔ ok/);
    expect(after.stdout.trim().split('\n').at(-1)).toMatch(
      /traffic back \d+(\.\d+)? (ms|s) after the request/,
    );
    expect(e2e.enabled()).toEqual(['blue']);
  });

  it('exits 2 on bad arguments and 3 when the API refuses, naming the status, never the key', async () => {
    const bad = await run(['watch']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('release: watch needs exactly one release id or target, got 0');

    const wrongKey = await run(['ls'], envOf('not-the-key'));
    expect(wrongKey.code).toBe(3);
    expect(wrongKey.stderr).toMatch(/^release: GET \/api\/releases: HTTP 401/);
    expect(wrongKey.stderr).not.toContain('not-the-key');

    const missing = await run(['show', 'webapp-b404']);
    expect(missing).toMatchObject({ code: 3, stdout: '' });
    expect(missing.stderr).toBe(
      "release: GET /api/releases/webapp-b404: HTTP 404 not-found: no release 'webapp-b404'\n",
    );

    // A function key is no identity: it cannot approve (App Service authentication's token is needed).
    const approve = await run(['approve', 'webapp-b8001']);
    expect(approve.code).toBe(3);
    expect(approve.stderr).toMatch(/^release: POST \/api\/approvals\/webapp-b8001\/approve: HTTP 4\d\d/);

    const down = await run(['ls'], { ...envOf(), RELEASE_API: 'http://127.0.0.1:9' });
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9/);
  });
});
