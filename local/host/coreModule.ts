/** Serves `@azure/functions-core` to the real node process the way the worker does: a require hook. */
import Module from 'node:module';
import * as core from './functionsCore';

const CORE_MODULE_ID = '@azure/functions-core';
// Marks the hook on the function itself: module state is per jest registry, Module.prototype is per process.
const HOOK_MARK = Symbol.for('local-host.functions-core-hook');

type RequireFn = ((id: string) => unknown) & { [HOOK_MARK]?: boolean };

/**
 * Wraps `Module.prototype.require` so `require('@azure/functions-core')` returns this host's API
 * (worker `setupCoreModule`). node_modules are never touched. Idempotent per process.
 */
export function installCoreModule(): void {
  const proto = Module.prototype as unknown as { require: RequireFn };
  if (proto.require[HOOK_MARK]) return;
  const hooked: RequireFn = new Proxy(proto.require, {
    apply(target, thisArg: unknown, args: [string]) {
      if (args[0] === CORE_MODULE_ID) return core;
      return Reflect.apply(target, thisArg, args);
    },
    get(target, property, receiver) {
      if (property === HOOK_MARK) return true;
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
  proto.require = hooked;
}
