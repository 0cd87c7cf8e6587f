/** Embeds the local Functions + Durable host: `startHost` (server, CLI, e2e) and `createTestHost` (jest). */
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { HostClock } from './clock';
import { ManualClock, SystemClock } from './clock';
import { installCoreModule } from './coreModule';
import type { ActivityRun, StatusPayload } from './durable/engine';
import { DurableEngine } from './durable/engine';
import { MemoryStore } from './durable/memoryStore';
import { SqliteStore } from './durable/sqliteStore';
import type { DurableStore, HistoryEvent, InstanceFilter } from './durable/types';
import type { Registry } from './functionsCore';
import { beginRegistration, endRegistration, releaseRegistry, setLogSink } from './functionsCore';
import { runAppHooks } from './invoke';
import type { HostServer } from './server';
import { rpcInProcess } from './rpcChannel';
import { startHostServer } from './server';
import { startTimers, type TimerRunner } from './timers';
import { activityLimit } from '../../src/core/config/hostLimits';
import { loadLocalSettings } from './settings';
import { readVersioning, type VersioningSettings } from './versioning';

/** The key printed at start when LOCAL_FUNCTION_KEY is not set (documented; local use only). */
export const DEFAULT_FUNCTION_KEY = 'local-dev-function-key';
/** The port used when neither the option nor PORT is set. */
export const DEFAULT_PORT = 7071;

/** Options of `startHost`. */
export interface StartHostOptions {
  /**
   * What registers the app's functions: a function that makes the `app.*` calls, or module path(s)/glob(s)
   * (relative to appDir). Default: package.json `main` of appDir (e.g. `dist/src/functions/*.js`).
   */
  appEntry?: string | string[] | (() => void | Promise<void>);
  /** Folder with package.json, host.json and local.settings*.json (default: process.cwd()). */
  appDir?: string;
  /** Port on 127.0.0.1; 0 picks a free one (default: PORT, else 7071). */
  port?: number;
  /** SQLite data folder (default: LOCAL_DATA_DIR, else `<appDir>/.local-data`). Ignored with inMemory/store. */
  dataDir?: string;
  /** Keep durable state in memory (tests). */
  inMemory?: boolean;
  /** A ready store (overrides dataDir/inMemory). */
  store?: DurableStore;
  /** Function key (default: LOCAL_FUNCTION_KEY, else DEFAULT_FUNCTION_KEY). */
  functionKey?: string;
  /** Clock/scheduler (default: real time). */
  clock?: HostClock;
  /** Load local.settings(.sample).json into process.env first (default: true unless appEntry is a function). */
  loadSettings?: boolean;
  /** Print worker/user logs (default true). */
  logs?: boolean;
  /** Print errors of functions and engine steps on stderr (default true); always kept in `errors`. */
  printErrors?: boolean;
  /** Task hub name in client payloads (default: host.json durableTask.hubName, else LocalHub). */
  taskHubName?: string;
  /**
   * Activities run at once (default: host.json `maxConcurrentActivityFunctions` or its app-setting override,
   * the same number the app's configuration checks `maxParallel` against).
   */
  maxConcurrentActivities?: number;
  /**
   * Messages an episode takes for one instance (default: host.json `storageProvider.controlQueueBatchSize`, else
   * Azure Storage's 32): the engine hands an instance the events queued behind its message together, as Azure does.
   */
  controlQueueBatchSize?: number;
  /**
   * The development sign-in standing in for App Service authentication (`/.auth/login/aad`; default on,
   * `LOCAL_AUTH=off` turns it off). On, the app also gets `WEBSITE_AUTH_ENABLED=True` as App Service sets it.
   * Client-sent principal headers are removed either way.
   */
  devAuth?: boolean;
  /**
   * Orchestration versioning (default: host.json `defaultVersion`, `versionMatchStrategy`, `versionFailureStrategy`
   * of appDir, each overridden by its `AzureFunctionsJobHost__extensions__durableTask__*` app setting).
   */
  versioning?: VersioningSettings;
  /**
   * How the SDK's rpc channel is answered: in process (default) or over loopback HTTP (`LOCAL_RPC_TRANSPORT=http`);
   * see rpcChannel.ts.
   */
  rpcTransport?: 'in-process' | 'http';
}

/** A running host. */
export interface RunningHost {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly functionKey: string;
  /** Route prefix of HTTP triggers (host.json `extensions.http.routePrefix`, default `api`). */
  readonly routePrefix: string;
  readonly engine: DurableEngine;
  readonly clock: HostClock;
  readonly registry: Registry;
  /** The app's timer triggers, run on `clock`. */
  readonly timers: TimerRunner;
  /** SQLite folder, when on disk. */
  readonly dataDir: string | undefined;
  /** The settings file that was loaded, if any. */
  readonly settingsFile: string | undefined;
  /** Errors of functions and engine steps (also printed unless `logs: false`). */
  readonly errors: string[];
  /** Stops serving, lets the step in flight finish, runs appTerminate hooks, closes the store. */
  close(): Promise<void>;
}

/** Expands `dir/*.js`-style globs (a `*` in the last segment only, as `main` globs are). */
function expandEntry(appDir: string, pattern: string): string[] {
  const full = isAbsolute(pattern) ? pattern : join(appDir, pattern);
  if (!full.includes('*')) return [full];
  const dir = dirname(full);
  const name = full.slice(dir.length + 1);
  if (dir.includes('*'))
    throw new Error(`host: glob '${pattern}' has a wildcard in a folder; only file names may have one`);
  if (!existsSync(dir))
    throw new Error(`host: app folder '${dir}' (from '${pattern}') does not exist: build the app first`);
  const regex = new RegExp(`^${name.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  return readdirSync(dir)
    .filter((f) => regex.test(f))
    .sort()
    .map((f) => join(dir, f));
}

async function loadModule(file: string): Promise<void> {
  if (file.endsWith('.mjs')) {
    await import(pathToFileURL(file).href);
    return;
  }
  try {
    // Plain require on purpose: under jest it is jest's require, so the app shares the test's module registry.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(file);
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_REQUIRE_ESM') await import(pathToFileURL(file).href);
    else throw err;
  }
}

/** The parts of host.json the host reads itself (undefined when missing or not JSON). */
interface HostJson {
  extensions?: {
    http?: { routePrefix?: string };
    durableTask?: { hubName?: string; storageProvider?: { controlQueueBatchSize?: unknown } };
  };
}

function readHostJson(appDir: string): HostJson | undefined {
  const file = join(appDir, 'host.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as HostJson;
  } catch {
    return undefined;
  }
}

function readHubName(appDir: string): string | undefined {
  return readHostJson(appDir)?.extensions?.durableTask?.hubName;
}

/** `storageProvider.controlQueueBatchSize` of host.json, or its app-setting override; undefined when unset or not a count. */
export function readControlQueueBatchSize(appDir: string, env: NodeJS.ProcessEnv): number | undefined {
  const setting = env.AzureFunctionsJobHost__extensions__durableTask__storageProvider__controlQueueBatchSize;
  const raw: unknown = setting?.trim()
    ? Number(setting)
    : readHostJson(appDir)?.extensions?.durableTask?.storageProvider?.controlQueueBatchSize;
  return typeof raw === 'number' && Number.isInteger(raw) && raw >= 1 ? raw : undefined;
}

function readRoutePrefix(appDir: string): string | undefined {
  return readHostJson(appDir)?.extensions?.http?.routePrefix;
}

/** Runs the registering function, or loads the app module(s) (package.json `main` by default). */
async function loadApp(appDir: string, appEntry: StartHostOptions['appEntry']): Promise<void> {
  if (typeof appEntry === 'function') {
    await appEntry();
    return;
  }
  let entries = appEntry === undefined ? [] : [appEntry].flat();
  if (entries.length === 0) {
    const pkgFile = join(appDir, 'package.json');
    const main = existsSync(pkgFile)
      ? (JSON.parse(readFileSync(pkgFile, 'utf8')) as { main?: string }).main
      : undefined;
    if (!main) throw new Error(`host: no appEntry given and no package.json "main" in ${appDir}`);
    entries = [main];
  }
  const files = entries.flatMap((e) => expandEntry(appDir, e));
  if (files.length === 0) throw new Error(`host: no app module matches ${entries.join(', ')}`);
  for (const file of files) await loadModule(file);
}

let websiteHostnameOwner: symbol | undefined;

/** Starts the host: loads settings and the app, then serves HTTP and runs the Durable engine. */
export async function startHost(options: StartHostOptions = {}): Promise<RunningHost> {
  const appDir = resolve(options.appDir ?? process.cwd());
  const loadSettings = options.loadSettings ?? typeof options.appEntry !== 'function';
  const settings = loadSettings ? loadLocalSettings(appDir) : { file: undefined, applied: [] };
  const functionKey = options.functionKey ?? process.env.LOCAL_FUNCTION_KEY ?? DEFAULT_FUNCTION_KEY;
  if (!functionKey) throw new Error('host: the function key must not be empty');
  const port = options.port ?? (process.env.PORT ? Number(process.env.PORT) : DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`host: invalid port '${String(port)}'`);
  const clock = options.clock ?? new SystemClock();
  const devAuth = options.devAuth ?? process.env.LOCAL_AUTH?.toLowerCase() !== 'off';
  // As on App Service with authentication on; the app trusts the principal headers only with it.
  if (devAuth && typeof options.appEntry !== 'function') process.env.WEBSITE_AUTH_ENABLED ??= 'True';
  const logs = options.logs ?? true;
  const errors: string[] = [];
  const logError = (message: string): void => {
    errors.push(message);
    if (options.printErrors ?? true) console.error(message);
  };
  setLogSink((level, category, message) => {
    if (level === 'error' || level === 'critical') logError(`[${category}:${level}] ${message}`);
    else if (logs && (level === 'warning' || level === 'information' || category === 'user')) {
      console.log(`[${category}:${level}] ${message}`);
    }
  });

  // 1. The core module (node only: under jest, moduleNameMapper serves it), 2. the app, 3. lock.
  installCoreModule();
  const registry = beginRegistration();
  try {
    await loadApp(appDir, options.appEntry);
    endRegistration();
    if (registry.functions.size === 0) {
      throw new Error(
        'host: the app registered no function (is @azure/functions-core served? did the entry run?)',
      );
    }
    if (registry.programmingModel) {
      const capabilities = await registry.programmingModel.getCapabilities({});
      if (capabilities.HttpUri) {
        throw new Error('host: app.setup({ enableHttpStream: true }) is not supported by the local host');
      }
    }
  } catch (err) {
    // A failed start leaves no locked registry behind for the next host or test.
    releaseRegistry(registry);
    throw err;
  }

  let dataDir: string | undefined;
  let store: DurableStore;
  if (options.store) store = options.store;
  else if (options.inMemory) store = new MemoryStore();
  else {
    dataDir = resolve(options.dataDir ?? process.env.LOCAL_DATA_DIR ?? join(appDir, '.local-data'));
    store = new SqliteStore(dataDir);
  }

  const routePrefix = readRoutePrefix(appDir) ?? 'api';
  let server: HostServer | undefined;
  const engine = new DurableEngine({
    store,
    clock,
    registry: () => registry,
    durableClient: () => {
      if (!server) throw new Error('host: the durable client is not available before the server listens');
      return server.durableClientPayload();
    },
    taskHubName: options.taskHubName ?? readHubName(appDir) ?? 'LocalHub',
    maxConcurrentActivities: options.maxConcurrentActivities ?? activityLimit(process.env, appDir).value,
    controlQueueBatchSize: options.controlQueueBatchSize ?? readControlQueueBatchSize(appDir, process.env),
    versioning: options.versioning ?? readVersioning(appDir, process.env),
    logError,
  });
  try {
    server = await startHostServer({
      registry: () => registry,
      engine,
      functionKey,
      port,
      routePrefix,
      logError,
      rpcInProcess: rpcInProcess(options.rpcTransport),
      ...(devAuth
        ? { devAuthSecret: createHmac('sha256', functionKey).update('local-dev-auth').digest('base64url') }
        : {}),
    });
  } catch (err) {
    store.close();
    releaseRegistry(registry);
    throw new Error(
      `host: cannot listen on 127.0.0.1:${port}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }

  // getClient rewrites client URLs to localhost:7071 unless WEBSITE_HOSTNAME is set; also keep axios off proxies.
  const owner = Symbol('host');
  if (!process.env.WEBSITE_HOSTNAME || websiteHostnameOwner) {
    process.env.WEBSITE_HOSTNAME = `127.0.0.1:${server.port}`;
    websiteHostnameOwner = owner;
  }
  for (const name of ['NO_PROXY', 'no_proxy']) {
    const current = process.env[name] ?? '';
    if (!current.split(',').includes('127.0.0.1')) {
      process.env[name] = [current, '127.0.0.1', 'localhost'].filter(Boolean).join(',');
    }
  }

  await runAppHooks(registry, 'appStart', appDir);
  engine.start();
  let timers: TimerRunner;
  try {
    timers = startTimers({
      registry,
      clock,
      settings: process.env,
      durableClient: () => server.durableClientPayload(),
      logError,
    });
  } catch (err) {
    await server.close();
    await engine.stop();
    releaseRegistry(registry);
    store.close();
    throw err;
  }

  let closed = false;
  const running = server;
  return {
    url: running.url,
    port: running.port,
    functionKey,
    routePrefix,
    engine,
    clock,
    registry,
    timers,
    dataDir,
    settingsFile: settings.file,
    errors,
    async close() {
      if (closed) return;
      closed = true;
      timers.stop();
      await timers.idle();
      await running.close();
      await engine.stop();
      try {
        await runAppHooks(registry, 'appTerminate', appDir);
      } finally {
        releaseRegistry(registry);
        store.close();
        if (websiteHostnameOwner === owner) {
          delete process.env.WEBSITE_HOSTNAME;
          websiteHostnameOwner = undefined;
        }
      }
    },
  };
}

/** Options of `createTestHost`. */
export interface TestHostOptions {
  /** Makes the app's `app.*` / `df.app.*` registrations (called once, inside a fresh registry). */
  register: () => void | Promise<void>;
  /** Default: a ManualClock starting at 2026-01-01T09:00:00Z. */
  clock?: ManualClock;
  /** Default: in memory. */
  store?: DurableStore;
  functionKey?: string;
  /** Print app logs and errors (default false; errors are always kept in `errors`). */
  logs?: boolean;
  /** Orchestration versioning (default: the repository's host.json, as an app deployed with it). */
  versioning?: VersioningSettings;
  /** The SDK's rpc channel: in process (default) or over loopback HTTP. */
  rpcTransport?: 'in-process' | 'http';
  /** Messages an episode takes for one instance (default as `startHost`: host.json's, else Azure Storage's 32). */
  controlQueueBatchSize?: number;
}

/** An in-process host for orchestration tests: a manual clock, an in-memory store and direct management calls. */
export interface TestHost extends RunningHost {
  readonly clock: ManualClock;
  /** Every activity invocation (name, input, attempt, instanceId, taskId, outcome). */
  readonly activityLog: ActivityRun[];
  /** Starts an orchestration; throws DurableEngineError (status 409) if the id is Running/Pending. */
  startNew(name: string, options?: { instanceId?: string; input?: unknown; version?: string }): string;
  raiseEvent(instanceId: string, eventName: string, data?: unknown): 'accepted' | 'gone' | 'notFound';
  terminate(instanceId: string, reason?: string): 'accepted' | 'gone' | 'notFound';
  purge(instanceId: string): boolean;
  getStatus(instanceId: string, options?: { showHistory?: boolean }): StatusPayload | undefined;
  list(filter?: InstanceFilter): StatusPayload[];
  history(instanceId: string): HistoryEvent[];
  /** Resolves when nothing is runnable except future timers. */
  idle(): Promise<void>;
  /** `clock.advance(ms)` then `idle()`. */
  advance(ms: number): Promise<void>;
  /** fetch() against the host with the function key header set. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

/** Creates an in-process host for tests (port 0, in-memory store, manual clock). */
export async function createTestHost(options: TestHostOptions): Promise<TestHost> {
  const clock = options.clock ?? new ManualClock();
  const host = await startHost({
    appEntry: options.register,
    port: 0,
    inMemory: options.store === undefined,
    store: options.store,
    functionKey: options.functionKey ?? 'test-function-key',
    clock,
    loadSettings: false,
    logs: options.logs ?? false,
    printErrors: options.logs ?? false,
    ...(options.versioning ? { versioning: options.versioning } : {}),
    ...(options.rpcTransport ? { rpcTransport: options.rpcTransport } : {}),
    ...(options.controlQueueBatchSize ? { controlQueueBatchSize: options.controlQueueBatchSize } : {}),
  });
  const { engine } = host;
  return {
    ...host,
    close: () => host.close(),
    clock,
    activityLog: engine.activityLog,
    startNew: (name, o = {}) => engine.startNew(name, o),
    raiseEvent: (id, eventName, data) => engine.raiseEvent(id, eventName, data),
    terminate: (id, reason) => engine.terminate(id, reason),
    purge: (id) => engine.purge(id),
    getStatus: (id, o) => engine.getStatus(id, o),
    list: (filter) => engine.list(filter),
    history: (id) => engine.getHistory(id),
    idle: () => engine.idle(),
    async advance(ms: number) {
      clock.advance(ms);
      await engine.idle();
      // A timer trigger that came due runs its function, which may start or purge instances.
      await host.timers.idle();
      await engine.idle();
    },
    fetch: (path, init = {}) => {
      const headers = new Headers(init.headers);
      if (!headers.has('x-functions-key')) headers.set('x-functions-key', host.functionKey);
      return fetch(`${host.url}${path}`, { ...init, headers });
    },
  };
}
