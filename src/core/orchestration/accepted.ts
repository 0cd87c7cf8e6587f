import type { OrchestrationContext, Task } from 'durable-functions';
import type { AcceptedBuild } from './contracts';
import { inputOf } from './calls';
import { Orchestrations } from '../names';

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
