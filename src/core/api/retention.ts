import { InstanceIds, Orchestrations } from '../names';
import type { LaneStatus } from '../orchestration/contracts';
import type { Clock } from '../ports/clock';
import { ACTIVE_STATES, type InstanceStatus, type ReleaseClient } from './client';
import { releaseView } from './views';

/** Runtime states of a finished instance. */
const FINISHED = ['Completed', 'Failed', 'Terminated'] as const;

/** Instances read per page of the purge's queries. */
const PAGE = 100;

/** Why an old finished release was kept. */
export type KeptReason = 'last-succeeded' | 'rollback-target' | 'rollback-running';

/** What one purge did. */
export interface PurgeResult {
  /** Created before this instant (ISO) and finished: the candidates. */
  cutoff: string;
  /** Releases removed, with their build receipt, cancel record and finished manual rollback. */
  purged: string[];
  kept: { id: string; reason: KeptReason }[];
  /** Instances deleted in all (releases, receipts, manual rollbacks). */
  instancesDeleted: number;
}

interface Candidate {
  status: InstanceStatus;
  target: string;
  succeeded: boolean;
}

/** Pages through a query to the end. */
async function* everyInstance(
  client: ReleaseClient,
  query: Omit<Parameters<ReleaseClient['query']>[0], 'pageSize' | 'continuationToken'>,
): AsyncGenerator<InstanceStatus> {
  let continuationToken: string | undefined;
  do {
    const page = await client.query({
      ...query,
      pageSize: PAGE,
      ...(continuationToken ? { continuationToken } : {}),
    });
    yield* page.instances;
    continuationToken = page.continuationToken;
  } while (continuationToken);
}

/** Whether a release ended Succeeded and was not rolled back by hand afterwards. */
async function stillSucceeded(client: ReleaseClient, s: InstanceStatus): Promise<boolean> {
  if (releaseView(s).status !== 'Succeeded') return false;
  const manual = await client.get(InstanceIds.manualRollback(s.instanceId));
  return !manual || releaseView(s, manual).status === 'Succeeded';
}

/** Whether the target has a Succeeded release created at or after the cutoff (then an old one is not its last). */
async function succeededSince(client: ReleaseClient, target: string, cutoff: Date): Promise<boolean> {
  for await (const s of everyInstance(client, {
    instanceIdPrefix: InstanceIds.release(target, ''),
    runtimeStatus: ['Completed'],
    createdTimeFrom: cutoff,
  })) {
    if (s.name !== Orchestrations.Release || releaseView(s).target !== target) continue;
    if (await stillSucceeded(client, s)) return true;
  }
  return false;
}

/**
 * Purges finished releases created more than `retentionDays` ago, found by the task hub's own query
 * (finished runtime states, created before the cutoff). Never removes a target's last Succeeded release,
 * the release its lane would roll back to (`lastSucceeded`, or `heldSucceeded` while a release runs), or
 * one whose manual rollback still runs; a release goes together with its build receipt and its finished
 * manual rollback. Idempotent: a purge interrupted halfway is finished by the next run.
 */
export async function purgeFinishedReleases(
  client: ReleaseClient,
  clock: Clock,
  retentionDays: number,
): Promise<PurgeResult> {
  const cutoff = new Date(clock.now().getTime() - retentionDays * 86_400_000);
  const candidates: Candidate[] = [];
  for await (const s of everyInstance(client, { runtimeStatus: FINISHED, createdTimeTo: cutoff })) {
    if (s.name !== Orchestrations.Release) continue;
    const view = releaseView(s);
    candidates.push({ status: s, target: view.target, succeeded: false });
  }

  const kept = new Map<string, KeptReason>();
  for (const target of new Set(candidates.map((c) => c.target))) {
    const mine = candidates.filter((c) => c.target === target);
    const lane = (await client.get(InstanceIds.lane(target)))?.customStatus as LaneStatus | undefined;
    if (lane?.lastSucceeded) kept.set(lane.lastSucceeded, 'rollback-target');
    // Held while a release runs: the rollback target again if that release ends having deployed nothing.
    if (lane?.heldSucceeded) kept.set(lane.heldSucceeded, 'rollback-target');
    for (const c of mine) c.succeeded = await stillSucceeded(client, c.status);
    const newest = mine
      .filter((c) => c.succeeded)
      .sort((a, b) => b.status.createdTime.localeCompare(a.status.createdTime))[0];
    if (newest && !kept.has(newest.status.instanceId) && !(await succeededSince(client, target, cutoff))) {
      kept.set(newest.status.instanceId, 'last-succeeded');
    }
  }

  const purged: string[] = [];
  let instancesDeleted = 0;
  for (const c of candidates) {
    const id = c.status.instanceId;
    if (kept.has(id)) continue;
    const manual = await client.get(InstanceIds.manualRollback(id));
    if (manual && ACTIVE_STATES.has(manual.runtimeStatus)) {
      kept.set(id, 'rollback-running');
      continue;
    }
    // The release last: an interrupted purge leaves it, so the next run finds it and finishes the job.
    const extras = [
      InstanceIds.accepted(id),
      InstanceIds.cancel(id),
      ...(manual ? [InstanceIds.manualRollback(id)] : []),
    ];
    for (const extra of extras) {
      if (await client.purge(extra)) instancesDeleted++;
    }
    if (await client.purge(id)) instancesDeleted++;
    purged.push(id);
  }
  return {
    cutoff: cutoff.toISOString(),
    purged,
    kept: [...kept].map(([id, reason]) => ({ id, reason })),
    instancesDeleted,
  };
}
