/**
 * The `@azure/functions-core` module as the real Node worker provides it (worker `src/setupCoreModule.ts`).
 * `@azure/functions` requires it once; the node CLI serves it through a `Module.prototype.require` hook
 * (coreModule.ts) and jest through `moduleNameMapper`. Registrations land in the current registry, which a
 * host opens with `beginRegistration()` before loading the app and locks afterwards.
 */

/** Log levels of the worker RPC protocol. */
export type RpcLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
/** Log categories of the worker RPC protocol. */
export type RpcLogCategory = 'user' | 'system' | 'customMetric';
/** Hook names the worker accepts. */
export type HookName = 'preInvocation' | 'postInvocation' | 'appStart' | 'appTerminate' | 'log';

/** One binding of a function, as `toCoreFunctionMetadata` builds it. */
export interface CoreBinding {
  type: string;
  direction: string;
  [key: string]: unknown;
}

/** Metadata passed to `registerFunction`. */
export interface CoreFunctionMetadata {
  name: string;
  functionId?: string;
  bindings: Record<string, CoreBinding>;
  retryOptions?: unknown;
}

/** The user handler (already wrapped by durable-functions where relevant). */
export type FunctionCallback = (...args: unknown[]) => unknown;
/** A hook callback; receives the hook context object. */
export type HookCallback = (context: Record<string, unknown>) => unknown;

/** RPC typed data (the subset the host produces and consumes). */
export interface RpcTypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  int?: number | null;
  double?: number | null;
  http?: RpcHttpData | null;
  [key: string]: unknown;
}

/** RPC HTTP request/response data. */
export interface RpcHttpData {
  method?: string | null;
  url?: string | null;
  headers?: Record<string, string> | null;
  body?: RpcTypedData | null;
  params?: Record<string, string> | null;
  statusCode?: string | null;
  query?: Record<string, string> | null;
  cookies?: RpcHttpCookie[] | null;
  enableContentNegotiation?: boolean | null;
  [key: string]: unknown;
}

/** RPC cookie, as `toRpcHttpCookie` builds it. */
export interface RpcHttpCookie {
  name?: string | null;
  value?: string | null;
  domain?: { value?: string | null } | null;
  path?: { value?: string | null } | null;
  expires?: { value?: { seconds?: number | null; nanos?: number | null } | null } | null;
  secure?: { value?: boolean | null } | null;
  httpOnly?: { value?: boolean | null } | null;
  sameSite?: string | null;
  maxAge?: { value?: number | null } | null;
}

/** One input of an invocation request. */
export interface RpcParameterBinding {
  name: string;
  data?: RpcTypedData | null;
}

/** What `getResponse` returns. */
export interface RpcInvocationResponse {
  invocationId?: string;
  outputData?: RpcParameterBinding[] | null;
  returnValue?: RpcTypedData | null;
}

/** The context the worker hands to `getInvocationModel`. */
export interface CoreInvocationContext {
  invocationId: string;
  request: {
    invocationId: string;
    functionId: string;
    inputData: RpcParameterBinding[];
    triggerMetadata: Record<string, RpcTypedData>;
    retryContext?: unknown;
    traceContext?: unknown;
  };
  metadata: CoreFunctionMetadata;
  state?: 'preInvocationHooks' | 'invocation' | 'postInvocationHooks';
  log(level: RpcLogLevel, category: RpcLogCategory, message: string): void;
}

/** The library's per-invocation model. */
export interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], callback: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<RpcInvocationResponse>;
}

/** The library's programming model (`@azure/functions` `ProgrammingModel`). */
export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreCtx: CoreInvocationContext): InvocationModel;
  getCapabilities(capabilities: Record<string, string>): Promise<Record<string, string>>;
}

/** A registered function. */
export interface RegisteredFunction {
  metadata: CoreFunctionMetadata;
  callback: FunctionCallback;
}

/** Everything one app registered: functions, hooks and the programming model that registered them. */
export interface Registry {
  functions: Map<string, RegisteredFunction>;
  hooks: Record<HookName, HookCallback[]>;
  programmingModel: ProgrammingModel | undefined;
  locked: boolean;
  /** False for the registry in place before any host opened one (tests that register without a host). */
  opened: boolean;
}

/** Where worker logs go (`log` and invocation logs); replaced by the host. */
export type LogSink = (level: RpcLogLevel, category: RpcLogCategory, message: string) => void;

/** Worker version strings (not read by the library, present for completeness). */
export const version = '3.10.1-local';
export const hostVersion = '4.1000.0-local';

/** Same semantics as the worker's Disposable. */
export class Disposable {
  #callOnDispose: (() => unknown) | undefined;

  constructor(callOnDispose: () => unknown) {
    this.#callOnDispose = callOnDispose;
  }

  static from(...inDisposables: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => {
      for (const d of inDisposables) d.dispose();
    });
  }

  dispose(): void {
    const fn = this.#callOnDispose;
    this.#callOnDispose = undefined;
    if (fn) fn();
  }
}

function emptyRegistry(): Registry {
  return {
    functions: new Map(),
    hooks: { preInvocation: [], postInvocation: [], appStart: [], appTerminate: [], log: [] },
    programmingModel: undefined,
    locked: false,
    opened: false,
  };
}

let lastProgrammingModel: ProgrammingModel | undefined;
let current: Registry = emptyRegistry();
let logSink: LogSink = (level, category, message) => {
  if (level === 'error' || level === 'critical' || level === 'warning' || category === 'user') {
    console.log(`[${level}] ${message}`);
  }
};

/** Opens a fresh registry: every later `app.*` registration lands in it. */
export function beginRegistration(): Registry {
  current = emptyRegistry();
  current.opened = true;
  // The library sets its model only once (first registration), so a new registry inherits the last one.
  current.programmingModel = lastProgrammingModel;
  return current;
}

/** Locks the current registry, as the worker does once indexing is over, and returns it. */
export function endRegistration(): Registry {
  current.locked = true;
  return current;
}

/** Called when a host closes: later registrations (outside any host) go to a fresh, unlocked registry. */
export function releaseRegistry(registry: Registry): void {
  if (current !== registry) return;
  current = emptyRegistry();
  current.programmingModel = lastProgrammingModel;
}

/** The registry registrations currently land in. */
export function currentRegistry(): Registry {
  return current;
}

/** Replaces where worker logs are written. */
export function setLogSink(sink: LogSink): void {
  logSink = sink;
}

/** Called by `@azure/functions` on its first registration. */
export function setProgrammingModel(programmingModel: ProgrammingModel): void {
  lastProgrammingModel = programmingModel;
  current.programmingModel = programmingModel;
}

/** Part of the worker API; not used by the library. */
export function getProgrammingModel(): ProgrammingModel {
  const pm = current.programmingModel ?? lastProgrammingModel;
  if (!pm) throw new Error('functions-core: no programming model was set (no function registered yet)');
  return pm;
}

/** Stores a function; duplicates and late registrations throw like the worker. */
export function registerFunction(metadata: CoreFunctionMetadata, callback: FunctionCallback): Disposable {
  if (current.locked) {
    throw new Error(
      `functions-core: cannot register function "${metadata.name}" after the app finished loading (registration is locked)`,
    );
  }
  const id = metadata.functionId ?? metadata.name;
  const key = id.toLowerCase();
  // Without a host (plain unit tests), re-registering replaces: nothing serves that registry anyway.
  if (current.functions.has(key) && current.opened) {
    throw new Error(`functions-core: a function with the name "${id}" is already registered`);
  }
  const registry = current;
  registry.functions.set(key, { metadata, callback });
  return new Disposable(() => {
    registry.functions.delete(key);
  });
}

/** Stores a hook; unknown hook names throw a RangeError flagged as a system error (app.hook.log relies on it). */
export function registerHook(hookName: string, callback: HookCallback): Disposable {
  const hooks = (current.hooks as Record<string, HookCallback[] | undefined>)[hookName];
  if (!hooks) {
    const error = new RangeError(`functions-core: unrecognized hook "${hookName}"`) as RangeError & {
      isAzureFunctionsSystemError?: boolean;
    };
    error.isAzureFunctionsSystemError = true;
    throw error;
  }
  hooks.push(callback);
  return new Disposable(() => {
    const index = hooks.indexOf(callback);
    if (index >= 0) hooks.splice(index, 1);
  });
}

/** System logs from the library. */
export function log(level: RpcLogLevel, category: RpcLogCategory, message: string): void {
  logSink(level, category, message);
}
