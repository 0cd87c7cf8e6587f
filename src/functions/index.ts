import type { AppDeps } from '../composition';
import { registerDurable } from './durable';
import { registerHttp } from './http';
import { registerTimers } from './timers';

/** Registers every function of the app over `getDeps`, which is called on first use, never here. */
export function registerApp(getDeps: () => AppDeps): void {
  registerDurable(() => getDeps().activities);
  registerHttp(getDeps);
  registerTimers(getDeps);
}
