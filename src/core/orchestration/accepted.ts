import type { OrchestrationContext, Task } from 'durable-functions';
import type { AcceptedBuild, CancelRequest, NotifyInput } from './contracts';
import { callActivity, inputOf } from './calls';
import { Activities, Orchestrations } from '../names';

/**
 * The durable receipt of an accepted build: it only completes with its input. The hook starts it after
 * handing the build to the lane, so a receipt proves the lane has the build; a redelivery that finds it
 * is answered as a duplicate without waking the lane, and the build's status URL reads `Queued` from it
 * until the lane starts (or supersedes) its release.
 */
// eslint-disable-next-line require-yield -- an orchestrator must be a generator; this one has nothing to wait for
export function* acceptedOrchestrator(
  context: OrchestrationContext,
): Generator<Task, AcceptedBuild, unknown> {
  return inputOf(context, Orchestrations.Accepted);
}

/**
 * The durable record of a cancel request (`<release id>:cancel`): its derived id makes a retried request find the
 * first one; the lane's effects start a queued build that has one as Cancelled. It notifies a queued build's
 * cancellation at once (its release may start much later), then completes with the request.
 */
export function* cancelRecordedOrchestrator(
  context: OrchestrationContext,
): Generator<Task, CancelRequest, unknown> {
  const input = inputOf(context, Orchestrations.CancelRecorded);
  if (input.notice) {
    const notice: NotifyInput = { kind: 'cancelled', release: input.notice };
    yield callActivity(context, Activities.Notify, notice);
  }
  return input.request;
}
