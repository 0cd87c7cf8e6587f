import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A second octet for fleet addresses that parallel test files are unlikely to share. */
export function testNetwork(): number {
  return 100 + ((process.pid * 7 + Math.floor(Math.random() * 150)) % 150);
}

/** A fresh temporary folder and its remover. */
export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The result of running a command to its end. */
export interface RunOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a file asynchronously (servers in this process must keep answering) and never rejects. */
export function run(file: string, args: string[], env: Record<string, string>): Promise<RunOutput> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: 60000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** GET a URL; answers status, headers and text. */
export async function get(url: string): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Polls until `check` returns a value, or fails naming what was awaited. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  ms = 15000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
