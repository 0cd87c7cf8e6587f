import { createHash } from 'node:crypto';
import type { ReleaseStatus, ReleaseView } from '../domain';
import { HttpError } from '../errors';
import { InstanceIds, Orchestrations } from '../names';
import type { CancelRecord } from '../orchestration/contracts';
import type {
  AcceptedBuild,
  CancelRequest,
  DeployChunkStatus,
  ManualRollbackResult,
  ReleaseInput,
} from '../orchestration/contracts';
import {
  ACTIVE_STATES,
  InstanceQueryError,
  type InstancePage,
  type InstanceStatus,
  type ReleaseClient,
} from './client';
import { mapLimited } from '../concurrency';

function isView(x: unknown): x is ReleaseView {
  return typeof x === 'object' && x !== null && 'id' in x && 'timeline' in x && 'status' in x;
}

/**
 * The status document of a release instance: its output once it has finished, else its custom status;
 * a host-level failure or termination shows as Failed. A manual rollback run later is merged in.
 */
export function releaseView(status: InstanceStatus, manual?: InstanceStatus): ReleaseView {
  const input = status.input as ReleaseInput | undefined;
  let view: ReleaseView;
  if (isView(status.output)) view = structuredClone(status.output);
  else if (isView(status.customStatus)) view = structuredClone(status.customStatus);
  else {
    view = {
      id: status.instanceId,
      target: input?.target?.name ?? '',
      status: 'Running',
      phase: 'queued',
      build: input?.build ?? { id: '', number: '', pipeline: '', source: 'build.complete' },
      timeline: [],
      createdAt: status.createdTime,
      updatedAt: status.lastUpdatedTime,
    };
  }
  if (status.runtimeStatus === 'Failed' || status.runtimeStatus === 'Terminated') {
    const phase = view.phase;
    view.status = 'Failed';
    view.phase = 'done';
    view.error ??= {
      step: phase,
      resource: `orchestration ${status.instanceId}`,
      message:
        status.runtimeStatus === 'Terminated'
          ? `terminated: ${String(status.output ?? '')}`
          : `orchestration failed: ${String(status.output ?? '')}`,
    };
  }
  if (view.approval) upgradeApproval(view);
  const result = manual?.output as ManualRollbackResult | undefined;
  if (manual && view.status === 'Succeeded') {
    if (result?.ok) {
      view.status = 'RolledBack';
      view.liveSlot = view.productionSlot;
      view.rollback = {
        trigger: 'manual',
        requestedBy: result.requestedBy,
        ...(result.reason ? { reason: result.reason } : {}),
        requestedAt: result.requestedAt,
        trafficBackAt: result.trafficBackAt,
        latencyMs: Date.parse(result.trafficBackAt!) - Date.parse(result.requestedAt),
        ...(result.attempts !== undefined ? { attempts: result.attempts } : {}),
        ...(result.lastError ? { lastError: result.lastError } : {}),
      };
      if (result.restored) {
        view.timeline.push({
          step: 'restored',
          startedAt: result.trafficBackAt!,
          endedAt: result.trafficBackAt!,
          durationMs: 0,
          outcome: 'ok',
          detail: result.restored,
        });
      }
      view.timeline.push({
        step: 'manual-rollback',
        startedAt: result.requestedAt,
        endedAt: result.trafficBackAt,
        durationMs: view.rollback.latencyMs,
        outcome: 'ok',
        detail: `requested by ${result.requestedBy}${result.reason ? `: ${result.reason}` : ''}`,
      });
    } else if (result && !result.ok) {
      view.timeline.push({
        step: 'manual-rollback',
        startedAt: result.requestedAt,
        outcome: 'failed',
        detail: result.error,
      });
    } else if (manual.runtimeStatus === 'Terminated' || manual.runtimeStatus === 'Failed') {
      view.timeline.push({
        step: 'manual-rollback',
        startedAt: manual.createdTime,
        outcome: 'failed',
        detail: `stopped (${manual.runtimeStatus.toLowerCase()}) before traffic was back: ${String(manual.output ?? '')}`,
      });
    } else {
      // Still retrying: the release reads rolling-back with the attempts and the last error.
      const progress = manual.customStatus as ManualRollbackResult | undefined;
      view.phase = 'rolling-back';
      view.rollback = {
        trigger: 'manual',
        requestedBy: progress?.requestedBy ?? '',
        ...(progress?.reason ? { reason: progress.reason } : {}),
        requestedAt: progress?.requestedAt ?? manual.createdTime,
        attempts: progress?.attempts ?? 0,
        ...(progress?.lastError ? { lastError: progress.lastError } : {}),
        ...(progress?.nextAttemptAt ? { nextAttemptAt: progress.nextAttemptAt } : {}),
      };
      view.timeline.push({
        step: 'manual-rollback',
        startedAt: manual.createdTime,
        detail: progress?.lastError
          ? `attempt ${progress.attempts} failed: ${progress.lastError}; retrying at ${progress.nextAttemptAt}`
          : 'in progress',
      });
    }
  }
  return view;
}

/**
 * Never hands out live links (they go to the notifier only). A release that started before links left the status
 * still carries them: its round is read from its own token's payload (the signature is checked when it is used).
 */
function upgradeApproval(view: ReleaseView): void {
  const a = view.approval!;
  if (
    a.round === undefined &&
    a.approveUrl &&
    view.status === 'Running' &&
    view.phase === 'awaiting-approval'
  ) {
    try {
      const token = new URL(a.approveUrl).searchParams.get('token') ?? '';
      const payload = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as {
        n?: unknown;
      };
      if (typeof payload.n === 'string') {
        a.round = payload.n;
        a.pending = true;
      }
    } catch {
      // not a token of ours: the release cannot be decided through the API, only expire or be superseded
    }
  }
  delete a.approveUrl;
  delete a.rejectUrl;
}

/** Reads one release by id, with its manual rollback if any; an accepted build not started yet shows as Queued. */
export async function readRelease(client: ReleaseClient, id: string): Promise<ReleaseView | undefined> {
  const status = await client.get(id);
  if (!status) {
    const [receipt, cancel] = await Promise.all([
      client.get(InstanceIds.accepted(id)),
      client.get(InstanceIds.cancel(id)),
    ]);
    return queuedView(receipt, cancel);
  }
  if (status.name !== Orchestrations.Release) return undefined;
  const manual = await client.get(InstanceIds.manualRollback(id));
  const view = releaseView(status, manual);
  await Promise.all([resolveSupersededBy(client, view), mergeDeployProgress(client, view)]);
  return view;
}

/**
 * While a release deploys, its own status holds only the results of finished rounds (it sleeps while its deploy
 * chunks run): the chunks' newest results are merged in, and `running` counts the instances still deploying.
 */
async function mergeDeployProgress(client: ReleaseClient, view: ReleaseView): Promise<void> {
  const deploy = view.deploy;
  if (view.phase !== 'deploying' || !deploy || deploy.round === undefined || !deploy.chunks) return;
  const round = deploy.round;
  const ids = Array.from({ length: deploy.chunks }, (_, i) => InstanceIds.deployChunk(view.id, round, i));
  const statuses = await Promise.all(ids.map((chunk) => client.get(chunk).catch(() => undefined)));
  // The release's own counts cover the rounds before this one (its list may be abridged); the chunks' tallies
  // cover this round (their lists show only the newest results).
  const ranBefore = deploy.total ?? deploy.instances.length;
  const known = new Set(deploy.instances.map((x) => x.instance));
  let running = 0;
  let done = 0;
  let failed = 0;
  for (const s of statuses) {
    const progress = s?.customStatus as DeployChunkStatus | null | undefined;
    // A chunk still running has one deploy in flight.
    if (s && ACTIVE_STATES.has(s.runtimeStatus)) running++;
    done += progress?.done ?? 0;
    failed += progress?.failed ?? 0;
    for (const result of progress?.results ?? []) {
      if (known.has(result.instance)) continue;
      known.add(result.instance);
      deploy.instances.push(result);
    }
  }
  const ran = ranBefore + done;
  if (ran > deploy.instances.length) deploy.total = ran;
  deploy.failed += failed;
  deploy.running = running;
}

/** Why a queued build waits: behind a release, and/or for a freeze that was in force when it arrived. */
function queuedDetail(accepted: AcceptedBuild): string {
  const f = accepted.frozen;
  const freeze = f
    ? `arrived while the target was frozen by ${f.by}${f.until ? ` until ${f.until}` : ''} (${f.reason}): starts once unfrozen`
    : undefined;
  const behind = accepted.behind ? `behind ${accepted.behind}` : undefined;
  return [behind, freeze].filter(Boolean).join('; ') || 'waiting for its lane';
}

/** The cancel request a cancel record holds, if `status` is one. */
export function cancelRequestOf(status: InstanceStatus | undefined): CancelRequest | undefined {
  if (status?.name !== Orchestrations.CancelRecorded) return undefined;
  const request = (status.output ?? (status.input as CancelRecord | undefined)?.request) as
    CancelRequest | undefined;
  return request?.releaseId ? request : undefined;
}

/**
 * The status of a build that has a receipt but no release yet: it waits in its target's lane (`Queued`), or, with
 * a cancel record, it has been cancelled there (`Cancelled`: its release, once the lane reaches it, ends at once).
 */
export function queuedView(
  receipt: InstanceStatus | undefined,
  cancel?: InstanceStatus,
): ReleaseView | undefined {
  if (receipt?.name !== Orchestrations.Accepted) return undefined;
  const accepted = (receipt.output ?? receipt.input) as AcceptedBuild | undefined;
  if (!accepted?.releaseId) return undefined;
  const request = cancelRequestOf(cancel);
  const queued = {
    step: 'queued',
    startedAt: accepted.receivedAt,
    detail: queuedDetail(accepted),
  };
  const view: ReleaseView = {
    id: accepted.releaseId,
    target: accepted.target,
    status: 'Queued',
    phase: 'queued',
    build: accepted.build,
    timeline: [queued],
    ...(accepted.rerun ? { rerun: accepted.rerun } : {}),
    createdAt: accepted.receivedAt,
    updatedAt: accepted.receivedAt,
  };
  if (!request) return view;
  const at = request.requestedAt;
  const durationMs = Math.max(0, Date.parse(at) - Date.parse(accepted.receivedAt));
  return {
    ...view,
    status: 'Cancelled',
    phase: 'done',
    cancellation: { ...request, phase: 'queued', cancelledAt: at },
    timeline: [
      { ...queued, endedAt: at, durationMs, outcome: 'cancelled', detail: 'cancelled while queued' },
      {
        step: 'cancel',
        startedAt: at,
        endedAt: at,
        durationMs: 0,
        outcome: 'cancelled',
        detail: `cancelled by ${request.requestedBy}: ${request.reason}; production untouched`,
      },
    ],
    updatedAt: at,
  };
}

/** Filters and page of the release list. */
export interface ReleaseQuery {
  target?: string;
  status?: ReleaseStatus;
  /** Created at or after. */
  from?: Date;
  /** Created at or before. */
  to?: Date;
  /** At most this many releases in the page. */
  limit: number;
  /** The `continuationToken` of the previous page, as this API issued it. */
  continuationToken?: string;
}

/** A page of releases; `continuationToken` when more may follow (a short page is not the end). */
export interface ReleasePage {
  releases: ReleaseView[];
  continuationToken?: string;
}

/**
 * Runtime states the task hub is asked for, per release status: every state a release's instance (or a queued
 * build's receipt) can be in for it, and, where a manual rollback changes the status, every state of a
 * rollback that does (so a page in id order holds the rollbacks it needs, see `listReleases`).
 */
const RUNTIME_OF: Record<ReleaseStatus, readonly string[] | undefined> = {
  // A receipt is Pending, Running or Completed, so are most releases: narrowing would only cost the
  // page its completeness (below), and a read per receipt.
  Queued: undefined,
  Running: [...ACTIVE_STATES],
  // A succeeded release shows its manual rollback in any state (rolling back while it runs, a failed step
  // after it failed or was terminated); nearly every release is Completed, so narrowing would save little.
  Succeeded: undefined,
  // Only a rollback that completed (ok) turns a release RolledBack: Completed holds it.
  RolledBack: ['Completed'],
  Rejected: ['Completed'],
  Expired: ['Completed'],
  Superseded: ['Completed'],
  // A release ends Cancelled; a queued build cancelled is its receipt (completed at once) and its cancel record.
  Cancelled: ['Completed'],
  Failed: ['Completed', 'Failed', 'Terminated'],
};

/** Whether a manual rollback can change whether a release has this status (else it is not read). */
const ROLLBACK_MATTERS = (status: ReleaseStatus | undefined): boolean =>
  status === undefined || status === 'Succeeded' || status === 'RolledBack';

/** Task hub pages read for one API page at most: a sparse filter answers a short page with a token. */
const MAX_ROUNDS = 4;

/** Reads of one page's manual rollbacks and receipts' releases in flight at once. */
const READS_IN_FLIGHT = 8;

/** Hops followed from a superseded release to the build that superseded it for good. */
const MAX_SUPERSEDE_HOPS = 10;

/** Ties a continuation token to the filters it was issued for. */
function fingerprint(q: ReleaseQuery): string {
  const filters = [q.target ?? '', q.status ?? '', q.from?.toISOString() ?? '', q.to?.toISOString() ?? ''];
  return createHash('sha256').update(JSON.stringify(filters)).digest('base64url').slice(0, 16);
}

function encodeToken(q: ReleaseQuery, durable: string, last: string | undefined): string {
  const token = { v: 1, f: fingerprint(q), d: durable, ...(last !== undefined ? { l: last } : {}) };
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

function badToken(why: string): HttpError {
  return new HttpError(400, 'bad-continuation-token', `continuationToken ${why}`);
}

/** The task hub's token inside one of ours, refused (400) unless it is ours and for these filters. */
function decodeToken(q: ReleaseQuery): { durable: string; last?: string } | undefined {
  const token = q.continuationToken;
  if (token === undefined) return undefined;
  let parsed: { v?: unknown; f?: unknown; d?: unknown; l?: unknown };
  try {
    if (!/^[A-Za-z0-9_-]{1,4096}$/.test(token)) throw new Error('not base64url');
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as typeof parsed;
  } catch {
    throw badToken('is not a token this API issued');
  }
  if (
    parsed?.v !== 1 ||
    typeof parsed.d !== 'string' ||
    parsed.d === '' ||
    (parsed.l !== undefined && typeof parsed.l !== 'string')
  ) {
    throw badToken('is not a token this API issued');
  }
  if (parsed.f !== fingerprint(q)) {
    throw badToken('was issued for other filters (target, status, from, to): send the same filters with it');
  }
  return { durable: parsed.d, ...(typeof parsed.l === 'string' ? { last: parsed.l } : {}) };
}

/**
 * Lists releases and queued builds, a page at a time, answered by the task hub's own instance query:
 * a target is an instance id prefix (`<target>-b`), a status narrows the runtime states, the time range
 * is the instances' created time; nothing reads the whole task hub. Pages follow the task hub's order
 * (by instance id on the Azure Storage provider and the local host, so a target's releases by build id).
 */
export async function listReleases(client: ReleaseClient, q: ReleaseQuery): Promise<ReleasePage> {
  const resumed = decodeToken(q);
  let durableToken = resumed?.durable;
  /** The last instance id before this page, when known (the first page starts at the beginning). */
  let previousLast = resumed?.last;
  const releases: ReleaseView[] = [];
  const runtimeStatus = q.status ? RUNTIME_OF[q.status] : undefined;
  const runs: LaneRun[] = [];
  for (let round = 0; round < MAX_ROUNDS && releases.length < q.limit; round++) {
    let page: InstancePage;
    try {
      page = await client.query({
        ...(q.target ? { instanceIdPrefix: InstanceIds.release(q.target, '') } : {}),
        ...(runtimeStatus ? { runtimeStatus } : {}),
        ...(q.from ? { createdTimeFrom: q.from } : {}),
        ...(q.to ? { createdTimeTo: q.to } : {}),
        // Every instance yields at most one entry, so the page never holds more than `limit`.
        pageSize: q.limit - releases.length,
        // Inputs hold the whole target configuration; a view needs one only before the instance has run.
        showInput: false,
        ...(durableToken ? { continuationToken: durableToken } : {}),
      });
    } catch (err) {
      if (err instanceof InstanceQueryError && err.status === 400 && durableToken) {
        throw badToken('was refused by the task hub (expired or not issued by it)');
      }
      throw err;
    }
    const views = new Map<string, ReleaseView>();
    for (const s of page.instances) {
      // A release is never Queued (only a receipt without one is): no view is built for that filter.
      if (s.name !== Orchestrations.Release || q.status === 'Queued') continue;
      const view = releaseView(s);
      views.set(s.instanceId, view);
      // Not superseded and past `queued`: the lane started it (see `coverage`). Not one that ended having touched
      // nothing either: the lane gives the rollback target back after it.
      if (view.status !== 'Superseded' && view.phase !== 'queued' && view.stagingTouched !== false) {
        runs.push({ target: view.target, created: Date.parse(s.createdTime) });
      }
    }
    const ctx: PageContext = {
      q,
      page: new Map(page.instances.map((s) => [s.instanceId, s] as const)),
      views,
      ...coverage(client, q, page, previousLast, runs),
    };
    const entries = await mapLimited(page.instances, READS_IN_FLIGHT, (s) => entryOf(client, s, ctx));
    for (const view of entries) {
      if (!view) continue;
      if (q.target && view.target !== q.target) continue; // `web-b` is also a prefix of target `web-b2`
      if (q.status && view.status !== q.status) continue;
      releases.push(view);
    }
    durableToken = page.continuationToken;
    previousLast = page.instances.length > 0 ? lastId(page) : previousLast;
    if (!durableToken) break;
  }
  await mapLimited(releases, READS_IN_FLIGHT, (v) => resolveSupersededBy(client, v));
  return {
    releases,
    ...(durableToken ? { continuationToken: encodeToken(q, durableToken, previousLast) } : {}),
  };
}

/** A release the lane started (not one superseded while queued): its target and created time (ms). */
interface LaneRun {
  target: string;
  created: number;
}

/** One task hub page as `entryOf` reads it: the page by id, its releases' views, what its absences prove. */
interface PageContext {
  q: ReleaseQuery;
  page: Map<string, InstanceStatus>;
  views: Map<string, ReleaseView>;
  /** Whether the page would hold this release's manual rollback if it existed. */
  holdsRollbackOf(release: InstanceStatus, view: ReleaseView): boolean;
  /** Whether the page would hold the release of this receipt if it existed. */
  holdsReleaseOf(releaseId: string): boolean;
  /** Whether the page would hold the cancel record of this receipt if it existed. */
  holdsCancelOf(releaseId: string): boolean;
}

/**
 * What a page's absences prove, so an entry needs no read of its own. In id order (as Azure Storage and the local
 * host list, which the client declares; a page out of order is never trusted) a page holds every instance with the
 * prefix that the filter admits from its first id to its last (from the start on the first page, to the end on
 * the last): an id in that range that is absent either does not exist or the filter refused it.
 * - A release's manual rollback (`<id>-rollback`, after the release in id order): the status filter admits
 *   every state that matters (RUNTIME_OF), and it was created after the release, so `createdFrom` admits it.
 *   `createdTo` may not: the rollback can be created long after. Yet the lane rolls back only its last succeeded
 *   release and forgets it when it starts the next one (lane.ts, `takeRollback`/`startRelease`), for good unless
 *   that one ends having touched nothing (`stagingTouched: false`), so a rollback was created before any other
 *   release of its target that the lane started later: one such release within `createdTo` puts the rollback
 *   within it too. Otherwise (the newest releases of a page) it is read.
 * - A receipt's release (before the receipt in id order) is created after the receipt, so only an unfiltered
 *   status and no `createdTo` admit it for sure.
 */
function coverage(
  client: ReleaseClient,
  q: ReleaseQuery,
  page: InstancePage,
  previousLast: string | undefined,
  runs: readonly LaneRun[],
): Pick<PageContext, 'holdsRollbackOf' | 'holdsReleaseOf' | 'holdsCancelOf'> {
  const ordered = client.pagesInIdOrder === true && inIdOrder(page, previousLast);
  const last = lastId(page);
  const inRange = (id: string) =>
    ordered &&
    (previousLast === undefined || id > previousLast) &&
    (page.continuationToken === undefined || id <= last);
  const to = q.to?.getTime();
  return {
    holdsRollbackOf: (release, view) => {
      if (!inRange(InstanceIds.manualRollback(release.instanceId))) return false;
      if (to === undefined) return true;
      const created = Date.parse(release.createdTime);
      return runs.some((r) => r.target === view.target && r.created > created && r.created <= to);
    },
    holdsReleaseOf: (releaseId) =>
      inRange(releaseId) && (!q.status || RUNTIME_OF[q.status] === undefined) && to === undefined,
    // A cancel record is created after its receipt and may still run (it notifies): the same conditions.
    holdsCancelOf: (releaseId) =>
      inRange(InstanceIds.cancel(releaseId)) &&
      (!q.status || RUNTIME_OF[q.status] === undefined) &&
      to === undefined,
  };
}

const lastId = (p: InstancePage): string => p.instances.at(-1)?.instanceId ?? '';

/** Whether the page lists ids in ascending order, all after the previous page's last. */
function inIdOrder(page: InstancePage, previousLast: string | undefined): boolean {
  let prev = previousLast;
  for (const s of page.instances) {
    if (prev !== undefined && !(s.instanceId > prev)) return false;
    prev = s.instanceId;
  }
  return true;
}

/** The list entry of one instance: a release, or a queued build (a receipt with no release yet). */
async function entryOf(
  client: ReleaseClient,
  s: InstanceStatus,
  ctx: PageContext,
): Promise<ReleaseView | undefined> {
  const unstarted = s.output == null && s.customStatus == null;
  if (s.name === Orchestrations.Release) {
    if (ctx.q.status === 'Queued') return undefined;
    const full = unstarted ? await client.get(s.instanceId) : undefined;
    const view = full ? releaseView(full) : ctx.views.get(s.instanceId)!;
    // Only a succeeded release takes a manual rollback into its view; other filters drop it either way.
    if (view.status !== 'Succeeded' || !ROLLBACK_MATTERS(ctx.q.status)) return view;
    const manualId = InstanceIds.manualRollback(s.instanceId);
    const manual =
      ctx.page.get(manualId) ?? (ctx.holdsRollbackOf(s, view) ? undefined : await client.get(manualId));
    return manual?.name === Orchestrations.ManualRollback ? releaseView(full ?? s, manual) : view;
  }
  if (s.name === Orchestrations.Accepted && s.instanceId.endsWith(':accepted')) {
    // A queued build is only ever Queued, or Cancelled (its cancel record).
    if (ctx.q.status && ctx.q.status !== 'Queued' && ctx.q.status !== 'Cancelled') return undefined;
    const releaseId = s.instanceId.slice(0, -':accepted'.length);
    if (ctx.page.has(releaseId)) return undefined;
    const receipt = unstarted ? ((await client.get(s.instanceId)) ?? s) : s;
    // Its cancel record (`:cancel`, after the receipt in id order) makes it Cancelled.
    const cancelId = InstanceIds.cancel(releaseId);
    const cancelOf = async () =>
      ctx.page.get(cancelId) ?? (ctx.holdsCancelOf(releaseId) ? undefined : await client.get(cancelId));
    if (ctx.holdsReleaseOf(releaseId)) return queuedView(receipt, await cancelOf());
    return (await client.get(releaseId)) ? undefined : queuedView(receipt, await cancelOf());
  }
  return undefined;
}

/**
 * A release superseded by a build that was itself superseded while queued names the build that
 * superseded them for good: `supersededBy` never names a build that never ran.
 */
async function resolveSupersededBy(client: ReleaseClient, view: ReleaseView): Promise<void> {
  const seen = new Set([view.id]);
  let next = view.supersededBy;
  for (let hop = 0; next && hop < MAX_SUPERSEDE_HOPS && !seen.has(next); hop++) {
    seen.add(next);
    const status = await client.get(next);
    if (status?.name !== Orchestrations.Release) break; // queued: it runs next
    const then = releaseView(status);
    if (then.status !== 'Superseded' || !then.supersededBy) break;
    view.supersededBy = then.supersededBy;
    next = then.supersededBy;
  }
}
