import type { OrchestrationContext, Task } from 'durable-functions';
import type { InstanceRef, RunResult } from '../../domain';
import { Activities } from '../../names';
import type { DeployInstanceInput, ListInstancesInput, ReleaseInput, ResolvedSlots } from '../contracts';
import type { ReleaseTracker } from '../tracker';
import { ARM_READ_DEADLINE_MS, callArm } from './arm';
import { StepFailure } from './failure';

/** Outcome of the deploy phase. */
export interface DeployOutcome {
  ok: boolean;
  slots: ResolvedSlots;
  /** The staging instances as listed (with their addresses), which verify probes one by one. */
  instances: InstanceRef[];
}

/**
 * Resolves the roles from Traffic Manager, then runs the deploy script on every staging instance in
 * batches of `maxParallel`, stopping as soon as failures exceed `maxFailures`. Production is never touched.
 */
export function* deploy(
  ctx: OrchestrationContext,
  input: ReleaseInput,
  r: ReleaseTracker,
): Generator<Task, DeployOutcome, unknown> {
  const { target, build, releaseId } = input;
  r.phase('deploying', 'resolve-slots');
  const armDeadline = r.nowMs() + ARM_READ_DEADLINE_MS;
  const slots = yield* callArm<ResolvedSlots>(ctx, Activities.ResolveSlots, { target }, armDeadline);
  r.view.productionSlot = slots.production;
  r.view.stagingSlot = slots.staging;

  r.begin('list-instances', `slot ${slots.staging}`);
  const listInput: ListInstancesInput = { target, slot: slots.staging };
  const instances = yield* callArm<InstanceRef[]>(ctx, Activities.ListInstances, listInput, armDeadline);
  if (instances.length === 0) {
    throw new StepFailure('list-instances', `slot ${slots.staging}`, 'the staging slot has no instances');
  }

  const { maxParallel, maxFailures } = target.deploy;
  r.begin('deploy', `${instances.length} instance(s) in slot ${slots.staging}, ${maxParallel} at a time`);
  const results: RunResult[] = [];
  r.view.deploy = { instances: results, failed: 0, tolerated: maxFailures };
  for (let i = 0; i < instances.length; i += maxParallel) {
    const batch = instances.slice(i, i + maxParallel).map((instance) => {
      const activityInput: DeployInstanceInput = { releaseId, target, build, slot: slots.staging, instance };
      return ctx.df.callActivity(Activities.DeployInstance, activityInput);
    });
    const batchResults = (yield ctx.df.Task.all(batch)) as RunResult[];
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
