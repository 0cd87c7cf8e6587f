/**
 * The `release` CLI against the whole local stack, as a pipeline runs it: the built bin in a child process,
 * `watch` waiting on a release through approval and bake and exiting 0, a rollback followed to exit 11, and
 * `ls`/`show` in-process; the function key never appears in anything it prints. On a target with approvers it
 * approves as a person signed in on the local host's development sign-in, and without a sign-in says how.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { main } from '../../src/cli/release';
import { atApprovalOrDone, capturedCliIo, releaseIdOf, restartWithTarget, useE2e } from './support';

jest.setTimeout(180_000);

const BIN = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'release.js');
const e2e = useE2e({ network: 47, targetOverrides: { bakeSeconds: 3, health: { intervalSeconds: 1 } } });

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

describe('release CLI on the local stack', () => {
  it('watch waits on a release through approval and bake and exits 0; a rollback is followed to exit 11', async () => {
    const id = releaseIdOf(8001);
    expect((await e2e.hook({ id: 8001, number: '8.0.1' })).status).toBe(202);
    const watching = run(['watch', 'webapp', '--interval', '300']);
    const waiting = await e2e.waitFor(id, atApprovalOrDone, 60_000);
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

    const ls = capturedCliIo();
    expect(await main(['ls', '--target', 'webapp'], envOf(), ls)).toBe(0);
    expect(ls.stdout.join('\n')).toMatch(/webapp-b8001\s+webapp\s+8\.0\.1\s+Succeeded\s+done/);

    const show = capturedCliIo();
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

  it('approves as a person signed in on the development sign-in; without a sign-in it is refused and says how', async () => {
    // The target now names its approver (the host restarts with the new RELEASE_TARGETS).
    await restartWithTarget(e2e, {
      bakeSeconds: 3,
      health: { intervalSeconds: 1 },
      approval: { required: true, timeoutSeconds: 3600, approvers: ['alice@example.com'] },
    });
    const id = releaseIdOf(8002);
    const waiting = await e2e.hookAndWait({ id: 8002, number: '8.0.2' }, atApprovalOrDone, 60_000);
    expect(waiting.approval).toMatchObject({ pending: true, approvers: ['alice@example.com'] });

    const unsigned = await run(['approve', id]);
    expect(unsigned).toMatchObject({ code: 3, stdout: '' });
    expect(unsigned.stderr).toBe(
      `release: POST /api/approvals/${id}/approve: HTTP 401 missing-token: the approval link has no token (to decide without a link, sign in as an approver of the target with App Service authentication)\n` +
        'approve needs a signed-in approver of the target: on the local stack add --sign-in-as <name> (its development sign-in); on Azure set RELEASE_TOKEN to an Entra ID access token for the app (or RELEASE_SESSION)\n',
    );
    // Signed in, but not on the list: refused by the target's policy.
    const mallory = await run(['approve', id, '--sign-in-as', 'mallory@example.com']);
    expect(mallory.code).toBe(3);
    expect(mallory.stderr).toMatch(new RegExp(`^release: POST /api/approvals/${id}/approve: HTTP 403 `));
    expect((await e2e.release(id)).approval?.approvals ?? []).toEqual([]);

    const alice = await run(['approve', id, '--comment', 'ship it'], {
      ...envOf(),
      RELEASE_SIGN_IN_AS: 'alice@example.com',
    });
    expect(alice).toEqual({ code: 0, stdout: `${id}: approved by alice@example.com\n`, stderr: '' });
    const done = await e2e.waitFor(id, (v) => v.phase === 'done', 60_000);
    expect(done.status).toBe('Succeeded');
    expect(done.timeline.find((s) => s.step === 'approval')?.detail).toMatch(
      /approved by alice@example\.com/,
    );
    // The session is a credential: nothing the CLI printed shows it.
    for (const out of [unsigned, mallory, alice])
      expect(out.stdout + out.stderr).not.toMatch(/AppServiceAuthSession|=\S+\.\S+;/);
  });
});
