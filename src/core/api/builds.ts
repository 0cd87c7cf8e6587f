import type { BuildInfo, ReleasePhase, ReleaseView, TargetConfig } from '../domain';
import { Events, InstanceIds, Orchestrations } from '../names';
import type {
  AcceptedBuild,
  BuildRequest,
  LaneState,
  LaneStatus,
  NewerBuildEvent,
} from '../orchestration/contracts';
import type { Clock } from '../ports/clock';
import { ACTIVE_STATES, type InstanceStatus, type ReleaseClient } from './client';

/** What happened to a delivered build. */
export interface SubmitResult {
  id: string;
  /** `started` when it was handed to the lane now, `duplicate` for a redelivery. */
  outcome: 'started' | 'duplicate';
  /** The release that was running when this build arrived, if any (it is superseded or queued behind). */
  behind?: string;
}

/** Phases in which a release still reacts to a newer build (it ends Superseded at approval). */
const SUPERSEDABLE: ReadonlySet<ReleasePhase> = new Set([
  'queued',
  'deploying',
  'verifying',
  'awaiting-approval',
]);

/** Deliveries in progress in this process: a concurrent redelivery waits for the first, then is a duplicate. */
const inFlight = new Map<string, Promise<unknown>>();

function laneStatus(s: { customStatus?: unknown } | undefined): LaneStatus | undefined {
  const c = s?.customStatus as LaneStatus | undefined;
  return c && typeof c === 'object' && 'target' in c ? c : undefined;
}

/** Whether the running release would act on a NewerBuild event; phases only move forward, so a "no" is final. */
function takesNewerBuild(current: InstanceStatus | undefined): boolean {
  if (!current) return true; // unreadable right now: the event is harmless, a missed supersede is not
  if (current.name !== Orchestrations.Release) return false; // a manual rollback ignores builds
  const phase = (current.customStatus as ReleaseView | null | undefined)?.phase;
  return phase === undefined || SUPERSEDABLE.has(phase);
}

/**
 * Hands a build to its target's lane, once. The release id is derived from target and build; a build is
 * a duplicate when its release exists (running, finished or superseded) or its receipt does (queued): then
 * nothing is raised, so a flood of redeliveries never wakes the lane or the running release. A new build
 * is raised to the lane, then its receipt is written (a crash in between only lets one redelivery through
 * to the lane, which drops it by id). A release that can still be superseded gets a `NewerBuild` event;
 * one swapping, baking or rolling back ignores builds, so it gets none and its events stay its own.
 */
export async function submitBuild(
  client: ReleaseClient,
  clock: Clock,
  target: TargetConfig,
  build: BuildInfo,
): Promise<SubmitResult> {
  const id = InstanceIds.release(target.name, build.id);
  const pending = inFlight.get(id);
  if (pending) {
    await pending.catch(() => undefined);
    return { id, outcome: 'duplicate' };
  }
  const work = accept(client, clock, target, build, id);
  inFlight.set(id, work);
  try {
    return await work;
  } finally {
    inFlight.delete(id);
  }
}

async function accept(
  client: ReleaseClient,
  clock: Clock,
  target: TargetConfig,
  build: BuildInfo,
  id: string,
): Promise<SubmitResult> {
  const [release, receipt] = await Promise.all([client.get(id), client.get(InstanceIds.accepted(id))]);
  if (release || receipt) return { id, outcome: 'duplicate' };

  const laneId = InstanceIds.lane(target.name);
  let lane = await client.get(laneId);
  if (!lane || !ACTIVE_STATES.has(lane.runtimeStatus)) {
    const state: LaneState = { target: target.name, recent: [] };
    try {
      await client.start(Orchestrations.Lane, laneId, state);
    } catch (err) {
      // Another delivery started it a moment ago; anything else is a real failure.
      lane = await client.get(laneId);
      if (!lane || !ACTIVE_STATES.has(lane.runtimeStatus)) throw err;
    }
  }
  const current = laneStatus(lane)?.current ?? null;
  if (current === id) return { id, outcome: 'duplicate' };

  const receivedAt = clock.now().toISOString();
  const request: BuildRequest = { releaseId: id, build, target, receivedAt };
  await client.raise(laneId, Events.BuildArrived, request);
  if (current && takesNewerBuild(await client.get(current).catch(() => undefined))) {
    const newer: NewerBuildEvent = { releaseId: id, build, receivedAt };
    await client.raise(current, Events.NewerBuild, newer).catch(() => undefined); // it may have just ended
  }
  const accepted: AcceptedBuild = {
    releaseId: id,
    target: target.name,
    build,
    receivedAt,
    ...(current ? { behind: current } : {}),
  };
  try {
    await client.start(Orchestrations.Accepted, InstanceIds.accepted(id), accepted);
  } catch (err) {
    // A concurrent delivery on another instance wrote it first: the build is accepted either way.
    if (!(await client.get(InstanceIds.accepted(id)))) throw err;
  }
  return { id, outcome: 'started', ...(current ? { behind: current } : {}) };
}
