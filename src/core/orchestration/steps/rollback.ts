import type { OrchestrationContext, Task } from 'durable-functions';
import { parseAlertTime } from '../../alerts/policy';
import type { RollbackInfo } from '../../domain';
import { Activities } from '../../names';
import { ROLLBACK_RETRY } from '../../traffic/retry';
import type { NotifyInput, ReleaseInput, SwapResult } from '../contracts';
import type { ReleaseTracker } from '../tracker';
import type { RollbackCause } from './bake';
import { switchTraffic, type MoveRetry } from './swap';
import { callActivity } from '../calls';

/**
 * Swaps traffic back to the previous production slot first, then records why. Once decided, the rollback
 * never gives up: it retries (capped exponential backoff, honouring Retry-After, on durable timers) until
 * the previous slot serves, showing the attempts and the last error in the status, and notifying after the
 * first failed attempt. Only terminating the release orchestration stops it. Returns the move it made.
 */
export function* rollback(
  ctx: OrchestrationContext,
  input: ReleaseInput,
  r: ReleaseTracker,
  cause: RollbackCause,
): Generator<Task, SwapResult, unknown> {
  const previous = r.view.productionSlot!;
  const deployed = r.view.stagingSlot!;
  r.phase('rolling-back', 'rollback', `re-enable ${previous}, disable ${deployed}`);
  r.view.rollback = { ...pendingInfo(cause), attempts: 0 };
  r.publish();
  const swapped = yield* switchTraffic(ctx, input.releaseId, input.target.traffic, previous, deployed, {
    mode: 'rollback',
    policy: ROLLBACK_RETRY,
    onRetry: (retry) => retrying(ctx, r, cause, retry),
  });
  const attempts = (r.view.rollback?.attempts ?? 0) + 1;
  const lastError = r.view.rollback?.lastError;
  r.view.liveSlot = previous;
  yield* recordRestored(ctx, r, swapped);
  r.end(
    'ok',
    (swapped.changed ? 'traffic back on the previous slot' : 'traffic was already on the previous slot') +
      (attempts > 1 ? ` after ${attempts} attempts` : ''),
  );
  r.view.rollback = {
    ...rollbackInfo(cause, swapped.confirmedAt),
    attempts,
    ...(lastError ? { lastError } : {}),
  };
  return swapped;
}

/** Publishes a failed attempt; the first one is also notified (the final `rolled-back` tells the end). */
function* retrying(
  ctx: OrchestrationContext,
  r: ReleaseTracker,
  cause: RollbackCause,
  retry: MoveRetry,
): Generator<Task, void, unknown> {
  r.view.rollback = { ...pendingInfo(cause), ...retry };
  const open = r.view.timeline.at(-1);
  if (open && !open.endedAt) {
    open.detail = `attempt ${retry.attempts} failed: ${retry.lastError}; retrying at ${retry.nextAttemptAt}`;
  }
  r.publish();
  if (retry.attempts === 1) {
    const notice: NotifyInput = { kind: 'rollback-retrying', release: r.view };
    yield callActivity(ctx, Activities.Notify, notice);
  }
}

/** Records a `restored` step when the move found zero endpoints enabled and re-enabled one, and notifies. */
export function* recordRestored(
  ctx: OrchestrationContext,
  r: ReleaseTracker,
  swapped: SwapResult,
): Generator<Task, void, unknown> {
  if (!swapped.restored) return;
  const open = r.view.timeline.at(-1);
  const entry = {
    step: 'restored',
    startedAt: r.now(),
    endedAt: r.now(),
    durationMs: 0,
    outcome: 'ok' as const,
    detail: swapped.restored,
  };
  // Kept before the still-open step so that step's end stays the last entry.
  if (open && !open.endedAt) r.view.timeline.splice(r.view.timeline.length - 1, 0, entry);
  else r.view.timeline.push(entry);
  r.publish();
  const notice: NotifyInput = { kind: 'restored', release: r.view };
  yield callActivity(ctx, Activities.Notify, notice);
}

/** The rollback record while traffic is not back yet. */
function pendingInfo(cause: RollbackCause): RollbackInfo {
  return cause.trigger === 'manual'
    ? {
        trigger: 'manual',
        requestedBy: cause.request.requestedBy,
        ...(cause.request.reason ? { reason: cause.request.reason } : {}),
        requestedAt: cause.request.requestedAt,
      }
    : { trigger: cause.trigger, alert: cause.alert, requestedAt: cause.receivedAt };
}

/** The rollback record: the trigger, and the time from the alert (or request) to traffic back. */
export function rollbackInfo(cause: RollbackCause, trafficBackAt: string): RollbackInfo {
  if (cause.trigger === 'manual') {
    const at = cause.request.requestedAt;
    return {
      trigger: 'manual',
      requestedBy: cause.request.requestedBy,
      ...(cause.request.reason ? { reason: cause.request.reason } : {}),
      requestedAt: at,
      trafficBackAt,
      latencyMs: Date.parse(trafficBackAt) - Date.parse(at),
    };
  }
  return {
    trigger: cause.trigger,
    alert: cause.alert,
    requestedAt: cause.receivedAt,
    trafficBackAt,
    // Fire → traffic back means something only for an alert that fired inside the bake.
    ...(cause.firedInBake
      ? {
          latencyMs:
            Date.parse(trafficBackAt) - (parseAlertTime(cause.alert.firedAt) ?? Date.parse(trafficBackAt)),
        }
      : {}),
    reactionMs: Date.parse(trafficBackAt) - Date.parse(cause.receivedAt),
  };
}
