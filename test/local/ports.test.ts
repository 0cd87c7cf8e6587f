import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePortsFree, localAddresses, portFree } from '../../local/ports';

const ROOT = join(__dirname, '../..');

describe('local addresses from one setting', () => {
  it('stack 0 keeps the documented ports and fleet network; stack N moves every one of them', () => {
    expect(localAddresses({})).toEqual({
      stack: 0,
      hostPort: 7071,
      armPort: 7072,
      artifactPort: 7073,
      controlPort: 7074,
      dnsPort: 7075,
      edgePort: 7076,
      network: 0,
    });
    expect(localAddresses({ LOCAL_STACK: '3' })).toEqual({
      stack: 3,
      hostPort: 7101,
      armPort: 7102,
      artifactPort: 7103,
      controlPort: 7104,
      dnsPort: 7105,
      edgePort: 7106,
      network: 3,
    });
    expect(localAddresses({ LOCAL_STACK: '3', PORT: '9000', LOCAL_ARM_PORT: '9001' })).toMatchObject({
      hostPort: 9000,
      armPort: 9001,
      artifactPort: 7103,
    });
  });

  it.each(['-1', '100', '1.5', 'two', ' '])(
    'refuses LOCAL_STACK=%p, naming the setting and the rule',
    (raw) => {
      expect(() => localAddresses({ LOCAL_STACK: raw })).toThrow(
        /^LOCAL_STACK must be an integer from 0 to 99/,
      );
    },
  );

  it('names every port in use, with what to do', async () => {
    const { createServer } = await import('node:net');
    const held = createServer();
    await new Promise<void>((r) => held.listen(0, '127.0.0.1', () => r()));
    const port = (held.address() as { port: number }).port;
    try {
      await expect(ensurePortsFree({ 'artifact server': port, app: 0 })).rejects.toThrow(
        `local stack: address already in use: 127.0.0.1:${port} (artifact server). Another local stack (or program) runs here: stop it, or start this one as another stack with LOCAL_STACK=1`,
      );
    } finally {
      held.close();
    }
  });
});

/** `npm start`'s entry point as a child process, with its output kept. */
function start(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'local', 'start.js')], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}

async function until(what: string, check: () => boolean, output: () => string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} not seen within ${ms} ms; output:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A LOCAL_STACK whose ports and fleet addresses are all free on this machine. */
async function freeStack(from: number, not: number[] = []): Promise<number> {
  for (let n = from; n <= 99; n++) {
    if (not.includes(n)) continue;
    const a = localAddresses({ LOCAL_STACK: String(n) });
    const ports = [a.hostPort, a.armPort, a.artifactPort, a.controlPort];
    const fleet = [1, 2].flatMap((slot) => [1, 10, 11, 12].map((h) => `127.${n}.${slot}.${h}`));
    const free = await Promise.all([
      ...ports.map((p) => portFree('127.0.0.1', p)),
      ...fleet.map((h) => portFree(h, 8080)),
    ]);
    if (free.every(Boolean)) return n;
  }
  throw new Error('no free LOCAL_STACK in 60..99');
}

describe('two stacks on one machine', () => {
  jest.setTimeout(120_000);
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('npm start runs twice side by side with LOCAL_STACK; a third on a taken stack says the address is in use', async () => {
    const a = await freeStack(60);
    const b = await freeStack(a + 1);
    const env = (n: number): Record<string, string> => {
      const dir = mkdtempSync(join(tmpdir(), `stack-${n}-`));
      dirs.push(dir);
      return { LOCAL_STACK: String(n), LOCAL_DATA_DIR: dir, PORT: '', LOCAL_ARM_PORT: '' };
    };
    const first = start(env(a));
    const second = start(env(b));
    children.push(first.child, second.child);
    await until('first banner', () => first.output().includes('local stack is up'), first.output);
    await until('second banner', () => second.output().includes('local stack is up'), second.output);

    for (const [n, s] of [
      [a, first],
      [b, second],
    ] as const) {
      const at = localAddresses({ LOCAL_STACK: String(n) });
      expect(s.output()).toContain(`http://127.0.0.1:${at.hostPort}/api`);
      expect(s.output()).toContain(`https://127.0.0.1:${at.armPort}`);
      expect(s.output()).toContain(`blue http://127.${n}.1.1:8080`);
      const res = await fetch(`http://127.0.0.1:${at.hostPort}/api/releases?code=local-dev-function-key`);
      expect(res.status).toBe(200);
      const art = await fetch(`http://127.0.0.1:${at.artifactPort}/artifacts/p/1.0.${n}/app.tar.gz`);
      expect(art.status).toBe(200);
      await art.arrayBuffer();
    }

    const third = start(env(a));
    children.push(third.child);
    expect(await third.exited).toBe(1);
    expect(third.output()).toContain('address already in use');
    expect(third.output()).toContain(
      `127.0.0.1:${localAddresses({ LOCAL_STACK: String(a) }).hostPort} (app)`,
    );
    expect(first.child.exitCode).toBeNull(); // the first stack is untouched

    first.child.kill('SIGTERM');
    second.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(await second.exited).toBe(0);
  });
});
