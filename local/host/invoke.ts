/** The worker's invocation pipeline (worker `InvocationHandler`): model -> arguments -> hooks -> invoke -> response. */
import { randomUUID } from 'node:crypto';
import type {
  CoreInvocationContext,
  HookCallback,
  Registry,
  RegisteredFunction,
  RpcInvocationResponse,
  RpcLogCategory,
  RpcLogLevel,
  RpcParameterBinding,
  RpcTypedData,
} from './functionsCore';
import { log as coreLog } from './functionsCore';

/** One invocation request: the inputs by binding name, already in RPC typed data. */
export interface InvocationRequest {
  inputData: RpcParameterBinding[];
  triggerMetadata?: Record<string, RpcTypedData>;
}

/** Data shared by every hook of the app (`appHookData`). */
export const appHookData: Record<string, unknown> = {};

async function runHooks(hooks: HookCallback[], context: Record<string, unknown>): Promise<void> {
  for (const hook of hooks) await hook(context);
}

/** Returns the name of the binding whose type ends with `Trigger`. */
export function triggerBindingName(fn: RegisteredFunction): string {
  const entry = Object.entries(fn.metadata.bindings).find(([, b]) =>
    b.type.toLowerCase().endsWith('trigger'),
  );
  if (!entry) throw new Error(`invoke: function "${fn.metadata.name}" has no trigger binding`);
  return entry[0];
}

/** Invokes a registered function through the library's own programming model, with the app's hooks. */
export async function invokeRegistered(
  registry: Registry,
  fn: RegisteredFunction,
  request: InvocationRequest,
): Promise<RpcInvocationResponse> {
  const pm = registry.programmingModel;
  if (!pm) throw new Error(`invoke: no programming model registered (function "${fn.metadata.name}")`);
  const invocationId = randomUUID();
  const coreCtx: CoreInvocationContext = {
    invocationId,
    request: {
      invocationId,
      functionId: fn.metadata.functionId ?? fn.metadata.name,
      inputData: request.inputData,
      triggerMetadata: request.triggerMetadata ?? {},
    },
    metadata: fn.metadata,
    state: undefined,
    log(level: RpcLogLevel, category: RpcLogCategory, message: string) {
      for (const hook of registry.hooks.log) {
        try {
          void hook({ level, message, category, invocationContext: undefined, hookData: {} });
        } catch {
          // A failing log hook must not break the invocation (the worker swallows it as well).
        }
      }
      coreLog(level, category, `${fn.metadata.name}: ${message}`);
    },
  };
  const model = pm.getInvocationModel(coreCtx);
  const { context, inputs } = await model.getArguments();
  const hookData: Record<string, unknown> = {};

  let currentInputs = inputs;
  let callback = fn.callback;
  coreCtx.state = 'preInvocationHooks';
  const pre: Record<string, unknown> = {
    hookData,
    appHookData,
    invocationContext: context,
    get inputs() {
      return currentInputs;
    },
    set inputs(value: unknown[]) {
      currentInputs = value;
    },
    get functionCallback() {
      return callback;
    },
    set functionCallback(value: RegisteredFunction['callback']) {
      callback = value;
    },
  };
  await runHooks(registry.hooks.preInvocation, pre);

  coreCtx.state = 'invocation';
  let result: unknown;
  let error: unknown;
  try {
    result = await model.invokeFunction(context, currentInputs, callback);
  } catch (err) {
    error = err;
  }

  coreCtx.state = 'postInvocationHooks';
  const post: Record<string, unknown> = {
    hookData,
    appHookData,
    invocationContext: context,
    inputs: currentInputs,
    get result() {
      return result;
    },
    set result(value: unknown) {
      result = value;
    },
    get error() {
      return error;
    },
    set error(value: unknown) {
      error = value;
    },
  };
  await runHooks(registry.hooks.postInvocation, post);
  if (error !== undefined && error !== null) throw error;
  return model.getResponse(context, result);
}

/** Runs the appStart / appTerminate hooks. */
export async function runAppHooks(
  registry: Registry,
  name: 'appStart' | 'appTerminate',
  functionAppDirectory: string,
): Promise<void> {
  await runHooks(registry.hooks[name], { hookData: {}, appHookData, functionAppDirectory });
}

/** Decodes typed data into the JSON text the Durable extension would store (`TaskCompleted.Result`). */
export function typedDataToJson(data: RpcTypedData | null | undefined): string {
  if (!data) return 'null';
  if (typeof data.json === 'string') return data.json;
  if (typeof data.string === 'string') return JSON.stringify(data.string);
  if (typeof data.int === 'number' || typeof data.int === 'string') return JSON.stringify(Number(data.int));
  if (typeof data.double === 'number' || typeof data.double === 'string')
    return JSON.stringify(Number(data.double));
  if (data.bytes) return JSON.stringify(Buffer.from(data.bytes).toString('base64'));
  return 'null';
}

const warnedBindings = new Set<string>();

/**
 * The non-trigger `in` bindings of a function: durableClient ones get the client payload, others (blob,
 * queue, ...) are not emulated and get no data, with a one-time warning.
 */
export function extraInputsFor(fn: RegisteredFunction, durableClient: () => unknown): RpcParameterBinding[] {
  const inputs: RpcParameterBinding[] = [];
  for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
    if (binding.direction !== 'in' || binding.type.toLowerCase().endsWith('trigger')) continue;
    const type = binding.type.toLowerCase();
    if (type === 'durableclient' || type === 'orchestrationclient') {
      inputs.push({ name, data: { string: JSON.stringify(durableClient()) } });
    } else {
      const key = `${fn.metadata.name}/${name}`;
      if (!warnedBindings.has(key)) {
        warnedBindings.add(key);
        console.warn(
          `local host: input binding "${name}" of type "${binding.type}" is not emulated (${fn.metadata.name})`,
        );
      }
      inputs.push({ name, data: null });
    }
  }
  return inputs;
}

/** Finds a registered function by name and trigger type (case-insensitive names, like the host). */
export function findFunction(
  registry: Registry,
  name: string,
  triggerType?: string,
): RegisteredFunction | undefined {
  const fn = registry.functions.get(name.toLowerCase());
  if (!fn || !triggerType) return fn;
  const hasTrigger = Object.values(fn.metadata.bindings).some((b) => b.type === triggerType);
  return hasTrigger ? fn : undefined;
}
