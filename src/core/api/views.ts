import type { ReleaseView } from '../domain';
import { InstanceIds, Orchestrations } from '../names';
import type { AcceptedBuild, ManualRollbackResult, ReleaseInput } from '../orchestration/contracts';
import type { InstanceStatus, ReleaseClient } from './client';

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
  if (!status) return queuedView(await client.get(InstanceIds.accepted(id)));
  if (status.name !== Orchestrations.Release) return undefined;
  const manual = await client.get(InstanceIds.manualRollback(id));
  return releaseView(status, manual);
}

/** The status of a build that has a receipt but no release yet: it waits in its target's lane. */
function queuedView(receipt: InstanceStatus | undefined): ReleaseView | undefined {
  if (receipt?.name !== Orchestrations.Accepted) return undefined;
  const accepted = (receipt.output ?? receipt.input) as AcceptedBuild | undefined;
  if (!accepted?.releaseId) return undefined;
  return {
    id: accepted.releaseId,
    target: accepted.target,
    status: 'Queued',
    phase: 'queued',
    build: accepted.build,
    timeline: [
      {
        step: 'queued',
        startedAt: accepted.receivedAt,
        detail: accepted.behind ? `behind ${accepted.behind}` : 'waiting for its lane',
      },
    ],
    createdAt: accepted.receivedAt,
    updatedAt: accepted.receivedAt,
  };
}

/** Filters of the release list. */
export interface ReleaseFilter {
  target?: string;
  status?: string;
  limit?: number;
}

/** Lists releases, newest first, filtered by target and status. */
export async function listReleases(client: ReleaseClient, filter: ReleaseFilter): Promise<ReleaseView[]> {
  const all = await client.list();
  const manual = new Map(
    all.filter((s) => s.name === Orchestrations.ManualRollback).map((s) => [s.instanceId, s] as const),
  );
  return all
    .filter((s) => s.name === Orchestrations.Release)
    .map((s) => releaseView(s, manual.get(InstanceIds.manualRollback(s.instanceId))))
    .filter((v) => !filter.target || v.target === filter.target)
    .filter((v) => !filter.status || v.status.toLowerCase() === filter.status.toLowerCase())
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .slice(0, filter.limit ?? 100);
}
