import type { OrchestrationContext, Task } from 'durable-functions';
import type { InstanceRef, RunResult } from '../../domain';
import { Activities, InstanceIds, Orchestrations } from '../../names';
import type {
  DeployChunkInput,
  DeployChunkResult,
  ListInstancesInput,
  ReleaseInput,
  ResolvedSlots,
  StopDeploysInput,
} from '../contracts';
import type { CancelRequest } from '../contracts';
import { awaited, callActivity, callSubOrchestrator } from '../calls';
import { overBudgetResult } from '../deployChunk';
import { causeOf, type ReleaseTracker } from '../tracker';
import { atLeast, OrchestrationVersions } from '../version';
import { ARM_READ_DEADLINE_MS, callArm } from './arm';
import { deployInBatches } from './deployBatches';
import { StepFailure } from './failure';
import type { NewerBuildWatch } from './supersede';

/** Outcome of the deploy phase. */
export interface DeployOutcome {
  ok: boolean;
  slots: ResolvedSlots;
  /** The staging instances as listed (with their addresses), which verify probes one by one. */
  instances: InstanceRef[];
  /** Set when a newer build arrived meanwhile: the release stopped deploying and ends Superseded. */
  supersededBy?: string;
  /** Set when it was cancelled meanwhile: the release stopped deploying and ends Cancelled. */
  cancelled?: CancelRequest;
}

/**
 * Resolves the roles from the traffic provider, then runs the deploy script on every staging instance, `maxParallel`
 * at a time in a sliding window: `maxParallel` deploy chunks (sub-orchestrations) side by side, each deploying its
 * share one instance after another, so a new deploy starts the moment one ends and no instance waits for a slow
 * one elsewhere. The release's own history grows with the number of chunks, not of instances.
 *
 * Failures: each chunk gets a share of the failures still tolerated (the shares add up to it), so failures over
 * `maxFailures` always put some chunk over its share; that chunk stops and fails at once, the release stops the
 * others (`StopDeploy`) and counts. Over the tolerance: `Failed`. Within it (one chunk's share was small): a
 * new round deploys the instances not started yet, with fresh shares. A `NewerBuild` stops the chunks the same
 * way and the release ends `Superseded`. Production is never touched.
 */
export function* deploy(
  ctx: OrchestrationContext,
  input: ReleaseInput,
  r: ReleaseTracker,
  watch: NewerBuildWatch,
): Generator<Task, DeployOutcome, unknown> {
  const { target, build, releaseId } = input;
  r.phase('deploying', 'resolve-slots');
  const armDeadline = r.nowMs() + ARM_READ_DEADLINE_MS;
  const slots = yield* callArm(ctx, Activities.ResolveSlots, { target }, armDeadline);
  r.view.productionSlot = slots.production;
  r.view.stagingSlot = slots.staging;

  r.begin('list-instances', `slot ${slots.staging}`);
  const listInput: ListInstancesInput = { target, slot: slots.staging };
  const instances = yield* callArm(ctx, Activities.ListInstances, listInput, armDeadline);
  if (instances.length === 0) {
    throw new StepFailure('list-instances', `slot ${slots.staging}`, 'the staging slot has no instances');
  }

  const { maxParallel, maxFailures } = target.deploy;
  r.begin('deploy', `${instances.length} instance(s) in slot ${slots.staging}, ${maxParallel} at a time`);
  // Releases created before 3.0 replay the deploy they started: batches of activities (orchestration versioning).
  if (!atLeast(ctx, OrchestrationVersions.DeployChunks)) {
    r.touchStaging();
    return yield* deployInBatches(ctx, input, r, slots, instances);
  }
  const results: RunResult[] = [];
  r.view.deploy = { instances: results, failed: 0, tolerated: maxFailures };
  r.publish();

  // A newer build that arrived before this point waits in the buffer: take it before any deploy starts.
  const now = ctx.df.createTimer(new Date(r.nowMs()));
  if ((yield ctx.df.Task.any([...watch.waits(), now])) !== now) now.cancel();
  let stop = watch.stop();
  let queue = stop ? [] : instances;
  const chunkIds: string[] = [];
  for (let round = 0; queue.length > 0; round++) {
    const plan = planChunks(queue, maxParallel, maxFailures - failedCount(results));
    const ids = plan.map((_, i) => InstanceIds.deployChunk(releaseId, round, i));
    chunkIds.push(...ids);
    r.touchStaging();
    const tasks = plan.map((chunk, i) => {
      const chunkInput: DeployChunkInput = {
        releaseId,
        target,
        build,
        slot: slots.staging,
        instances: chunk.instances,
        budget: chunk.budget,
      };
      return callSubOrchestrator(ctx, Orchestrations.DeployChunk, chunkInput, ids[i]!);
    });
    // The status API reads the chunks' own progress while they run (this orchestration sleeps meanwhile).
    r.view.deploy.round = round;
    r.view.deploy.chunks = plan.length;
    r.publish();
    const all = ctx.df.Task.all(tasks);
    const winner = yield ctx.df.Task.any([all, ...watch.waits()]);
    stop = watch.stop();
    if (winner !== all || all.isFaulted) {
      // Stop the chunks still running; each finishes the deploy it has in flight.
      const running = ids.filter((_, i) => !tasks[i]!.isCompleted);
      if (running.length > 0) {
        const stopInput: StopDeploysInput = { releaseId, instanceIds: running };
        try {
          yield callActivity(ctx, Activities.StopDeploys, stopInput);
        } catch {
          // Without the event the chunks run to their end; waiting for them below stays correct.
        }
      }
    }
    // Each task on its own (never in a new compound: see deployChunk.ts); done ones return at once.
    const next: InstanceRef[] = [];
    let overBudget = false;
    for (let i = 0; i < tasks.length; i++) {
      const chunk = plan[i]!;
      let outcome: DeployChunkResult;
      try {
        outcome = yield* awaited(tasks[i]!);
      } catch (err) {
        outcome = overBudgetResult(err) ?? lostChunk(chunk.instances, ids[i]!, err);
      }
      if (outcome.stopped === 'budget') overBudget = true;
      results.push(...outcome.results);
      next.push(...chunk.instances.slice(outcome.results.length));
    }
    r.view.deploy.failed = failedCount(results);
    delete r.view.deploy.round;
    delete r.view.deploy.chunks;
    r.publish();
    // A newer build or a cancel that arrived while the chunks drained.
    stop ??= watch.stop();
    if (stop || r.view.deploy.failed > maxFailures || !overBudget) break;
    queue = next;
  }

  // The results are in this history now: the chunks need not stay in the task hub (a release an hour would
  // otherwise leave maxParallel instances behind each time).
  if (chunkIds.length > 0) {
    const purge: StopDeploysInput = { releaseId, instanceIds: chunkIds };
    try {
      yield callActivity(ctx, Activities.PurgeDeployChunks, purge);
    } catch {
      // Best effort: a chunk left behind costs task hub space only.
    }
  }

  const failed = r.view.deploy.failed;
  if (stop) {
    const stoppedAfter = `stopped after ${results.length} of ${instances.length} instance(s)`;
    if (stop.kind === 'cancel') {
      r.end('cancelled', `${stoppedAfter}: cancelled by ${stop.cancel.requestedBy}`);
      return { ok: false, slots, instances, cancelled: stop.cancel };
    }
    r.end('skipped', `${stoppedAfter}: superseded by ${stop.newer.releaseId}`);
    return { ok: false, slots, instances, supersededBy: stop.newer.releaseId };
  }
  if (failed > maxFailures) {
    const names = results.filter((x) => !x.succeeded).map((x) => `${x.instance} (exit ${x.exitCode})`);
    const skipped = instances.length - results.length;
    r.fail({
      step: 'deploy',
      resource: `slot ${slots.staging}`,
      message:
        `${failed} instance(s) failed, ${maxFailures} tolerated: ${names.join(', ')}` +
        (skipped > 0 ? `; ${skipped} not deployed` : ''),
    });
    return { ok: false, slots, instances };
  }
  r.end('ok', failed > 0 ? `${failed} failure(s) tolerated` : undefined);
  return { ok: true, slots, instances };
}

/** One chunk of a deploy round: its instances and the failures it may see before it stops. */
export interface ChunkPlan {
  instances: InstanceRef[];
  budget: number;
}

/**
 * Splits the instances into `min(maxParallel, n)` chunks dealt round-robin (so the first `maxParallel` instances
 * start first, as in listing order) and shares `tolerated` failures among them: the shares add up to `tolerated`,
 * so more failures than that put at least one chunk over its share.
 */
export function planChunks(instances: InstanceRef[], maxParallel: number, tolerated: number): ChunkPlan[] {
  const k = Math.max(1, Math.min(maxParallel, instances.length));
  const budget = Math.max(0, tolerated);
  return Array.from({ length: k }, (_, i) => ({
    instances: instances.filter((_, n) => n % k === i),
    budget: Math.floor(budget / k) + (i < budget % k ? 1 : 0),
  }));
}

const failedCount = (results: RunResult[]): number => results.filter((x) => !x.succeeded).length;

/** A chunk that ended without results (terminated by an operator, or crashed): its instances count as failed. */
function lostChunk(instances: InstanceRef[], id: string, err: unknown): DeployChunkResult {
  const cause = causeOf(err);
  return {
    results: instances.map((i) => ({
      instance: i.name,
      exitCode: -1,
      succeeded: false,
      outputTail: `deploy chunk ${id} ended without a result: ${cause}`,
    })),
  };
}
