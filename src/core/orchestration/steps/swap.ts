import type { OrchestrationContext, Task } from 'durable-functions';
import type { TrafficConfig } from '../../ports/traffic';
import { Activities } from '../../names';
import { afterFailure, type MoveRetryPolicy } from '../../traffic/retry';
import type { SwapInput, SwapMode, SwapOutcome, SwapResult } from '../contracts';
import { causeOf } from '../tracker';
import { StepFailure } from './failure';
import { awaited, callActivity } from '../calls';

/** A failed attempt of a traffic move that will be tried again. */
export interface MoveRetry {
  /** Failed attempts so far. */
  attempts: number;
  lastError: string;
  nextAttemptAt: string;
}

/** What a traffic move is and how it retries. */
export interface MoveOptions {
  mode: SwapMode;
  policy: MoveRetryPolicy;
  /** Epoch ms after which no attempt starts (the swap's own deadline); none: retry until it succeeds. */
  deadlineMs?: number;
  /** Epoch ms before which the first attempt must not start (a Retry-After an earlier move was given). */
  notBeforeMs?: number;
  /** Called before each wait, to publish progress; a generator may yield activities (a notification). */
  onRetry?: (retry: MoveRetry) => Generator<Task, void, unknown> | void;
}

/**
 * Moves traffic: enables `enable`, disables `disable`, through the guarded, idempotent swap activity,
 * retried on durable timers with capped exponential backoff, never sooner than ARM's Retry-After. A swap
 * gives up (StepFailure) on a permanent failure or at its deadline; a rollback or restore never does: only
 * an operator terminating the orchestration stops it. A retried attempt that finds the profile already
 * in the wanted state changes nothing.
 */
export function* switchTraffic(
  ctx: OrchestrationContext,
  releaseId: string,
  traffic: TrafficConfig,
  enable: string,
  disable: string,
  options: MoveOptions,
): Generator<Task, SwapResult, unknown> {
  if (options.notBeforeMs !== undefined && options.notBeforeMs > ctx.df.currentUtcDateTime.getTime()) {
    yield ctx.df.createTimer(new Date(options.notBeforeMs));
  }
  for (let attempt = 1; ; attempt++) {
    const input: SwapInput = { releaseId, traffic, enable, disable, mode: options.mode, attempt };
    let outcome: SwapOutcome;
    try {
      outcome = yield* awaited(callActivity(ctx, Activities.SwapTraffic, input));
    } catch (err) {
      // The activity itself died (host crash, unexpected throw): treat as transient, the protocol is idempotent.
      outcome = { ok: false, error: causeOf(err), transient: true };
    }
    if (outcome.ok) {
      const { ok: _ok, ...result } = outcome;
      return result;
    }
    const now = ctx.df.currentUtcDateTime.getTime();
    const decision = afterFailure(options.policy, attempt, outcome, now, options.deadlineMs);
    if ('giveUp' in decision) {
      const notBefore = outcome.retryNotBefore ? Date.parse(outcome.retryNotBefore) : undefined;
      throw new StepFailure('swap', traffic.resource, decision.giveUp, notBefore);
    }
    const nextAttemptAt = new Date(decision.retryAt);
    const progress = options.onRetry?.({
      attempts: attempt,
      lastError: outcome.error,
      nextAttemptAt: nextAttemptAt.toISOString(),
    });
    if (progress) yield* progress;
    yield ctx.df.createTimer(nextAttemptAt);
  }
}
