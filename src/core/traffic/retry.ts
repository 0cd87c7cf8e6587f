/** When a failed traffic move is tried again: pure, so orchestrators and the protocol's property test share it. */
import type { SwapOutcome } from '../orchestration/contracts';

/** How a traffic move is retried. */
export interface MoveRetryPolicy {
  /** Wait after the first failed attempt, doubled per attempt. */
  firstDelayMs: number;
  /** Largest wait between attempts (a Retry-After may ask for more; it is honoured). */
  capMs: number;
  /** Only transient failures are retried (a swap); otherwise every failure is (a rollback never gives up). */
  transientOnly: boolean;
}

/** A swap onto the new slot: transient failures only, within the swap's deadline. */
export const SWAP_RETRY: MoveRetryPolicy = { firstDelayMs: 2_000, capMs: 30_000, transientOnly: true };

/** A decided rollback or a restore of production: every failure, until it succeeds or is stopped. */
export const ROLLBACK_RETRY: MoveRetryPolicy = { firstDelayMs: 2_000, capMs: 30_000, transientOnly: false };

/** How long a swap keeps retrying transient failures before it fails (and production is restored). */
export const SWAP_DEADLINE_MS = 5 * 60_000;

/** Capped exponential backoff after failed attempt number `attempt` (1-based). */
export function backoffMs(policy: MoveRetryPolicy, attempt: number): number {
  return Math.min(policy.capMs, policy.firstDelayMs * 2 ** Math.max(0, attempt - 1));
}

/** The decision after a failed attempt: when to try again, or why not. */
export type RetryDecision = { retryAt: number } | { giveUp: string };

/**
 * After failed attempt `attempt` at `nowMs`: the next attempt is no sooner than the backoff and no sooner than
 * ARM's Retry-After; a swap gives up on a permanent failure or when that instant is past its deadline.
 */
export function afterFailure(
  policy: MoveRetryPolicy,
  attempt: number,
  failure: Extract<SwapOutcome, { ok: false }>,
  nowMs: number,
  deadlineMs?: number,
): RetryDecision {
  if (policy.transientOnly && !failure.transient) return { giveUp: failure.error };
  const notBefore = failure.retryNotBefore ? Date.parse(failure.retryNotBefore) : NaN;
  const retryAt = Math.max(nowMs + backoffMs(policy, attempt), Number.isFinite(notBefore) ? notBefore : 0);
  if (deadlineMs !== undefined && retryAt > deadlineMs) {
    return {
      giveUp: `${failure.error} (next attempt at ${new Date(retryAt).toISOString()} would be past the deadline ${new Date(deadlineMs).toISOString()})`,
    };
  }
  return { retryAt };
}
