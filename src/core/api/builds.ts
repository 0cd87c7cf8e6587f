import type { BuildInfo, TargetConfig } from '../domain';
import { Events, InstanceIds, Orchestrations } from '../names';
import type { BuildRequest, LaneState, LaneStatus, NewerBuildEvent } from '../orchestration/contracts';
import type { Clock } from '../ports/clock';
import { ACTIVE_STATES, type ReleaseClient } from './client';

/** What happened to a delivered build. */
export interface SubmitResult {
  id: string;
  /** `started` when it was handed to the lane now, `duplicate` for a redelivery. */
  outcome: 'started' | 'duplicate';
  /** The release that was running when this build arrived, if any (it is superseded or queued behind). */
  behind?: string;
}

function laneStatus(s: { customStatus?: unknown } | undefined): LaneStatus | undefined {
  const c = s?.customStatus as LaneStatus | undefined;
  return c && typeof c === 'object' && 'target' in c ? c : undefined;
}

/**
 * Hands a build to its target's lane. The release ID is derived from target and build, so a
 * redelivered hook finds the same release and starts nothing. A release of the same target that is
 * running gets a `NewerBuild` event: one awaiting approval ends Superseded, one swapping or baking
 * ignores it and the build queues in the lane.
 */
export async function submitBuild(
  client: ReleaseClient,
  clock: Clock,
  target: TargetConfig,
  build: BuildInfo,
): Promise<SubmitResult> {
  const id = InstanceIds.release(target.name, build.id);
  if (await client.get(id)) return { id, outcome: 'duplicate' };

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

  const request: BuildRequest = { releaseId: id, build, target, receivedAt: clock.now().toISOString() };
  await client.raise(laneId, Events.BuildArrived, request);
  if (current) {
    const newer: NewerBuildEvent = { releaseId: id, build, receivedAt: request.receivedAt };
    await client.raise(current, Events.NewerBuild, newer).catch(() => undefined); // it may have just ended
  }
  return { id, outcome: 'started', ...(current ? { behind: current } : {}) };
}
