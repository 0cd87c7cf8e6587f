import type { OrchestrationContext, Task } from 'durable-functions';
import type { ReleaseView } from '../domain';
import type { NotificationKind } from '../ports/notifier';
import { Activities, Orchestrations } from '../names';
import { ROLLBACK_RETRY, SWAP_DEADLINE_MS, SWAP_RETRY } from '../traffic/retry';
import type { CancelRequest, NotifyInput, ReleaseInput } from './contracts';
import { awaitApproval } from './steps/awaitApproval';
import { bake } from './steps/bake';
import { deploy } from './steps/deploy';
import { StepFailure } from './steps/failure';
import { recordRestored, rollback } from './steps/rollback';
import { NewerBuildWatch } from './steps/supersede';
import { switchTraffic } from './steps/swap';
import { verify } from './steps/verify';
import { moveOf, observeCutovers, rollbackDeadline, type CutoverMove } from './steps/cutover';
import { causeOf, ReleaseTracker } from './tracker';
import { atLeast, OrchestrationVersions } from './version';
import { callActivity, inputOf } from './calls';

/**
 * One release of one build: deploy to staging, verify, await approval, swap, bake, and roll back on
 * an alert. Each phase is a sub-step in its own module; this function only sequences them.
 */
/** What the release's runner may do at points of the release (the lane wrapper reports to its lane). */
export interface ReleaseHooks {
  /** A succeeded release's outcome is final and notified: its lane may take the next work (a manual rollback). */
  succeeded?: (view: ReleaseView) => Generator<Task, void, unknown>;
}

export function* releaseOrchestrator(
  context: OrchestrationContext,
  hooks: ReleaseHooks = {},
): Generator<Task, ReleaseView, unknown> {
  const input = inputOf(context, Orchestrations.Release);
  const r = new ReleaseTracker(context, input);

  if (input.supersededBy) {
    r.view.supersededBy = input.supersededBy;
    r.mark(
      'queued',
      input.receivedAt,
      r.now(),
      'superseded',
      `replaced by ${input.supersededBy} while queued`,
    );
    return r.finish('Superseded', 'superseded');
  }

  if (input.cancelled) {
    // Cancelled while it waited in the lane: its cancel record was notified when it was made.
    const c = input.cancelled;
    r.mark('queued', input.receivedAt, r.now(), 'cancelled', `cancelled while queued by ${c.requestedBy}`);
    r.view.cancellation = { ...cancelInfo(c), phase: 'queued', cancelledAt: r.now() };
    return r.finish('Cancelled', 'cancelled');
  }

  // Every wait for a newer build (and, from 3.3, a cancel) goes through one watch: deploy, verify and approval
  // all stop on it. Releases created before 3.3 replay without the cancel waits (orchestration versioning).
  const watch = new NewerBuildWatch(context, atLeast(context, OrchestrationVersions.Cancel));
  try {
    const deployed = yield* deploy(context, input, r, watch);
    if (deployed.cancelled) return yield* cancelled(context, r, deployed.cancelled);
    if (deployed.supersededBy) return yield* superseded(context, r, deployed.supersededBy);
    if (!deployed.ok) return yield* finalNotice(context, r, 'failed');
    const { production, staging } = deployed.slots;
    r.view.liveSlot = production;

    const verified = yield* verify(context, input, r, deployed, watch);
    if (verified === 'cancelled') return yield* cancelled(context, r, watch.cancelled()!);
    if (verified === 'superseded') return yield* superseded(context, r, watch.arrived()!.releaseId);
    if (!verified) return yield* finalNotice(context, r, 'failed');

    const approval = yield* awaitApproval(context, input, r, watch);
    if (approval === 'cancelled') return yield* cancelled(context, r, watch.cancelled()!);
    if (approval !== 'approved') return yield* finalNotice(context, r, approval);
    // A cancel that arrived while the approval was being checked still wins: traffic has not moved yet.
    const late = watch.cancelled();
    if (late) return yield* cancelled(context, r, late);

    r.phase('swapping', 'swap', `enable ${staging}, disable ${production}`);
    const swapped = yield* switchTraffic(
      context,
      input.releaseId,
      input.target.traffic,
      staging,
      production,
      {
        mode: 'swap',
        policy: SWAP_RETRY,
        deadlineMs: r.nowMs() + SWAP_DEADLINE_MS,
        onRetry: (retry) => {
          note(r, `attempt ${retry.attempts} failed: ${retry.lastError}; retrying at ${retry.nextAttemptAt}`);
        },
      },
    );
    r.view.liveSlot = staging;
    yield* recordRestored(context, r, swapped);
    r.end('ok', swapped.changed ? `${staging} is live` : `${staging} was already live`);
    // Added in 2.0: releases created before it replay without this activity (orchestration versioning).
    if (atLeast(context, OrchestrationVersions.SwappedNotice)) {
      const notice: NotifyInput = { kind: 'swapped', release: r.view };
      yield callActivity(context, Activities.Notify, notice);
    }

    const swapEntry = r.view.timeline.filter((t) => t.step === 'swap').at(-1)!;
    const swapMove = moveOf(swapEntry, staging, swapped, r.now());
    // Added in 3.2: releases created before it replay without observing (orchestration versioning).
    const observe = atLeast(context, OrchestrationVersions.CutoverObserved);

    const cause = yield* bake(context, input, r);
    if (cause) {
      const back = yield* rollback(context, input, r, cause);
      const rollbackEntry = r.view.timeline.filter((t) => t.step === 'rollback').at(-1)!;
      const rollbackMove = moveOf(rollbackEntry, production, back, r.now());
      r.finish('RolledBack');
      yield* finalNotice(context, r, 'rolled-back');
      if (observe) {
        // The swap's clients count only until the rollback's write moved them back.
        const moves = [{ ...swapMove, until: rollbackMove.writtenAt }, rollbackMove];
        yield* cutovers(context, input, r, moves, rollbackDeadline(moves));
      }
      return r.view;
    }
    r.finish('Succeeded');
    if (!observe) return yield* finalNotice(context, r, 'succeeded');
    yield* finalNotice(context, r, 'succeeded');
    // The lane learns of the success first: a manual rollback asked for now is taken at once. Then one question,
    // never waited on (a bake shorter than the clients' cutover records it not reached).
    if (hooks.succeeded) yield* hooks.succeeded(r.view);
    yield* cutovers(context, input, r, [swapMove], r.nowMs());
    return r.view;
  } catch (err) {
    const failure =
      err instanceof StepFailure
        ? { step: err.step, resource: err.resource, message: err.causeText }
        : {
            step: r.view.timeline.at(-1)?.step ?? r.view.phase,
            resource: resourceOf(r, input),
            message: causeOf(err),
          };
    if (r.view.phase === 'swapping') {
      // The failed swap step ends first, with its cause; then production is put back.
      r.end('failed', failure.message);
      const notBefore = err instanceof StepFailure ? err.retryNotBefore : undefined;
      yield* restoreProduction(context, input, r, notBefore);
    }
    r.fail(failure);
    return yield* finalNotice(context, r, 'failed');
  }
}

/**
 * After a failed swap, puts traffic back on production alone, whatever the swap's writes left: both
 * enabled, the new slot alone, or zero enabled (production is re-enabled at once). Like a rollback, it
 * retries until production serves; the guard still refuses to fight another writer within one attempt.
 */
function* restoreProduction(
  context: OrchestrationContext,
  input: ReleaseInput,
  r: ReleaseTracker,
  notBeforeMs: number | undefined,
): Generator<Task, void, unknown> {
  const { productionSlot, stagingSlot } = r.view;
  if (!productionSlot || !stagingSlot) return;
  r.begin('restore-production', `re-enable ${productionSlot}, disable ${stagingSlot}`);
  const restored = yield* switchTraffic(
    context,
    input.releaseId,
    input.target.traffic,
    productionSlot,
    stagingSlot,
    {
      mode: 'restore',
      policy: ROLLBACK_RETRY,
      ...(notBeforeMs !== undefined ? { notBeforeMs } : {}),
      onRetry: (retry) => {
        note(r, `attempt ${retry.attempts} failed: ${retry.lastError}; retrying at ${retry.nextAttemptAt}`);
      },
    },
  );
  r.view.liveSlot = productionSlot;
  yield* recordRestored(context, r, restored);
  r.end('ok', restored.changed ? `traffic back on ${productionSlot}` : `${productionSlot} was still live`);
}

/**
 * Records when clients followed the release's traffic moves, once its outcome is set and notified (the status
 * shows `done` meanwhile). After a rollback the release returns, and its lane moves on, when clients have left
 * the slot the next release deploys to, or at the deadline; a rollback request meanwhile is answered as for any
 * rolled-back release (already done).
 */
function* cutovers(
  context: OrchestrationContext,
  input: ReleaseInput,
  r: ReleaseTracker,
  moves: CutoverMove[],
  deadlineMs: number,
): Generator<Task, void, unknown> {
  yield* observeCutovers(
    context,
    { releaseId: input.releaseId, target: input.target.name },
    moves,
    deadlineMs,
    () => r.publish(),
  );
}

/** Replaces the detail of the open timeline step (retry progress) and publishes it. */
function note(r: ReleaseTracker, detail: string): void {
  const open = r.view.timeline.at(-1);
  if (open && !open.endedAt) open.detail = detail;
  r.publish();
}

/** The resource the current phase works on, for error messages. */
function resourceOf(r: ReleaseTracker, input: ReleaseInput): string {
  const v = r.view;
  switch (v.phase) {
    case 'swapping':
    case 'rolling-back':
      return input.target.traffic.resource;
    case 'deploying':
    case 'verifying':
      return v.stagingSlot ? `slot ${v.stagingSlot}` : input.target.traffic.resource;
    default:
      return `target ${v.target}`;
  }
}

/** Ends the release Superseded by a newer build before approval was asked: production untouched. */
function* superseded(
  context: OrchestrationContext,
  r: ReleaseTracker,
  by: string,
): Generator<Task, ReleaseView, unknown> {
  r.view.supersededBy = by;
  r.finish('Superseded', 'superseded');
  return yield* finalNotice(context, r, 'superseded');
}

function cancelInfo(c: CancelRequest) {
  return { requestedBy: c.requestedBy, reason: c.reason, requestedAt: c.requestedAt };
}

/** Ends the release Cancelled on an operator's request, before its swap: production untouched. */
function* cancelled(
  context: OrchestrationContext,
  r: ReleaseTracker,
  c: CancelRequest,
): Generator<Task, ReleaseView, unknown> {
  const phase = r.view.phase;
  const detail = `cancelled by ${c.requestedBy}: ${c.reason}`;
  r.end('cancelled', phase === 'awaiting-approval' ? detail : undefined);
  r.view.cancellation = { ...cancelInfo(c), phase, cancelledAt: r.now() };
  r.mark('cancel', c.requestedAt, r.now(), 'cancelled', `${detail}; production untouched`);
  r.finish('Cancelled', 'cancelled');
  return yield* finalNotice(context, r, 'cancelled');
}

/** Notifies about the final status; notification failures never change the outcome. */
function* finalNotice(
  context: OrchestrationContext,
  r: ReleaseTracker,
  kind: NotificationKind,
): Generator<Task, ReleaseView, unknown> {
  const notice: NotifyInput = { kind, release: r.view };
  yield callActivity(context, Activities.Notify, notice);
  return r.view;
}
