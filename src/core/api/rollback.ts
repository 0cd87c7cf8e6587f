import { Events, InstanceIds } from '../names';
import type { LaneStatus, RollbackRequest } from '../orchestration/contracts';
import type { Clock } from '../ports/clock';
import type { ReleaseClient } from './client';
import { readRelease } from './views';

/** Outcome of a rollback request: accepted (202) or refused with the reason (404/409). */
export type RollbackAnswer =
  | { accepted: true; id: string; via: 'release' | 'lane' | 'already-requested' }
  | { accepted: false; status: 404 | 409; code: string; message: string };

/**
 * Asks for a rollback of a release: during its bake the release itself swaps back; after it
 * succeeded, the lane does, as long as no later release has deployed over the previous slot.
 */
export async function requestRollback(
  client: ReleaseClient,
  clock: Clock,
  id: string,
  requestedBy: string,
  reason?: string,
): Promise<RollbackAnswer> {
  const view = await readRelease(client, id);
  if (!view) return { accepted: false, status: 404, code: 'not-found', message: `no release '${id}'` };
  const request: RollbackRequest = {
    releaseId: id,
    requestedBy,
    requestedAt: clock.now().toISOString(),
    ...(reason ? { reason } : {}),
  };

  if (view.status === 'Running') {
    if (view.phase !== 'baking') {
      return {
        accepted: false,
        status: 409,
        code: 'not-rollbackable',
        message: `release '${id}' is ${view.phase}: traffic has not moved, so there is nothing to roll back (a release can be rolled back while baking or after it succeeded)`,
      };
    }
    await client.raise(id, Events.RollbackRequested, request);
    return { accepted: true, id, via: 'release' };
  }
  if (view.status !== 'Succeeded') {
    if (view.status === 'RolledBack' || (await client.get(InstanceIds.manualRollback(id)))) {
      return { accepted: true, id, via: 'already-requested' };
    }
    return {
      accepted: false,
      status: 409,
      code: 'not-rollbackable',
      message: `release '${id}' ended ${view.status}: production was never moved by it`,
    };
  }
  if (await client.get(InstanceIds.manualRollback(id)))
    return { accepted: true, id, via: 'already-requested' };

  const laneId = InstanceIds.lane(view.target);
  const lane = (await client.get(laneId))?.customStatus as LaneStatus | undefined;
  if (lane?.lastSucceeded !== id) {
    return {
      accepted: false,
      status: 409,
      code: 'superseded',
      message: `release '${id}' is no longer the last succeeded release of '${view.target}': a later release has deployed over the previous slot`,
    };
  }
  if (lane.current) {
    return {
      accepted: false,
      status: 409,
      code: 'busy',
      message: `release '${lane.current}' of '${view.target}' is running; roll back that one, or retry when it ends`,
    };
  }
  await client.raise(laneId, Events.RollbackRequested, request);
  return { accepted: true, id, via: 'lane' };
}
