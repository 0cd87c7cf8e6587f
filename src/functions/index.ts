import type { AppDeps } from '../composition';
import { registerDurable } from './durable';
import { registerConsole } from './console';
import { registerHttp } from './http';
import { registerTimers } from './timers';

/** Registers every function of the app over `getDeps`, which is called on first use, never here. */
export function registerApp(getDeps: () => AppDeps): void {
  registerDurable(() => getDeps().activities);
  registerHttp(getDeps);
  registerConsole(getDeps);
  registerTimers(getDeps);
}
