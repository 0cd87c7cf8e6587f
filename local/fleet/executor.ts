import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunCommandExecutor, RunCommandOutcome, RunCommandRequest } from '../contracts';

/** What the local host supplies for one instance when the app's parameters leave it unset. */
export interface InstanceHostSettings {
  /** Install root of the instance (the script's INSTALL_ROOT). */
  INSTALL_ROOT: string;
  /** The instance's own health URL (the script's HEALTH_URL). */
  HEALTH_URL: string;
  /** Restarts the instance's service (the script's RESTART_COMMAND). */
  RESTART_COMMAND: string;
}

/** A run command outcome, plus whether the run was killed on its timeout. */
export interface FleetRunCommandOutcome extends RunCommandOutcome {
  timedOut: boolean;
}

/** Options of the local run command executor. */
export interface RunCommandExecutorOptions {
  /** Where each run's script file is written (`<workDir>/<instance>/<runName>/script.sh`). */
  workDir: string;
  /** The host-side settings of an instance, by fleet instance name; undefined for an unknown instance. */
  instance(name: string): InstanceHostSettings | undefined;
  /** Output kept per stream (the tail); default 64 KiB. */
  maxOutputBytes?: number;
  /** Between SIGTERM and SIGKILL when a run times out; default 2000 ms. */
  killGraceMs?: number;
}

/** Exit code reported for a run killed on its timeout (as coreutils' `timeout` does). */
export const TIMEOUT_EXIT_CODE = 124;

/** `vmss-x_3` from `.../virtualMachineScaleSets/vmss-x/virtualMachines/3`, or the VM name. */
export function instanceNameFromResourceId(resourceId: string): string | undefined {
  const vmss = /\/virtualMachineScaleSets\/([^/]+)\/virtualMachines\/([^/]+)/i.exec(resourceId);
  if (vmss) return `${vmss[1]}_${vmss[2]}`;
  return /\/virtualMachines\/([^/]+)$/i.exec(resourceId)?.[1];
}

class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly max: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - this.chunks[0].length >= this.max) this.size -= this.chunks.shift()!.length;
  }
  toString(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.max)).toString('utf8');
  }
}

/**
 * Runs managed run commands on the local fleet as the Linux agent does: the script the app sent is
 * written to a file and run with `bash`, its parameters as environment variables. INSTALL_ROOT,
 * HEALTH_URL and RESTART_COMMAND are filled with the instance's own values only when the app did not
 * send them (or sent them empty): on real VMs the script's defaults apply there. Runs on different
 * instances proceed in parallel; a run over its timeout is killed (process group) and reported with
 * exit code 124 and `timedOut: true`.
 */
export function createRunCommandExecutor(options: RunCommandExecutorOptions): RunCommandExecutor & {
  execute(request: RunCommandRequest): Promise<FleetRunCommandOutcome>;
} {
  const maxOutput = options.maxOutputBytes ?? 65536;
  const grace = options.killGraceMs ?? 2000;
  let sequence = 0;

  return {
    async execute(request: RunCommandRequest): Promise<FleetRunCommandOutcome> {
      const name = request.instanceName || instanceNameFromResourceId(request.resourceId) || '';
      const host =
        options.instance(name) ?? options.instance(instanceNameFromResourceId(request.resourceId) ?? '');
      if (!host) {
        throw new Error(
          `run command ${request.runName}: no fleet instance '${name}' (${request.resourceId})`,
        );
      }
      const safeRun = request.runName.replace(/[^A-Za-z0-9._-]/g, '_') || 'run';
      const dir = path.join(options.workDir, name, `${safeRun}-${process.pid}-${++sequence}`);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const scriptFile = path.join(dir, 'script.sh');
      writeFileSync(scriptFile, request.script, { mode: 0o700 });

      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
        HOME: process.env.HOME ?? '/root',
        LANG: 'C.UTF-8',
        TMPDIR: dir,
      };
      for (const [key, value] of Object.entries(host)) env[key] = value;
      for (const [key, value] of Object.entries(request.parameters)) {
        if (value !== '' || !(key in host)) env[key] = value;
      }

      const startedAt = new Date().toISOString();
      const stdout = new Tail(maxOutput);
      const stderr = new Tail(maxOutput);
      const child = spawn('bash', [scriptFile], {
        cwd: dir,
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (c: Buffer) => stdout.push(c));
      child.stderr.on('data', (c: Buffer) => stderr.push(c));

      let timedOut = false;
      const killGroup = (signal: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          // already gone
        }
      };
      // Azure's default for a managed run command is 90 minutes.
      const timeoutSeconds =
        Number.isFinite(request.timeoutSeconds) && request.timeoutSeconds > 0 ? request.timeoutSeconds : 5400;
      const timeoutMs = timeoutSeconds * 1000;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup('SIGTERM');
        setTimeout(() => killGroup('SIGKILL'), grace).unref();
      }, timeoutMs);

      const exitCode = await new Promise<number>((resolve) => {
        child.on('error', (err) => {
          stderr.push(Buffer.from(`run command: cannot start bash: ${err.message}\n`));
          resolve(127);
        });
        // 'close' waits for the output streams, so the tail is complete.
        child.on('close', (code, signal) =>
          resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1)),
        );
      });
      clearTimeout(timer);
      if (timedOut) stderr.push(Buffer.from(`run command: timed out after ${timeoutSeconds}s\n`));
      return {
        exitCode: timedOut ? TIMEOUT_EXIT_CODE : exitCode,
        stdout: stdout.toString(),
        stderr: stderr.toString(),
        startedAt,
        endedAt: new Date().toISOString(),
        timedOut,
      };
    },
  };
}
