import type { ReleasePhase, ReleaseView } from '../domain';
import { Events, InstanceIds, Orchestrations } from '../names';
import type { CancelRecord } from '../orchestration/contracts';
import type { CancelRequest } from '../orchestration/contracts';
import { compareVersions, OrchestrationVersions } from '../orchestration/version';
import type { Clock } from '../ports/clock';
import { ACTIVE_STATES, type ReleaseClient } from './client';
import { DECISION_WAIT_MS } from './approvals';
import { cancelRequestOf, queuedView, readRelease } from './views';

/** Outcome of a cancel request: accepted (202) or refused with the reason (404/409). */
export type CancelAnswer =
  | {
      accepted: true;
      id: string;
      /** `cancelled`: it has ended Cancelled; `already-cancelled`: an earlier request did it; `pending`: not yet seen. */
      outcome: 'cancelled' | 'already-cancelled' | 'pending';
      release: ReleaseView;
    }
  | { accepted: false; status: 404 | 409; code: string; message: string };

/** Phases in which a release still stops on a cancel: traffic has not moved. */
const CANCELLABLE: ReadonlySet<ReleasePhase> = new Set([
  'queued',
  'deploying',
  'verifying',
  'awaiting-approval',
]);

/** Why a release cannot be cancelled, or undefined when it can. */
function refusal(id: string, view: ReleaseView): { code: string; message: string } | undefined {
  if (view.status === 'Queued') return undefined;
  if (view.status === 'Running') {
    if (view.phase === 'swapping' || view.phase === 'baking' || view.phase === 'rolling-back') {
      const what =
        view.phase === 'swapping'
          ? `traffic is moving to ${view.stagingSlot} right now: once it bakes, roll it back with POST /api/releases/${id}/rollback`
          : view.phase === 'baking'
            ? `traffic is on ${view.liveSlot} already: to undo it, roll it back with POST /api/releases/${id}/rollback`
            : 'traffic is going back to the previous slot already';
      return {
        code: 'already-swapped',
        message: `release '${id}' is ${view.phase}, past its swap, so it cannot be cancelled: ${what}`,
      };
    }
    if (!CANCELLABLE.has(view.phase)) {
      return { code: 'not-cancellable', message: `release '${id}' is ${view.phase}` };
    }
    if (
      view.orchestrationVersion &&
      compareVersions(view.orchestrationVersion, OrchestrationVersions.Cancel) < 0
    ) {
      return {
        code: 'not-cancellable',
        message: `release '${id}' was started by orchestration version ${view.orchestrationVersion}, before cancelling existed (${OrchestrationVersions.Cancel}): reject it, or let it expire or be superseded`,
      };
    }
    return undefined;
  }
  const swapped = view.timeline.some((t) => t.step === 'swap');
  const after =
    view.status === 'Succeeded' || (view.status === 'RolledBack' && swapped)
      ? `; traffic moved with it: use POST /api/releases/${id}/rollback${view.status === 'RolledBack' ? ' (it is rolled back already)' : ''}`
      : ': production was never moved by it';
  return {
    code: 'not-cancellable',
    message: `release '${id}' has ended ${view.status}, there is nothing left to cancel${after}`,
  };
}

/**
 * Cancels a release before its swap: production is never touched. A queued build (the lane has not started its
 * release) gets a durable cancel record, which the lane's effects turn into a release that ends Cancelled at
 * once; a running release (deploying, verifying, awaiting approval) is told (`CancelRequested`) and stops where
 * it is: no further instance starts deploying, the deploys in flight finish. The record is written first in both
 * cases and its id is derived, so a retried request finds the first one (whose who and why stand). Then it waits
 * a few seconds for the release to end, so the caller learns whether it did; a release that moved on to its swap
 * first is told as such (409).
 */
export async function requestCancel(
  client: ReleaseClient,
  clock: Clock,
  id: string,
  requestedBy: string,
  reason: string,
  waitMs: number = DECISION_WAIT_MS,
): Promise<CancelAnswer> {
  const view = await readRelease(client, id);
  if (!view) return { accepted: false, status: 404, code: 'not-found', message: `no release '${id}'` };
  if (view.status === 'Cancelled') return { accepted: true, id, outcome: 'already-cancelled', release: view };
  const refused = refusal(id, view);
  if (refused) return { accepted: false, status: 409, ...refused };

  const request: CancelRequest = {
    releaseId: id,
    requestedBy,
    reason,
    requestedAt: clock.now().toISOString(),
  };
  const recordId = InstanceIds.cancel(id);
  // Nothing else tells anyone about a queued build's cancellation now: its release may start much later.
  const receipt = view.status === 'Queued' ? await client.get(InstanceIds.accepted(id)) : undefined;
  const notice = receipt
    ? queuedView(receipt, {
        instanceId: recordId,
        name: Orchestrations.CancelRecorded,
        runtimeStatus: 'Completed',
        output: request,
        createdTime: request.requestedAt,
        lastUpdatedTime: request.requestedAt,
      })
    : undefined;
  const record: CancelRecord = { request, ...(notice ? { notice } : {}) };
  let first = request;
  try {
    await client.start(Orchestrations.CancelRecorded, recordId, record);
  } catch (err) {
    const existing = await client.get(recordId);
    if (!existing) throw err;
    // A retried (or concurrent) request: the first one's who and why are the ones recorded.
    first = cancelRequestOf(existing) ?? (existing.input as CancelRecord | undefined)?.request ?? request;
  }
  const instance = await client.get(id);
  if (instance && ACTIVE_STATES.has(instance.runtimeStatus)) {
    await client.raise(id, Events.CancelRequested, first);
  }

  const deadline = Date.now() + waitMs;
  let delay = 50;
  for (;;) {
    const now = (await readRelease(client, id)) ?? view;
    if (now.status === 'Cancelled') return { accepted: true, id, outcome: 'cancelled', release: now };
    const late = refusal(id, now);
    if (late) {
      return {
        accepted: false,
        status: 409,
        code: late.code === 'already-swapped' ? 'too-late' : late.code,
        message: `the cancel came too late: ${late.message}`,
      };
    }
    if (Date.now() + delay > deadline) return { accepted: true, id, outcome: 'pending', release: now };
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 1000);
  }
}
