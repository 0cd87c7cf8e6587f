/**
 * `npm start` and `npm run demo` run the local stack through npm, which runs each script with `sh -c` and forwards
 * a SIGTERM (a supervisor's stop, a cancelled CI job) to that shell only. Debian's sh does not exec a script's last
 * command, so without `exec` the shell died and the stack kept running, holding its ports. Each script's own text
 * runs here under npm with the node program swapped for one that reports its pid and waits.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

jest.setTimeout(30_000);

const scripts = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts;

/** Whether the process is still there (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each([
  ['start', 'dist/local/start.js'],
  ['demo', 'dist/local/demo.js'],
])('npm run %s', (name, program) => {
  it('stops the program it runs when npm gets SIGTERM', async () => {
    const script = scripts[name]!;
    expect(script).toContain(`node ${program}`);
    const dir = mkdtempSync(join(tmpdir(), 'npm-signals-'));
    try {
      // The script as written, minus the build it may run first, with a stand-in program at the same path.
      const body = script.replace(/^npm run build && /, '');
      writeFileSync(
        join(dir, 'package.json'),
        JSON.stringify({ name: 'signals', scripts: { [name]: body } }),
      );
      const waiter = "require('fs').writeFileSync('pid', String(process.pid)); setInterval(() => {}, 1000);";
      const path = join(dir, program);
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, waiter);
      const npm = spawn('npm', ['run', name, '--silent'], { cwd: dir, stdio: 'ignore' });
      let pid: number | undefined;
      for (let i = 0; i < 200 && pid === undefined; i++) {
        await sleep(50);
        try {
          pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
        } catch {
          // not written yet
        }
      }
      expect(pid).toBeDefined();
      expect(alive(pid!)).toBe(true);
      const npmExited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
      npm.kill('SIGTERM');
      await npmExited;
      for (let i = 0; i < 100 && alive(pid!); i++) await sleep(50);
      const survived = alive(pid!);
      if (survived) process.kill(pid!, 'SIGKILL');
      expect(survived).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
