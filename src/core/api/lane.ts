import type { ReleasePhase, ReleaseView, TargetFreeze } from '../domain';
import { Events, InstanceIds, Orchestrations } from '../names';
import type {
  AcceptedBuild,
  LaneEffects,
  LaneEffectsResult,
  ManualRollbackInput,
  ReadFreezeInput,
  ReleaseInput,
  WorkEnded,
} from '../orchestration/contracts';
import { endedRelease } from '../orchestration/laneWork';
import { ACTIVE_STATES, type InstanceStatus, type ReleaseClient } from './client';
import { currentFreeze } from './freeze';

/** Instances one effects activity starts at once. */
const START_CONCURRENCY = 8;

/** Phases in which a release still reacts to a newer build (it ends Superseded at approval). */
const SUPERSEDABLE: ReadonlySet<ReleasePhase> = new Set([
  'queued',
  'deploying',
  'verifying',
  'awaiting-approval',
]);

/** Whether the release would act on a NewerBuild event; phases only move forward, so a "no" is final. */
export function takesNewerBuild(current: InstanceStatus | undefined): boolean {
  if (!current || !ACTIVE_STATES.has(current.runtimeStatus)) return false;
  if (current.name !== Orchestrations.Release) return false;
  const phase = (current.customStatus as ReleaseView | null | undefined)?.phase;
  return phase === undefined || SUPERSEDABLE.has(phase);
}

/**
 * The LaneEffects activity: starts what the lane decided to start, tells the running release of a newer
 * build, and reads the instance the lane believes runs. At-least-once safe: an instance that exists is
 * never started again (starting a finished one would run it twice), and a second NewerBuild is ignored.
 */
export async function runLaneEffects(
  client: ReleaseClient,
  effects: LaneEffects & { lane: string },
): Promise<LaneEffectsResult> {
  const starts = [...(effects.start ?? [])];
  const sup = effects.supersede?.inline ? effects.supersede : undefined;
  if (effects.supersede && !sup) {
    const batch = { lane: effects.lane, supersede: { ...effects.supersede, inline: true } };
    const instanceId = `${effects.lane}:supersede:${effects.supersede.by}`;
    starts.push({ orchestration: Orchestrations.SupersedeQueued, instanceId, input: batch });
  }
  const superseded = (sup?.releaseIds ?? []).map((releaseId) => ({
    orchestration: Orchestrations.Release,
    instanceId: releaseId,
    // Built from the build's receipt when started: the lane keeps only ids.
    input: undefined as unknown,
  }));
  const startOne = async (s: (typeof starts)[number]): Promise<void> => {
    if (await client.get(s.instanceId)) return;
    if (s.input === undefined && sup) {
      const receipt = await client.get(InstanceIds.accepted(s.instanceId));
      const accepted = (receipt?.output ?? receipt?.input) as AcceptedBuild | undefined;
      // No receipt: the hook failed before answering 202, so that delivery was never accepted.
      if (!accepted?.build) return;
      const input: ReleaseInput = {
        releaseId: s.instanceId,
        build: accepted.build,
        receivedAt: accepted.receivedAt,
        target: sup.target,
        supersededBy: sup.by,
      };
      s = { ...s, input };
    }
    try {
      await client.start(s.orchestration, s.instanceId, s.input);
    } catch (err) {
      if (!(await client.get(s.instanceId))) throw err; // not a concurrent start of the same: a failure
    }
  };
  starts.push(...superseded);
  // A batch of superseded builds is started a few at a time: the lane waits for this activity.
  const workers = Array.from({ length: Math.min(START_CONCURRENCY, starts.length) }, async () => {
    for (let s = starts.shift(); s; s = starts.shift()) await startOne(s);
  });
  await Promise.all(workers);
  let checked: InstanceStatus | undefined;
  if (effects.newer) {
    checked = await client.get(effects.newer.releaseId);
    // A baking release ignores builds: it gets no event, so its history stays its own.
    if (takesNewerBuild(checked)) {
      await client.raise(effects.newer.releaseId, Events.NewerBuild, effects.newer.event);
    }
  }
  if (effects.unfrozen) {
    const held = await client.get(effects.unfrozen);
    // Only a release still before its swap can be holding it for the freeze (after its verify, or with its
    // approval in); one that has not reached the hold yet reads the freeze there, a stale event costs it a read.
    if (takesNewerBuild(held)) {
      await client.raise(effects.unfrozen, Events.TargetUnfrozen, {});
    }
  }
  if (!effects.check) return {};
  if (effects.check !== effects.newer?.releaseId) checked = await client.get(effects.check);
  const ended = endedFromStatus(effects.check, checked);
  return ended ? { ended } : {};
}

/**
 * The ReadFreeze activity: the freeze in force on a target, from its lane's status (null when not frozen, or when
 * the target has no lane yet: nothing froze it).
 */
export async function readFreeze(
  client: ReleaseClient,
  input: ReadFreezeInput,
): Promise<TargetFreeze | null> {
  return currentFreeze(client, input.target);
}

/** What ended, read from an instance's status; undefined while it still runs. */
function endedFromStatus(instanceId: string, status: InstanceStatus | undefined): WorkEnded | undefined {
  if (status && ACTIVE_STATES.has(status.runtimeStatus)) return undefined;
  const view = status?.output as ReleaseView | undefined;
  const input = status?.input as ReleaseInput | ManualRollbackInput | undefined;
  if (status?.runtimeStatus === 'Completed' && view?.status && input && 'target' in input) {
    return endedRelease(instanceId, view, input);
  }
  // Failed, terminated or gone: nothing to roll back to, nothing learnt about alerts.
  return { instanceId };
}

/** The ReportToLane activity: raises the end of a release or rollback into its lane. */
export async function reportToLane(
  client: ReleaseClient,
  input: { lane: string; ended: WorkEnded },
): Promise<void> {
  await client.raise(input.lane, Events.WorkEnded, input.ended);
}
