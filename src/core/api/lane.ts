import type { ReleasePhase, ReleaseView, TargetFreeze } from '../domain';
import { Events, InstanceIds, Orchestrations } from '../names';
import type {
  AcceptedBuild,
  LaneEffectsInput,
  LaneEffectsResult,
  ManualRollbackInput,
  OrchestrationInput,
  OrchestrationName,
  ReadFreezeInput,
  ReleaseInput,
  ReportToLaneInput,
  StartRequest,
  WorkEnded,
} from '../orchestration/contracts';
import { upgradeLegacy } from '../legacy';
import { endedRelease } from '../orchestration/laneWork';
import { ACTIVE_STATES, type InstanceStatus, type ReleaseClient } from './client';
import { currentFreeze } from './freeze';

/** A start the effects activity makes: as the lane asked, or a superseded build's release from its receipt. */
type Start = StartRequest | { fromReceipt: string };

/** Starts one requested instance; generic so that each orchestration gets its own input type. */
function startRequest<N extends OrchestrationName>(
  client: ReleaseClient,
  s: { orchestration: N; instanceId: string; input: OrchestrationInput<N> },
): Promise<void> {
  return client.start(s.orchestration, s.instanceId, s.input);
}

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
  effects: LaneEffectsInput,
): Promise<LaneEffectsResult> {
  const starts: Start[] = [...(effects.start ?? [])];
  const sup = effects.supersede?.inline ? effects.supersede : undefined;
  if (effects.supersede && !sup) {
    const input: LaneEffectsInput = { lane: effects.lane, supersede: { ...effects.supersede, inline: true } };
    const instanceId = `${effects.lane}:supersede:${effects.supersede.by}`;
    starts.push({ orchestration: Orchestrations.SupersedeQueued, instanceId, input });
  }
  // Built from the build's receipt when started: the lane keeps only ids.
  const superseded: Start[] = (sup?.releaseIds ?? []).map((releaseId) => ({ fromReceipt: releaseId }));
  const startOne = async (s: Start): Promise<void> => {
    let request: StartRequest;
    if ('fromReceipt' in s) {
      if (!sup || (await client.get(s.fromReceipt))) return;
      const receipt = await client.get(InstanceIds.accepted(s.fromReceipt));
      const accepted = (receipt?.output ?? receipt?.input) as AcceptedBuild | undefined;
      // No receipt: the hook failed before answering 202, so that delivery was never accepted.
      if (!accepted?.build) return;
      const input: ReleaseInput = {
        releaseId: s.fromReceipt,
        build: accepted.build,
        receivedAt: accepted.receivedAt,
        target: sup.target,
        supersededBy: sup.by,
      };
      request = { orchestration: Orchestrations.Release, instanceId: s.fromReceipt, input };
    } else {
      if (await client.get(s.instanceId)) return;
      request = s;
    }
    try {
      await startRequest(client, request);
    } catch (err) {
      if (!(await client.get(request.instanceId))) throw err; // not a concurrent start of the same: a failure
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
  // A release started by an earlier app version has its input in that version's shape.
  const input = upgradeLegacy(status?.input as ReleaseInput | ManualRollbackInput | undefined);
  if (status?.runtimeStatus === 'Completed' && view?.status && input && 'target' in input) {
    return endedRelease(instanceId, view, input);
  }
  // Failed, terminated or gone: nothing to roll back to, nothing learnt about alerts.
  return { instanceId };
}

/** The ReportToLane activity: raises the end of a release or rollback into its lane. */
export async function reportToLane(client: ReleaseClient, input: ReportToLaneInput): Promise<void> {
  await client.raise(input.lane, Events.WorkEnded, input.ended);
}
