import type { OrchestrationContext, Task } from 'durable-functions';
import type { InstanceRef, RunResult } from '../../domain';
import { Activities } from '../../names';
import { awaitAll, callActivity } from '../calls';
import type { DeployInstanceInput, ReleaseInput, ResolvedSlots } from '../contracts';
import type { ReleaseTracker } from '../tracker';
import type { DeployOutcome } from './deploy';

/**
 * The deploy of releases created before orchestration version 3.0, kept unchanged so that they replay what
 * they did: batches of `maxParallel` activities, each batch waiting for its slowest instance, stopping after a
 * batch once failures exceed `maxFailures`. Delete it once no release older than 3.0 runs (README, "Changing
 * orchestrator code").
 */
export function* deployInBatches(
  ctx: OrchestrationContext,
  input: ReleaseInput,
  r: ReleaseTracker,
  slots: ResolvedSlots,
  instances: InstanceRef[],
): Generator<Task, DeployOutcome, unknown> {
  const { target, build, releaseId } = input;
  const { maxParallel, maxFailures } = target.deploy;
  const results: RunResult[] = [];
  r.view.deploy = { instances: results, failed: 0, tolerated: maxFailures };
  for (let i = 0; i < instances.length; i += maxParallel) {
    const batch = instances.slice(i, i + maxParallel).map((instance) => {
      const activityInput: DeployInstanceInput = { releaseId, target, build, slot: slots.staging, instance };
      return callActivity(ctx, Activities.DeployInstance, activityInput);
    });
    const batchResults = yield* awaitAll(ctx, batch);
    results.push(...batchResults);
    r.view.deploy.failed = results.filter((x) => !x.succeeded).length;
    r.publish();
    if (r.view.deploy.failed > maxFailures) break;
  }

  const failed = r.view.deploy.failed;
  if (failed > maxFailures) {
    const names = results.filter((x) => !x.succeeded).map((x) => `${x.instance} (exit ${x.exitCode})`);
    r.fail({
      step: 'deploy',
      resource: `slot ${slots.staging}`,
      message: `${failed} instance(s) failed, ${maxFailures} tolerated: ${names.join(', ')}`,
    });
    return { ok: false, slots, instances };
  }
  r.end('ok', failed > 0 ? `${failed} failure(s) tolerated` : undefined);
  return { ok: true, slots, instances };
}
