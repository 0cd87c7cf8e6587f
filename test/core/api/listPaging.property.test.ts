/**
 * The release list's paging as a property: over any task hub (releases of targets whose names prefix one
 * another, build receipts with and without their release, manual rollbacks), any filter and any limit,
 * following continuationToken from the first page yields every matching release once and each exactly as
 * GET /api/releases/{id} shows it, no page holds more than `limit`, and it ends. Also over a task hub that
 * lists in another order than by id (the list then reads what it cannot infer).
 */
import fc from 'fast-check';
import type { InstanceStatus } from '../../../src/core/api/client';
import { listReleases, readRelease, type ReleaseQuery } from '../../../src/core/api/views';
import type { ReleaseStatus, ReleaseView } from '../../../src/core/domain';
import { InstanceIds, Orchestrations } from '../../../src/core/names';
import { aTaskHub, type MemoryTaskHub } from '../../builders/taskHub';

const T0 = Date.UTC(2026, 0, 1);
const TARGETS = ['web', 'web-b2', 'api'];

// `Pending`: started by the lane, not run yet (no custom status): its view comes from its input.
const STATUSES: (ReleaseStatus | 'Pending')[] = [
  'Running',
  'Succeeded',
  'Failed',
  'Rejected',
  'Superseded',
  'Pending',
  // Cancelled while queued (or before its first deploy): it touched nothing, and says so.
  'Cancelled',
];

interface Spec {
  target: number;
  build: string;
  status: number;
  receipt: boolean;
  released: boolean;
  manual: boolean;
  /** The manual rollback's end: 0 ok, 1 failed (Completed, not ok), 2 still running, 3 Failed. */
  manualState: number;
  /** Hours after its release the rollback was created (bounded by the lane, see hubOf). */
  manualDelay: number;
  hour: number;
}

const spec: fc.Arbitrary<Spec> = fc.record({
  target: fc.integer({ min: 0, max: TARGETS.length - 1 }),
  build: fc.stringMatching(/^[0-9][0-9.-]{0,3}$/),
  status: fc.integer({ min: 0, max: STATUSES.length - 1 }),
  receipt: fc.boolean(),
  released: fc.boolean(),
  manual: fc.boolean(),
  manualState: fc.integer({ min: 0, max: 3 }),
  manualDelay: fc.integer({ min: 0, max: 8 }),
  hour: fc.integer({ min: 0, max: 5 }),
});

function hubOf(specs: Spec[], scrambled: boolean): MemoryTaskHub {
  const instances = new Map<string, InstanceStatus>();
  const rollbacks: { id: string; target: string; hour: number; spec: Spec }[] = [];
  for (const s of specs) {
    const target = TARGETS[s.target]!;
    const id = InstanceIds.release(target, s.build);
    if (instances.has(id)) continue;
    const created = new Date(T0 + s.hour * 3_600_000).toISOString();
    const build = { id: s.build, number: s.build, pipeline: 'ci', source: 'build.complete' as const };
    const status = STATUSES[s.status]!;
    if (s.released || !s.receipt) {
      const view = {
        id,
        target,
        status,
        phase: status === 'Running' ? 'deploying' : 'done',
        build,
        timeline: [],
        ...(status === 'Cancelled' ? { stagingTouched: false as const } : {}),
        createdAt: created,
        updatedAt: created,
      };
      instances.set(id, {
        instanceId: id,
        name: Orchestrations.Release,
        runtimeStatus: status === 'Running' || status === 'Pending' ? status : 'Completed',
        input: { target: { name: target }, build },
        ...(status === 'Pending' ? {} : status === 'Running' ? { customStatus: view } : { output: view }),
        createdTime: created,
        lastUpdatedTime: created,
      });
      if (s.manual && status === 'Succeeded') rollbacks.push({ id, target, hour: s.hour, spec: s });
    }
    if (s.receipt) {
      const receipt = { releaseId: id, target, build, receivedAt: created };
      // A receipt just started has no output yet.
      const done = s.hour % 2 === 0;
      instances.set(InstanceIds.accepted(id), {
        instanceId: InstanceIds.accepted(id),
        name: Orchestrations.Accepted,
        runtimeStatus: done ? 'Completed' : 'Pending',
        input: receipt,
        ...(done ? { output: receipt } : {}),
        createdTime: created,
        lastUpdatedTime: created,
      });
    }
  }
  // The lane rolls back only its last succeeded release, forgotten when it starts the next: a rollback is
  // created after its release and no later than any release of the target the lane started after it (not
  // one superseded while queued, nor one that ended touching nothing: the lane gives the target back after
  // it), possibly long after any createdTo.
  for (const r of rollbacks) {
    const later = [...instances.values()]
      .filter((x) => x.name === Orchestrations.Release && x.instanceId !== r.id)
      .filter((x) => (x.input as { target: { name: string } }).target.name === r.target)
      .filter((x) => (x.output as ReleaseView | undefined)?.status !== 'Superseded')
      .filter((x) => (x.output as ReleaseView | undefined)?.stagingTouched !== false)
      .map((x) => (Date.parse(x.createdTime) - T0) / 3_600_000)
      .filter((h) => h >= r.hour);
    const hour = Math.min(r.hour + r.spec.manualDelay, ...later);
    const at = new Date(T0 + hour * 3_600_000).toISOString();
    const rollbackId = InstanceIds.manualRollback(r.id);
    const result = { requestedBy: 'ops', requestedAt: at };
    const state = r.spec.manualState;
    instances.set(rollbackId, {
      instanceId: rollbackId,
      name: Orchestrations.ManualRollback,
      runtimeStatus: state === 2 ? 'Running' : state === 3 ? 'Failed' : 'Completed',
      ...(state === 0 ? { output: { ...result, ok: true, trafficBackAt: at } } : {}),
      ...(state === 1 ? { output: { ...result, ok: false, error: 'swap refused' } } : {}),
      ...(state === 2 ? { customStatus: { ...result, ok: false, attempts: 1, lastError: 'busy' } } : {}),
      ...(state === 3 ? { output: 'crashed' } : {}),
      createdTime: at,
      lastUpdatedTime: at,
    });
  }
  instances.set('lane-web', {
    instanceId: 'lane-web',
    name: Orchestrations.Lane,
    runtimeStatus: 'Running',
    createdTime: new Date(T0).toISOString(),
    lastUpdatedTime: '',
  });
  return aTaskHub(instances, { scrambled });
}

const filterOf: fc.Arbitrary<Omit<ReleaseQuery, 'limit'>> = fc.record(
  {
    target: fc.constantFrom(...TARGETS),
    status: fc.constantFrom<ReleaseStatus>('Queued', 'Running', 'Succeeded', 'RolledBack', 'Failed'),
    from: fc.integer({ min: 0, max: 5 }).map((h) => new Date(T0 + h * 3_600_000)),
    to: fc.integer({ min: 0, max: 5 }).map((h) => new Date(T0 + h * 3_600_000)),
  },
  { requiredKeys: [] },
);

describe('release list paging (property)', () => {
  it('yields every matching release once, as its status shows it, in pages of at most limit', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(spec, { maxLength: 40 }),
        filterOf,
        fc.integer({ min: 1, max: 12 }),
        fc.boolean(),
        async (specs, filter, limit, scrambled) => {
          const hub = hubOf(specs, scrambled);
          // What GET /api/releases/{id} says of every release id the hub holds, filtered.
          const ids = new Set(
            [...hub.instances.keys()]
              .filter((k) => k !== 'lane-web')
              .map((k) => k.replace(/(-rollback|:accepted)$/, '')),
          );
          const expected: ReleaseView[] = [];
          for (const id of ids) {
            const view = await readRelease(hub, id);
            if (!view) continue;
            if (filter.target && view.target !== filter.target) continue;
            if (filter.status && view.status !== filter.status) continue;
            const created = Date.parse(
              hub.instances.get(id)?.createdTime ?? hub.instances.get(InstanceIds.accepted(id))!.createdTime,
            );
            if (filter.from && created < filter.from.getTime()) continue;
            if (filter.to && created > filter.to.getTime()) continue;
            expected.push(view);
          }
          if (filter.from && filter.to && filter.from > filter.to) return;
          const seen: ReleaseView[] = [];
          let continuationToken: string | undefined;
          let pages = 0;
          do {
            const page = await listReleases(hub, {
              ...filter,
              limit,
              ...(continuationToken ? { continuationToken } : {}),
            });
            expect(page.releases.length).toBeLessThanOrEqual(limit);
            seen.push(...page.releases);
            continuationToken = page.continuationToken;
            pages++;
          } while (continuationToken && pages < 200);
          expect(continuationToken).toBeUndefined();
          const byId = (a: ReleaseView, b: ReleaseView) => (a.id < b.id ? -1 : 1);
          expect(seen.map((v) => v.id)).toEqual([...new Set(seen.map((v) => v.id))]);
          expect([...seen].sort(byId)).toEqual([...expected].sort(byId));
        },
      ),
      { numRuns: 500 },
    );
  });
});
