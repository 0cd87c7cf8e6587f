import type { OrchestrationContext, Task } from 'durable-functions';
import * as df from 'durable-functions';
import type { ReleaseView } from '../domain';
import { Activities, Orchestrations } from '../names';
import type { ManualRollbackResult, ReleaseInput, WorkEnded } from './contracts';
import { manualRollbackOrchestrator } from './manualRollback';
import { releaseOrchestrator } from './release';
import { callActivityWithRetry, inputOf } from './calls';

/** Telling the lane is retried a while; if it never gets through, the lane notices at its next build. */
const REPORT_RETRY = new df.RetryOptions(2_000, 5);

/** The release as registered: the release itself, then its lane is told it ended. */
export function* releaseInLane(context: OrchestrationContext): Generator<Task, ReleaseView, unknown> {
  const input = inputOf(context, Orchestrations.Release);
  let view: ReleaseView;
  let reported = false;
  try {
    view = yield* releaseOrchestrator(context, {
      // A succeeded release tells its lane before it records its cutover (that never holds the lane).
      *succeeded(v) {
        if (input.lane) yield* report(context, input.lane, endedRelease(context.df.instanceId, v, input));
        reported = true;
      },
    });
  } catch (err) {
    if (input.lane && !reported) yield* report(context, input.lane, { instanceId: context.df.instanceId });
    throw err;
  }
  if (input.lane && !reported)
    yield* report(context, input.lane, endedRelease(context.df.instanceId, view, input));
  return view;
}

/** The manual rollback as registered: the rollback itself, then its lane is told it ended. */
export function* manualRollbackInLane(
  context: OrchestrationContext,
): Generator<Task, ManualRollbackResult, unknown> {
  const input = inputOf(context, Orchestrations.ManualRollback);
  const result = yield* manualRollbackOrchestrator(context);
  if (input.lane) yield* report(context, input.lane, { instanceId: context.df.instanceId });
  return result;
}

/** What a lane keeps of a finished release (also read from a release's output by the lane's check). */
export function endedRelease(
  instanceId: string,
  view: ReleaseView,
  input: Pick<ReleaseInput, 'target'>,
): WorkEnded {
  return {
    instanceId,
    release: {
      status: view.status,
      target: view.target,
      build: view.build,
      traffic: input.target.traffic,
      ...(view.productionSlot ? { productionSlot: view.productionSlot } : {}),
      ...(view.stagingSlot ? { stagingSlot: view.stagingSlot } : {}),
      ...(view.alerts?.acted?.length ? { actedAlerts: view.alerts.acted } : {}),
      ...(view.stagingTouched === false ? { stagingTouched: false as const } : {}),
    },
  };
}

function* report(
  context: OrchestrationContext,
  lane: string,
  ended: WorkEnded,
): Generator<Task, void, unknown> {
  try {
    yield callActivityWithRetry(context, Activities.ReportToLane, REPORT_RETRY, { lane, ended });
  } catch {
    // The outcome stands; the lane reads this instance's status when its next build arrives.
  }
}

/** Starts, off the lane, the releases of a lane's replaced builds so they end Superseded (idempotent). */
export function* supersedeQueuedOrchestrator(context: OrchestrationContext): Generator<Task, void, unknown> {
  const input = inputOf(context, Orchestrations.SupersedeQueued);
  yield callActivityWithRetry(context, Activities.LaneEffects, REPORT_RETRY, input);
}
