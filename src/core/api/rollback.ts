import { Events, InstanceIds } from '../names';
import type { LaneStatus, RollbackRequest } from '../orchestration/contracts';
import type { Clock } from '../ports/clock';
import type { ReleaseClient } from './client';
import type { ReleaseView } from '../domain';
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
    if (view.phase === 'rolling-back') return { accepted: true, id, via: 'already-requested' };
    if (view.phase !== 'baking') {
      const why =
        view.phase === 'swapping'
          ? `traffic is moving to ${view.stagingSlot} right now; if the swap fails, production ${view.productionSlot} is restored by itself. Ask again once it bakes`
          : 'traffic has not moved, so there is nothing to roll back';
      return {
        accepted: false,
        status: 409,
        code: 'not-rollbackable',
        message: `release '${id}' is ${view.phase}: ${why} (a release can be rolled back while baking or after it succeeded)`,
      };
    }
    await client.raise(id, Events.RollbackRequested, request);
    return { accepted: true, id, via: 'release' };
  }
  if (view.status !== 'Succeeded') {
    const manual = await client.get(InstanceIds.manualRollback(id));
    if (view.status === 'RolledBack' || (manual && manual.runtimeStatus !== 'Terminated')) {
      return { accepted: true, id, via: 'already-requested' };
    }
    return { accepted: false, status: 409, code: 'not-rollbackable', message: endedMessage(id, view) };
  }
  const manual = await client.get(InstanceIds.manualRollback(id));
  if (manual && manual.runtimeStatus !== 'Terminated' && manual.runtimeStatus !== 'Failed') {
    return { accepted: true, id, via: 'already-requested' };
  }
  if (manual) {
    return {
      accepted: false,
      status: 409,
      code: 'rollback-stopped',
      message: `the manual rollback of '${id}' was stopped (${manual.runtimeStatus.toLowerCase()}) before traffic was back; traffic was last seen on ${view.liveSlot}: check the target's traffic resource`,
    };
  }
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

/** What a release that ended other than Succeeded did to traffic, said as it is. */
function endedMessage(id: string, view: ReleaseView): string {
  const swapped = view.timeline.some((t) => t.step === 'swap');
  const ended = `release '${id}' ended ${view.status}${view.error ? ` at ${view.error.step}` : ''}`;
  if (!swapped) return `${ended} before its swap: production was never moved by it`;
  const restored = view.timeline.some((t) => t.step === 'restore-production' && t.outcome === 'ok');
  if (restored && view.liveSlot === view.productionSlot) {
    return `${ended}; its swap failed and traffic was put back on its production slot ${view.productionSlot}: there is nothing to roll back`;
  }
  return `${ended} after its swap, with traffic last seen on ${view.liveSlot} (production was ${view.productionSlot}); only a baking or the last succeeded release can be rolled back here: check the target's traffic resource`;
}
