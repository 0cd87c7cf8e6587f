import { deployParameterProblems } from '../activities/parameters';
import { findTarget, type AppConfig } from '../config';
import type { ReleaseStatus, ReleaseView, RerunInfo } from '../domain';
import { InstanceIds, MAX_ATTEMPTS, RELEASE_ID_PATTERN } from '../names';
import type { AcceptedBuild, ReleaseInput } from '../orchestration/contracts';
import type { Clock } from '../ports/clock';
import type { ReleaseClient } from './client';
import { IntakeMemory, submitBuild } from './builds';
import { listReleases, readRelease } from './views';

/** Statuses a re-run is for: the build never went live, or it was taken back. */
export const RERUNNABLE: readonly ReleaseStatus[] = [
  'Failed',
  'Expired',
  'Rejected',
  'RolledBack',
  'Cancelled',
];

/** Outcome of a re-run request: accepted (202, the new release's id) or refused with the reason (404/409). */
export type RerunAnswer =
  | { accepted: true; id: string; rerunOf: string; duplicate: boolean; behind?: string }
  | { accepted: false; status: 404 | 409; code: string; message: string; newer?: string };

/** What a re-run request says. */
export interface RerunRequest {
  requestedBy: string;
  reason: string;
  /** Go ahead even when a newer build of the target is live or running (production would move back). */
  force?: boolean;
}

/** Release list pages read, at most, looking for a newer build (500 each). */
const NEWER_PAGES = 20;

function refuse(code: string, message: string, newer?: string): RerunAnswer {
  return { accepted: false, status: 409, code, message, ...(newer ? { newer } : {}) };
}

/** Why a release's state forbids a re-run, or undefined. */
function stateRefusal(id: string, view: ReleaseView): RerunAnswer | undefined {
  if (view.status === 'Queued' || view.status === 'Running' || view.phase === 'rolling-back') {
    const what = view.status === 'Queued' ? 'queued' : view.phase;
    return refuse(
      'still-running',
      `release '${id}' is ${what}: it has not ended, so it cannot be re-run (cancel it first with POST /api/releases/${id}/cancel, or wait for it to end)`,
    );
  }
  if (view.status === 'Succeeded') {
    return refuse(
      'succeeded',
      `release '${id}' succeeded: its build went live, there is nothing to re-run (a re-run is for ${RERUNNABLE.join(', ')} releases)`,
    );
  }
  if (view.status === 'Superseded') {
    return refuse(
      'superseded',
      `release '${id}' was superseded by ${view.supersededBy ?? 'a newer build'}: re-running it would replace that newer build; re-run the newer one if it did not go live`,
    );
  }
  if (!RERUNNABLE.includes(view.status)) {
    return refuse('not-rerunnable', `release '${id}' ended ${view.status}`);
  }
  return undefined;
}

/** The attempt line of a release: its own re-run record (from its input or receipt, never abridged), else itself. */
async function lineageOf(
  client: ReleaseClient,
  id: string,
  view: ReleaseView,
): Promise<Pick<RerunInfo, 'base' | 'attempt' | 'since'>> {
  const instance = await client.get(id);
  const input = instance?.input as ReleaseInput | undefined;
  let rerun = input?.rerun;
  if (!instance) {
    const receipt = await client.get(InstanceIds.accepted(id));
    rerun = ((receipt?.output ?? receipt?.input) as AcceptedBuild | undefined)?.rerun;
  }
  if (rerun) return { base: rerun.base, attempt: rerun.attempt, since: rerun.since };
  return { base: id, attempt: 1, since: view.createdAt };
}

/** Whether the instance (or receipt) at `nextId` is the re-run of `id`: a retried request finds its own. */
async function existingRerun(
  client: ReleaseClient,
  nextId: string,
): Promise<{ exists: boolean; of?: string }> {
  const [instance, receipt] = await Promise.all([
    client.get(nextId),
    client.get(InstanceIds.accepted(nextId)),
  ]);
  if (!instance && !receipt) return { exists: false };
  const rerun =
    (instance?.input as ReleaseInput | undefined)?.rerun ??
    ((receipt?.output ?? receipt?.input) as AcceptedBuild | undefined)?.rerun;
  return { exists: true, ...(rerun ? { of: rerun.of } : {}) };
}

/**
 * A release of another build of the target, created after the build's first release, that is live (Succeeded) or
 * about to be (running, queued): re-running the older build would move production back.
 */
async function newerBuild(
  client: ReleaseClient,
  view: ReleaseView,
  since: string,
): Promise<ReleaseView | undefined> {
  let continuationToken: string | undefined;
  for (let pages = 0; pages < NEWER_PAGES; pages++) {
    const page = await listReleases(client, {
      target: view.target,
      from: new Date(since),
      limit: 500,
      ...(continuationToken ? { continuationToken } : {}),
    });
    const found = page.releases.find(
      (r) =>
        r.build.id !== view.build.id &&
        r.createdAt >= since &&
        (r.status === 'Succeeded' || r.status === 'Running' || r.status === 'Queued'),
    );
    if (found) return found;
    continuationToken = page.continuationToken;
    if (!continuationToken) return undefined;
  }
  // Too many releases since to be sure: treat it as newer, so only a forced re-run goes ahead.
  return { ...view, id: `(more than ${NEWER_PAGES * 500} releases since ${since})`, status: 'Succeeded' };
}

/**
 * Re-runs a Failed, Expired, Rejected, RolledBack or Cancelled release: the same build goes through its target's
 * lane again as a new release `<first release>-r<attempt>` (queued like any build if the lane is busy), with the
 * target's configuration as it is now. The attempt is derived from the release re-run (its attempt + 1), never
 * counted, so a retried request names the same release and finds it: one re-run per release, however often the
 * request is sent. Refused unless forced when a newer build of the target is live or running.
 */
export async function requestRerun(
  client: ReleaseClient,
  clock: Clock,
  config: AppConfig,
  id: string,
  request: RerunRequest,
  memory: IntakeMemory = new IntakeMemory(),
): Promise<RerunAnswer> {
  const view = await readRelease(client, id);
  if (!view) return { accepted: false, status: 404, code: 'not-found', message: `no release '${id}'` };
  const refused = stateRefusal(id, view);
  if (refused) return refused;
  const target = findTarget(config, view.target);
  if (!target)
    return refuse('unknown-target', `release '${id}' belongs to no configured target '${view.target}'`);

  const line = await lineageOf(client, id, view);
  const attempt = line.attempt + 1;
  const nextId = InstanceIds.rerun(line.base, attempt);
  if (attempt > MAX_ATTEMPTS || !RELEASE_ID_PATTERN.test(nextId)) {
    return refuse(
      'too-many-attempts',
      `build ${view.build.number} has run ${line.attempt} times on '${view.target}' (at most ${MAX_ATTEMPTS})`,
    );
  }
  const existing = await existingRerun(client, nextId);
  if (existing.exists) {
    if (existing.of === id) return { accepted: true, id: nextId, rerunOf: id, duplicate: true };
    return refuse(
      existing.of ? 'already-rerun' : 'id-taken',
      existing.of
        ? `'${nextId}' already re-runs '${existing.of}'`
        : `release id '${nextId}' is taken by another build's release`,
    );
  }

  const newer = await newerBuild(client, view, line.since);
  if (newer && !request.force) {
    const state =
      newer.status === 'Succeeded' ? 'went live' : `is ${newer.status === 'Queued' ? 'queued' : newer.phase}`;
    return refuse(
      'newer-build',
      `build ${newer.build.number} (release ${newer.id}) ${state} after build ${view.build.number}: re-running '${id}' would move production back to the older build; send "force": true to re-run it anyway`,
      newer.id,
    );
  }
  const problems = deployParameterProblems(target, view.build);
  if (problems.length > 0) {
    return refuse(
      'invalid-build',
      `build ${view.build.number} no longer fits target '${target.name}': ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    );
  }
  const rerun: RerunInfo = {
    of: id,
    base: line.base,
    attempt,
    since: line.since,
    requestedBy: request.requestedBy,
    reason: request.reason,
    requestedAt: clock.now().toISOString(),
    ...(newer && request.force ? { forced: { newer: newer.id } } : {}),
  };
  const result = await submitBuild(client, clock, target, view.build, memory, rerun);
  return {
    accepted: true,
    id: result.id,
    rerunOf: id,
    duplicate: result.outcome === 'duplicate',
    ...(result.behind ? { behind: result.behind } : {}),
  };
}
