import type { OrchestrationContext, Task } from 'durable-functions';
import { rememberActed } from '../alerts/policy';
import type { ReleaseView } from '../domain';
import { Events, InstanceIds, Orchestrations } from '../names';
import type {
  BuildRequest,
  LaneState,
  LaneStatus,
  ManualRollbackInput,
  ManualRollbackResult,
  ReleaseInput,
  RollbackRequest,
} from './contracts';

/** Release IDs a lane remembers, to drop redelivered hooks. */
const RECENT_LIMIT = 100;

/**
 * One per target: runs its releases one at a time, as sub-orchestrations, and manual rollbacks of the
 * last succeeded release. Builds arriving while a release runs wait in the lane's event buffer; when the
 * release ends, the newest is started and older ones end `Superseded`. `continueAsNew` after every
 * release keeps the history short.
 */
export function* laneOrchestrator(context: OrchestrationContext): Generator<Task, void, unknown> {
  const state = context.df.getInput<LaneState>();
  let request = state.next;

  // Builds the previous execution found queued behind `next`: each ends Superseded at once.
  for (const older of state.superseded ?? []) {
    const superseded: ReleaseInput = { ...older, supersededBy: request!.releaseId };
    yield context.df.callSubOrchestrator(Orchestrations.Release, superseded, older.releaseId);
  }

  if (!request) {
    publish(context, state, null);
    const build = context.df.waitForExternalEvent(Events.BuildArrived);
    const rollback = context.df.waitForExternalEvent(Events.RollbackRequested);
    const winner = yield context.df.Task.any([build, rollback]);
    if (winner === rollback) {
      yield* manualRollback(context, state, rollback.result as RollbackRequest);
      context.df.continueAsNew({ ...state, next: undefined, superseded: undefined } satisfies LaneState);
      return;
    }
    request = build.result as BuildRequest;
  }

  if (state.recent.includes(request.releaseId)) {
    context.df.continueAsNew({ ...state, next: undefined, superseded: undefined } satisfies LaneState);
    return;
  }

  // Whatever happens now, this release deploys over the slot a rollback of the last one would re-enable.
  state.lastSucceeded = undefined;
  publish(context, state, request.releaseId);
  // The alerts that acted on this target so far: they never act again (the release adds what acts in it).
  const input: ReleaseInput = { ...request, actedAlerts: state.actedAlerts ?? [] };
  let view: ReleaseView | undefined;
  try {
    view = (yield context.df.callSubOrchestrator(
      Orchestrations.Release,
      input,
      request.releaseId,
    )) as ReleaseView;
  } catch {
    // The release crashed or was terminated by an operator: its status says so; the lane goes on.
    view = undefined;
  }
  const recent = [...state.recent, request.releaseId].slice(-RECENT_LIMIT);
  const lastSucceeded =
    view && view.status === 'Succeeded' && view.productionSlot && view.stagingSlot
      ? {
          releaseId: view.id,
          target: view.target,
          build: view.build,
          previousSlot: view.productionSlot,
          liveSlot: view.stagingSlot,
          profileId: request.target.profileId,
        }
      : undefined;
  const actedAlerts = rememberActed(state.actedAlerts ?? [], view?.alerts?.acted ?? []);
  let next: LaneState = {
    target: state.target,
    recent,
    actedAlerts,
    ...(lastSucceeded ? { lastSucceeded } : {}),
  };

  // Drain what arrived during the release; continueAsNew would drop unconsumed events.
  const queued: BuildRequest[] = [];
  let lateRollback: RollbackRequest | undefined;
  for (;;) {
    const build = context.df.waitForExternalEvent(Events.BuildArrived);
    const rollback = context.df.waitForExternalEvent(Events.RollbackRequested);
    const drained = context.df.createTimer(context.df.currentUtcDateTime);
    const winner = yield context.df.Task.any([build, rollback, drained]);
    if (winner === drained) break;
    drained.cancel();
    if (winner === build) queued.push(build.result as BuildRequest);
    else lateRollback = rollback.result as RollbackRequest;
  }

  const fresh = uniqueNewest(queued.filter((q) => !recent.includes(q.releaseId)));
  const newest = fresh.at(-1);
  if (newest) {
    // A rollback asked for while builds queued loses: the newest build deploys over that slot anyway.
    // The older ones end Superseded at the start of the next execution: yielding here, between the
    // drain and continueAsNew, would drop the builds arriving meanwhile (the drain's last, abandoned
    // wait takes the first of them, and continueAsNew drops the others).
    const older = fresh.slice(0, -1);
    next = {
      ...next,
      next: newest,
      recent: [...next.recent, ...older.map((o) => o.releaseId)].slice(-RECENT_LIMIT),
      ...(older.length > 0 ? { superseded: older } : {}),
    };
  } else if (lateRollback) {
    yield* manualRollback(context, next, lateRollback); // clears next.lastSucceeded when it ran
  }
  context.df.continueAsNew(next);
}

/** Runs a manual rollback if it is for the lane's last succeeded release, and forgets that release. */
function* manualRollback(
  context: OrchestrationContext,
  state: LaneState,
  request: RollbackRequest,
): Generator<Task, void, unknown> {
  const last = state.lastSucceeded;
  if (!last || last.releaseId !== request.releaseId) return; // stale: the handler already answered 409
  publish(context, state, InstanceIds.manualRollback(last.releaseId));
  const input: ManualRollbackInput = { request, last };
  try {
    (yield context.df.callSubOrchestrator(
      Orchestrations.ManualRollback,
      input,
      InstanceIds.manualRollback(last.releaseId),
    )) as ManualRollbackResult;
  } catch {
    // Terminated by an operator; its status says so. The lane must survive it.
  }
  state.lastSucceeded = undefined;
}

/** Keeps the last request of each release ID, in arrival order. */
function uniqueNewest(requests: BuildRequest[]): BuildRequest[] {
  const byId = new Map<string, BuildRequest>();
  for (const r of requests) {
    byId.delete(r.releaseId);
    byId.set(r.releaseId, r);
  }
  return [...byId.values()];
}

function publish(context: OrchestrationContext, state: LaneState, current: string | null): void {
  const status: LaneStatus = {
    target: state.target,
    current,
    lastSucceeded: state.lastSucceeded?.releaseId ?? null,
  };
  context.df.setCustomStatus(status);
}
