import type { OrchestrationContext, Task } from 'durable-functions';
import { parseAlertTime } from '../../alerts/policy';
import type { RollbackInfo } from '../../domain';
import type { ReleaseInput } from '../contracts';
import type { ReleaseTracker } from '../tracker';
import type { RollbackCause } from './bake';
import { switchTraffic } from './swap';

/** Swaps traffic back to the previous production slot first, then records why. */
export function* rollback(
  ctx: OrchestrationContext,
  input: ReleaseInput,
  r: ReleaseTracker,
  cause: RollbackCause,
): Generator<Task, void, unknown> {
  const previous = r.view.productionSlot!;
  const deployed = r.view.stagingSlot!;
  r.phase('rolling-back', 'rollback', `re-enable ${previous}, disable ${deployed}`);
  const swapped = yield* switchTraffic(ctx, input.releaseId, input.target.profileId, previous, deployed);
  r.view.liveSlot = previous;
  r.end(
    'ok',
    swapped.changed ? 'traffic back on the previous slot' : 'traffic was already on the previous slot',
  );
  r.view.rollback = rollbackInfo(cause, swapped.confirmedAt);
}

/** The rollback record: the trigger, and the time from the alert (or request) to traffic back. */
export function rollbackInfo(cause: RollbackCause, trafficBackAt: string): RollbackInfo {
  if (cause.trigger === 'manual') {
    const at = cause.request.requestedAt;
    return {
      trigger: 'manual',
      requestedBy: cause.request.requestedBy,
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
