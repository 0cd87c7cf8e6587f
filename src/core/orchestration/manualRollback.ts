import type { OrchestrationContext, Task } from 'durable-functions';
import type { ReleaseView } from '../domain';
import { Activities, Orchestrations } from '../names';
import type { NotificationKind } from '../ports/notifier';
import { ROLLBACK_RETRY } from '../traffic/retry';
import type { ManualRollbackInput, ManualRollbackResult, NotifyInput } from './contracts';
import { switchTraffic } from './steps/swap';
import { observeCutovers, rollbackDeadline } from './steps/cutover';
import { atLeast, OrchestrationVersions } from './version';
import { callActivity, inputOf } from './calls';

/**
 * Swaps a succeeded release back, on request, while the previous slot still holds the previous
 * version. The lane runs it only when no other release is running, so it never races a deploy. Like the
 * rollback during a bake it never gives up: it retries until the previous slot serves, its custom status
 * showing the attempts and the last error; terminating this orchestration stops it.
 */
export function* manualRollbackOrchestrator(
  context: OrchestrationContext,
): Generator<Task, ManualRollbackResult, unknown> {
  const { request, last } = inputOf(context, Orchestrations.ManualRollback);
  const base = {
    releaseId: last.releaseId,
    requestedBy: request.requestedBy,
    ...(request.reason ? { reason: request.reason } : {}),
    requestedAt: request.requestedAt,
  };
  let status: ManualRollbackResult = { ...base, ok: false, phase: 'rolling-back', attempts: 0 };
  context.df.setCustomStatus(status);
  // The move's start: what the cutover counts from when the attempt that succeeded wrote nothing itself.
  const startedAt = context.df.currentUtcDateTime.toISOString();
  const swapped = yield* switchTraffic(
    context,
    last.releaseId,
    last.traffic,
    last.previousSlot,
    last.liveSlot,
    {
      mode: 'rollback',
      policy: ROLLBACK_RETRY,
      onRetry: function* (retry) {
        status = { ...base, ok: false, phase: 'rolling-back', ...retry };
        context.df.setCustomStatus(status);
        if (retry.attempts === 1) yield notify(context, 'rollback-retrying', last, status);
      },
    },
  );
  const failed = status.attempts ?? 0;
  const result: ManualRollbackResult = {
    ...base,
    ok: true,
    trafficBackAt: swapped.confirmedAt,
    attempts: failed + 1,
    ...(status.lastError ? { lastError: status.lastError } : {}),
    ...(swapped.restored ? { restored: swapped.restored } : {}),
  };
  if (swapped.restored) yield notify(context, 'restored', last, result);
  // Traffic moved back on someone's request: everyone watching the target is told, with who and why.
  yield notify(context, 'rolled-back', last, result);
  // Added in 3.2 (orchestration versioning): then when clients followed, as a release records its moves.
  if (atLeast(context, OrchestrationVersions.CutoverObserved)) {
    const move = { record: result, slot: last.previousSlot, writtenAt: swapped.writtenAt ?? startedAt };
    yield* observeCutovers(
      context,
      { releaseId: last.releaseId, target: last.target ?? '' },
      [move],
      rollbackDeadline([move]),
      () => context.df.setCustomStatus(structuredClone(result)),
    );
  }
  return result;
}

/** A notification about the rolled-back release, from what the lane remembered of it. */
function notify(
  context: OrchestrationContext,
  kind: NotificationKind,
  last: ManualRollbackInput['last'],
  state: ManualRollbackResult,
): Task {
  const at = state.trafficBackAt ?? context.df.currentUtcDateTime.toISOString();
  const release: ReleaseView = {
    id: last.releaseId,
    target: last.target ?? '',
    status: state.ok ? 'RolledBack' : 'Succeeded',
    phase: state.ok ? 'done' : 'rolling-back',
    build: last.build ?? { id: '', number: '', pipeline: '', source: 'build.complete' },
    productionSlot: last.previousSlot,
    stagingSlot: last.liveSlot,
    liveSlot: state.ok ? last.previousSlot : last.liveSlot,
    rollback: {
      trigger: 'manual',
      requestedBy: state.requestedBy,
      ...(state.reason ? { reason: state.reason } : {}),
      requestedAt: state.requestedAt,
      ...(state.trafficBackAt ? { trafficBackAt: state.trafficBackAt } : {}),
      ...(state.attempts !== undefined ? { attempts: state.attempts } : {}),
      ...(state.lastError ? { lastError: state.lastError } : {}),
      ...(state.nextAttemptAt ? { nextAttemptAt: state.nextAttemptAt } : {}),
    },
    timeline: state.restored
      ? [
          {
            step: 'restored',
            startedAt: at,
            endedAt: at,
            durationMs: 0,
            outcome: 'ok',
            detail: state.restored,
          },
        ]
      : [],
    createdAt: state.requestedAt,
    updatedAt: at,
  };
  const notice: NotifyInput = { kind, release };
  return callActivity(context, Activities.Notify, notice);
}
