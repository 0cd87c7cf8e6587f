import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import { Activities } from '../../names';
import type { SwapInput, SwapResult } from '../contracts';

/** Retries of a swap whose activity failed (the adapters already retried transient ARM errors). */
export const SWAP_RETRY = (() => {
  const options = new df.RetryOptions(2000, 3);
  options.backoffCoefficient = 2;
  return options;
})();

/**
 * Moves traffic: enables `enable`, disables `disable`, through the guarded, idempotent swap activity.
 * A replayed or retried swap that finds the profile already in the wanted state changes nothing.
 */
export function* switchTraffic(
  ctx: OrchestrationContext,
  releaseId: string,
  profileId: string,
  enable: string,
  disable: string,
): Generator<Task, SwapResult, unknown> {
  const input: SwapInput = { releaseId, profileId, enable, disable };
  return (yield ctx.df.callActivityWithRetry(Activities.SwapTraffic, SWAP_RETRY, input)) as SwapResult;
}
