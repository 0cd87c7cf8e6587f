import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');
const FIXTURES = join(__dirname, 'fixtures');
const KEY = 'crash-test-key';
const DURABLE = '/runtime/webhooks/durabletask';

interface HostProcess {
  child: ChildProcess;
  url: string;
}

/** Starts the host CLI (TypeScript sources, transpiled on load) on a free port. */
function spawnHost(dataDir: string, logFile: string): Promise<HostProcess> {
  const child = spawn(
    process.execPath,
    [
      '-r',
      join(FIXTURES, 'ts-register.js'),
      join(ROOT, 'local/host/main.ts'),
      '--app',
      join(FIXTURES, 'crashApp.js'),
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--key',
      KEY,
      '--quiet',
    ],
    { cwd: ROOT, env: { ...process.env, CRASH_LOG: logFile }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolvePromise, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolvePromise({ child, url: m[1] });
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`host exited early (${code}): ${err}${out}`)));
  });
}

function kill9(host: HostProcess): Promise<void> {
  return new Promise((resolvePromise) => {
    if (host.child.exitCode !== null || host.child.signalCode !== null) return resolvePromise();
    host.child.once('exit', () => resolvePromise());
    host.child.kill('SIGKILL');
  });
}

const headers = { 'x-functions-key': KEY, 'content-type': 'application/json' };

async function status(
  host: HostProcess,
  id: string,
): Promise<{ runtimeStatus: string; customStatus: unknown; output: unknown }> {
  const res = await fetch(`${host.url}${DURABLE}/instances/${id}`, { headers });
  return (await res.json()) as { runtimeStatus: string; customStatus: unknown; output: unknown };
}

async function waitFor(
  host: HostProcess,
  id: string,
  done: (s: { runtimeStatus: string; customStatus: unknown }) => boolean,
): Promise<{ runtimeStatus: string; customStatus: unknown; output: unknown }> {
  let last: { runtimeStatus: string; customStatus: unknown; output: unknown } | undefined;
  for (let i = 0; i < 300; i++) {
    last = await status(host, id);
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`instance ${id} never reached the expected state; last: ${JSON.stringify(last)}`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('crash recovery of the host CLI on SQLite (kill -9)', () => {
  let dir: string;
  const running: HostProcess[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'local-host-crash-'));
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map(kill9));
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (): Promise<HostProcess> => {
    const host = await spawnHost(join(dir, 'data'), join(dir, 'activities.log'));
    running.push(host);
    return host;
  };

  it('resumes an instance killed while starting, while awaiting an event and while sleeping on a timer', async () => {
    const sleepMs = 1200;
    // 1. Start, and kill at once: the activity is queued or running.
    const a = await start();
    const started = await fetch(`${a.url}${DURABLE}/orchestrators/CrashFlow/crash-1`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ sleepMs }),
    });
    expect(started.status).toBe(202);
    await kill9(a);

    // 2. Restart: the pending work resumes and the instance waits for its event; kill while it waits.
    const b = await start();
    await waitFor(b, 'crash-1', (s) => s.customStatus === 'waiting');
    await kill9(b);

    // 3. Restart: the event is delivered; kill as soon as it sleeps on its durable timer.
    const c = await start();
    const raised = await fetch(`${c.url}${DURABLE}/instances/crash-1/raiseEvent/Go`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ by: 'bob' }),
    });
    expect(raised.status).toBe(202);
    await waitFor(c, 'crash-1', (s) => s.customStatus === 'sleeping');
    await kill9(c);

    // 4. Restart once the timer is overdue: it fires at once and the instance completes.
    await sleep(sleepMs + 100);
    const d = await start();
    const final = await waitFor(d, 'crash-1', (s) => s.runtimeStatus === 'Completed');
    expect(final.output).toEqual(['done:one', { by: 'bob' }, 'done:two', 'done:three']);

    const runs = readFileSync(join(dir, 'activities.log'), 'utf8').trim().split('\n');
    const count = (step: string): number => runs.filter((r) => r === `Step:${step}`).length;
    // Killed with 'one' possibly in flight: at-least-once. Completed steps are never run again.
    expect(count('one')).toBeGreaterThanOrEqual(1);
    expect(count('one')).toBeLessThanOrEqual(2);
    expect(count('two')).toBe(1);
    expect(count('three')).toBe(1);
  });

  it('keeps an event raised just before the kill', async () => {
    const a = await start();
    await fetch(`${a.url}${DURABLE}/orchestrators/CrashFlow/crash-2`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ sleepMs: 0 }),
    });
    // Raised before the orchestration waits: buffered (queued or in history), then killed.
    const raised = await fetch(`${a.url}${DURABLE}/instances/crash-2/raiseEvent/Go`, {
      method: 'POST',
      headers,
      body: JSON.stringify('early'),
    });
    expect(raised.status).toBe(202);
    await kill9(a);
    const b = await start();
    const final = await waitFor(b, 'crash-2', (s) => s.runtimeStatus === 'Completed');
    expect(final.output).toEqual(['done:one', 'early', 'done:two', 'done:three']);
  });

  it('completes every instance correctly after kills at random moments', async () => {
    const bases = [1000, 2000, 3000];
    const expected = (b: number): number =>
      [0, 1, 2, 3].reduce((t, i) => t + (b + i) * 10, 0) +
      [1, 2, 3].reduce((t, i) => t + (b + 100 + i) * 10, 0) +
      (b + 200) * 10;
    let host = await start();
    for (const base of bases) {
      const res = await fetch(`${host.url}${DURABLE}/orchestrators/Burst/burst-${base}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(base),
      });
      expect(res.status).toBe(202);
    }
    for (let kill = 0; kill < 3; kill++) {
      await sleep(20 + Math.floor(Math.random() * 120));
      await kill9(host);
      host = await start();
    }
    for (const base of bases) {
      const final = await waitFor(
        host,
        `burst-${base}`,
        (s) => s.runtimeStatus !== 'Running' && s.runtimeStatus !== 'Pending',
      );
      expect(final).toMatchObject({ runtimeStatus: 'Completed', output: expected(base) });
    }
    const runs = readFileSync(join(dir, 'activities.log'), 'utf8').trim().split('\n');
    for (const base of bases) {
      for (const input of [0, 1, 2, 3, 101, 102, 103, 200].map((d) => base + d)) {
        const n = runs.filter((r) => r === `SlowStep:${input}`).length;
        // At least once; a step runs again only if a kill caught it before its result was committed.
        expect(n).toBeGreaterThanOrEqual(1);
        expect(n).toBeLessThanOrEqual(4);
      }
    }
  });
});
