import type { OrchestrationContext, Task } from 'durable-functions';
import type { RunResult } from '../domain';
import { Activities, Events, Orchestrations } from '../names';
import { awaited, callActivity, eventsReceived, inputOf, resultOf, waitForEvent } from './calls';
import type { DeployChunkResult, DeployChunkStatus, DeployInstanceInput } from './contracts';

/**
 * Instances one generation of a chunk deploys before `continueAsNew`: keeps each generation's history (and so its
 * replay) a few dozen events long, whatever the chunk's share of the slot.
 */
export const CHUNK_GENERATION = 8;

/** The one event a chunk waits for (every one taken ends the chunk, so any delivered at a restart is untaken). */
const STOP_EVENTS: readonly string[] = [Events.StopDeploy];

/** Results a chunk shows in its custom status (the newest), which the status API merges into the release's. */
export const CHUNK_STATUS_RESULTS = 20;

/** Marks the result a chunk over its failure budget carries in its error (a failed orchestration has no output). */
const OVER_BUDGET_MARKER = '[deploy-chunk-result]';

/** The error a chunk fails with when its failures exceed its budget, so the release's `Task.all` wakes at once. */
export function overBudgetError(result: DeployChunkResult, budget: number): Error {
  const failed = result.results.filter((x) => !x.succeeded).length;
  return new Error(
    `${failed} deploy failure(s) in this chunk, ${budget} allowed here ${OVER_BUDGET_MARKER}${JSON.stringify(result)}`,
  );
}

/** The result carried by an over-budget chunk's error, or undefined for any other failure. */
export function overBudgetResult(err: unknown): DeployChunkResult | undefined {
  const message = err instanceof Error ? err.message : String(err);
  const at = message.indexOf(OVER_BUDGET_MARKER);
  if (at < 0) return undefined;
  // JSON text never holds a raw newline; the host appends " \n <details>" after the message.
  const json = message
    .slice(at + OVER_BUDGET_MARKER.length)
    .split('\n')[0]!
    .trim();
  try {
    const parsed = JSON.parse(json) as DeployChunkResult;
    return Array.isArray(parsed.results) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One window slot of a release's deploy: deploys its instances one after another, so a slot starts its next
 * instance the moment the previous one ends (the release runs `maxParallel` of these side by side). Each deploy is
 * raced against `StopDeploy`: on it, the deploy in flight is waited for (a run command cannot be called back, and
 * the next release must not deploy over it) and nothing more starts. Failures over the chunk's budget fail the
 * chunk at once, carrying its results, which wakes the release. `continueAsNew` every few instances keeps the
 * replay cost linear in the chunk's length.
 *
 * Every `Task.any` is built of fresh tasks only: durable-functions 3.x re-sends the action of an already scheduled
 * task put in a new compound, and the extension would schedule it again (azure-functions-durable-js#574).
 */
export function* deployChunkOrchestrator(
  context: OrchestrationContext,
): Generator<Task, DeployChunkResult, unknown> {
  const input = inputOf(context, Orchestrations.DeployChunk);
  const results: RunResult[] = [...(input.results ?? [])];
  const { releaseId, target, build, slot, budget } = input;
  const publish = (left: number) => {
    const status: DeployChunkStatus = {
      done: results.length,
      failed: results.filter((x) => !x.succeeded).length,
      left,
      // Bounded whatever the chunk's length (custom status is capped at 16 KB): the newest results, short tails.
      results: results
        .slice(-CHUNK_STATUS_RESULTS)
        .map((x) => ({ ...x, outputTail: x.outputTail.slice(-200) })),
    };
    context.df.setCustomStatus(status);
  };

  for (let i = 0; i < input.instances.length; i++) {
    if (i === CHUNK_GENERATION) {
      // A StopDeploy delivered in this episode's batch after the last deploy's result would be dropped by
      // continueAsNew (durable-functions for Node preserves no events): it stops the chunk here instead.
      if (eventsReceived(context, STOP_EVENTS) > 0) return { results, stopped: 'stop-event' };
      context.df.continueAsNew({ ...input, instances: input.instances.slice(i), results });
      return { results };
    }
    const instance = input.instances[i]!;
    const activityInput: DeployInstanceInput = { releaseId, target, build, slot, instance };
    const deploy = callActivity(context, Activities.DeployInstance, activityInput);
    const stop = waitForEvent(context, Events.StopDeploy);
    const winner = yield context.df.Task.any([deploy, stop]);
    if (winner === stop) {
      // Re-yielding the same task schedules nothing new; it waits for the deploy already running.
      results.push(yield* awaited(deploy));
      publish(input.instances.length - i - 1);
      return { results, stopped: 'stop-event' };
    }
    results.push(resultOf(deploy));
    publish(input.instances.length - i - 1);
    if (results.filter((x) => !x.succeeded).length > budget) {
      throw overBudgetError({ results, stopped: 'budget' }, budget);
    }
  }
  return { results };
}
