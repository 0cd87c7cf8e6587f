/**
 * What the release list reads besides its task hub pages: a filtered page in id order proves most manual
 * rollbacks absent by itself (the status filter admits every rollback state that matters, and the lane bounds
 * when a rollback was created), so it reads only the rollbacks a page cannot vouch for.
 */
import { listReleases } from '../../../src/core/api/views';
import type { ReleaseView } from '../../../src/core/domain';
import { InstanceIds, Orchestrations } from '../../../src/core/names';
import { aTaskHub, type MemoryTaskHub } from '../../builders/taskHub';

const T0 = Date.UTC(2026, 0, 1);
const hour = (h: number) => new Date(T0 + h * 3_600_000).toISOString();

/** Builds 10..21 of `web`, one an hour, each Succeeded with its receipt. */
function hub(): MemoryTaskHub {
  const h = aTaskHub();
  for (let n = 10; n <= 21; n++) {
    const id = InstanceIds.release('web', String(n));
    const build = { id: String(n), number: String(n), pipeline: 'ci', source: 'build.complete' as const };
    const view = {
      id,
      target: 'web',
      status: 'Succeeded',
      phase: 'done',
      build,
      timeline: [],
      createdAt: hour(n),
      updatedAt: hour(n),
    };
    const common = { createdTime: hour(n), lastUpdatedTime: hour(n), runtimeStatus: 'Completed' };
    h.instances.set(id, { ...common, instanceId: id, name: Orchestrations.Release, output: view });
    const receipt = { releaseId: id, target: 'web', build, receivedAt: hour(n) };
    const receiptId = InstanceIds.accepted(id);
    h.instances.set(receiptId, {
      ...common,
      instanceId: receiptId,
      name: Orchestrations.Accepted,
      output: receipt,
    });
  }
  return h;
}

function rollback(h: MemoryTaskHub, build: number, at: number, state: 'ok' | 'running'): void {
  const id = InstanceIds.manualRollback(InstanceIds.release('web', String(build)));
  const result = { requestedBy: 'ops', requestedAt: hour(at) };
  h.instances.set(id, {
    instanceId: id,
    name: Orchestrations.ManualRollback,
    createdTime: hour(at),
    lastUpdatedTime: hour(at),
    ...(state === 'ok'
      ? { runtimeStatus: 'Completed', output: { ...result, ok: true, trafficBackAt: hour(at) } }
      : { runtimeStatus: 'Running', customStatus: { ...result, ok: false, attempts: 2, lastError: 'busy' } }),
  });
}

const builds = (releases: ReleaseView[]) => releases.map((v) => Number(v.build.id));

describe('release list reads', () => {
  it('status=Succeeded with a created range: a running rollback shows, a done one excludes, one read', async () => {
    const h = hub();
    rollback(h, 13, 13.5, 'running'); // before build 14 started, as the lane allows
    rollback(h, 17, 17.2, 'ok');
    const page = await listReleases(h, {
      target: 'web',
      status: 'Succeeded',
      from: new Date(hour(12)),
      to: new Date(hour(19)),
      limit: 50,
    });
    expect(builds(page.releases)).toEqual([12, 13, 14, 15, 16, 18, 19]);
    const b13 = page.releases.find((v) => v.build.id === '13')!;
    expect(b13.phase).toBe('rolling-back');
    expect(b13.rollback).toMatchObject({ trigger: 'manual', attempts: 2, lastError: 'busy' });
    // Build 19 is the newest in range: its rollback could have been created after `to`. No other is read.
    expect(h.gets).toEqual([InstanceIds.manualRollback(InstanceIds.release('web', '19'))]);
    expect(page.continuationToken).toBeUndefined();
  });

  it('finds the rollback of the newest release in range created after the range', async () => {
    const h = hub();
    rollback(h, 19, 30, 'ok');
    const q = { target: 'web', from: new Date(hour(12)), to: new Date(hour(19)), limit: 50 };
    const succeeded = await listReleases(h, { ...q, status: 'Succeeded' });
    expect(builds(succeeded.releases)).toEqual([12, 13, 14, 15, 16, 17, 18]);
    const rolledBack = await listReleases(h, { ...q, status: 'RolledBack' });
    expect(builds(rolledBack.releases)).toEqual([19]);
    expect(rolledBack.releases[0]!.rollback).toMatchObject({ trigger: 'manual', requestedBy: 'ops' });
  });

  it('a later release that touched nothing does not vouch for a rollback: it is read', async () => {
    const h = hub();
    // Build 19 was cancelled while queued: the lane gave 18's rollback target back, and 18 was rolled back later.
    const b19 = h.instances.get(InstanceIds.release('web', '19'))!;
    const cancelled = { ...(b19.output as ReleaseView), status: 'Cancelled', stagingTouched: false };
    h.instances.set(b19.instanceId, { ...b19, output: cancelled });
    rollback(h, 18, 30, 'ok');
    const q = { target: 'web', from: new Date(hour(12)), to: new Date(hour(19)), limit: 50 };
    const succeeded = await listReleases(h, { ...q, status: 'Succeeded' });
    expect(builds(succeeded.releases)).toEqual([12, 13, 14, 15, 16, 17]);
    expect(h.gets).toEqual([InstanceIds.manualRollback(InstanceIds.release('web', '18'))]);
    const rolledBack = await listReleases(h, { ...q, status: 'RolledBack' });
    expect(builds(rolledBack.releases)).toEqual([18]);
  });

  it('reads no rollback without createdTo, and none for a status a rollback cannot give', async () => {
    const h = hub();
    rollback(h, 15, 15.5, 'ok');
    const succeeded = await listReleases(h, { target: 'web', status: 'Succeeded', limit: 50 });
    expect(builds(succeeded.releases)).toEqual([10, 11, 12, 13, 14, 16, 17, 18, 19, 20, 21]);
    const failed = await listReleases(h, {
      target: 'web',
      status: 'Failed',
      to: new Date(hour(19)),
      limit: 50,
    });
    expect(failed.releases).toEqual([]);
    expect(h.gets).toEqual([]);
  });

  it('reads the rollback a page boundary hides, and pages still hold each release once', async () => {
    const h = hub();
    rollback(h, 11, 11.5, 'ok');
    const seen: number[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await listReleases(h, {
        target: 'web',
        status: 'Succeeded',
        limit: 1,
        ...(continuationToken ? { continuationToken } : {}),
      });
      seen.push(...builds(page.releases));
      continuationToken = page.continuationToken;
    } while (continuationToken);
    expect(seen).toEqual([10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]);
  });
});
