import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';

/** Options of one instance's service supervisor. */
export interface InstanceServiceOptions {
  name: string;
  address: string;
  /** 0 lets the first start pick a free port; later restarts keep it. */
  port: number;
  /** Install root: the service runs `<root>/current/server.js`. */
  root: string;
  startTimeoutMs?: number;
}

/** What an instance serves right now. */
export interface InstanceState {
  name: string;
  address: string;
  port: number;
  running: boolean;
  /** The version of the running process (from its release's app.json). */
  version?: string;
  /** The release `current` pointed at when the process started. */
  release?: string;
  pid?: number;
  restarts: number;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The local stand-in for an instance's systemd unit: runs the release `current` points at as a child
 * process on the instance's own address, restarts it on demand (what the deploy script's restart
 * command triggers) and after a crash. The child exits when its IPC channel closes, so a supervisor
 * killed with kill -9 leaves no process holding the address.
 */
export class InstanceService {
  private child: ChildProcess | undefined;
  private stopping = false;
  private queue: Promise<unknown> = Promise.resolve();
  private restarts = 0;
  private crashTimer: NodeJS.Timeout | undefined;
  private version: string | undefined;
  private release: string | undefined;
  port: number;

  constructor(private readonly options: InstanceServiceOptions) {
    this.port = options.port;
  }

  /** Where the service's output goes. */
  get logFile(): string {
    return path.join(this.options.root, 'service.log');
  }

  state(): InstanceState {
    return {
      name: this.options.name,
      address: this.options.address,
      port: this.port,
      running: Boolean(this.child && this.child.exitCode === null && this.child.signalCode === null),
      version: this.version,
      release: this.release,
      pid: this.child?.pid,
      restarts: this.restarts,
    };
  }

  /** Starts the service (serialised with restarts). */
  start(): Promise<InstanceState> {
    return this.serialise(() => this.spawnWithRetry());
  }

  /** Stops the running process and starts the release `current` points at now. */
  restart(): Promise<InstanceState> {
    return this.serialise(async () => {
      await this.kill();
      this.restarts++;
      return this.spawnWithRetry();
    });
  }

  /** Stops the service for good. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.crashTimer);
    await this.queue.catch(() => undefined);
    await this.kill();
  }

  private serialise<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async spawnWithRetry(): Promise<InstanceState> {
    // The previous process (or one left by a killed supervisor) may still hold the address briefly.
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < 8; attempt++) {
      if (this.stopping) throw new Error(`start ${this.options.name}: the instance is stopping`);
      try {
        return await this.spawnOnce();
      } catch (err) {
        lastError = err as Error;
        if (!/EADDRINUSE/.test(lastError.message)) break;
        await delay(250 * (attempt + 1));
      }
    }
    throw lastError ?? new Error(`start ${this.options.name}: failed`);
  }

  private spawnOnce(): Promise<InstanceState> {
    const { name, address, root } = this.options;
    const current = path.join(root, 'current');
    let releaseDir: string;
    try {
      releaseDir = realpathSync(current);
    } catch (err) {
      return Promise.reject(
        new Error(`start ${name}: ${current} does not resolve: ${(err as Error).message}`),
      );
    }
    const serverJs = path.join(releaseDir, 'server.js');
    if (!existsSync(serverJs)) return Promise.reject(new Error(`start ${name}: ${serverJs} is missing`));
    mkdirSync(root, { recursive: true });
    const logFd = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, [serverJs], {
      cwd: releaseDir,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOST: address,
        PORT: String(this.port),
        INSTANCE_NAME: name,
      },
      stdio: ['ignore', logFd, logFd, 'ipc'],
    });
    closeSync(logFd);
    const timeoutMs = this.options.startTimeoutMs ?? 10000;
    return new Promise<InstanceState>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`start ${name}: ${serverJs} did not listen within ${timeoutMs} ms`));
      }, timeoutMs);
      const onExit = (code: number | null, signal: string | null) => {
        clearTimeout(timer);
        const tail = this.logTail();
        reject(new Error(`start ${name}: ${serverJs} exited (${signal ?? code}) before listening: ${tail}`));
      };
      child.once('exit', onExit);
      child.on('message', (message: { type?: string; port?: number; version?: string }) => {
        if (message?.type !== 'listening') return;
        clearTimeout(timer);
        child.off('exit', onExit);
        this.child = child;
        this.port = message.port ?? this.port;
        this.version = message.version;
        this.release = path.basename(releaseDir);
        child.once('exit', () => this.onUnexpectedExit(child));
        resolve(this.state());
      });
    });
  }

  private onUnexpectedExit(child: ChildProcess): void {
    if (this.child !== child) return;
    this.child = undefined;
    if (this.stopping) return;
    // Like systemd's Restart=on-failure: come back after a pause.
    this.crashTimer = setTimeout(() => {
      this.serialise(async () => (this.child || this.stopping ? this.state() : this.spawnWithRetry())).catch(
        () => undefined,
      );
    }, 1000);
  }

  private async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }

  private logTail(): string {
    try {
      return readFileSync(this.logFile, 'utf8').trim().split('\n').slice(-3).join(' | ');
    } catch {
      return '(no output)';
    }
  }
}
