/**
 * The findings on the local stack: builds arriving while a release deploys (5 of 5 answered 404)
 * and during a bake (3 of 8): every statusUrl answers from its 202 on (`Queued`, then what it becomes),
 * the list shows queued builds (also with `status=Queued`), and `supersededBy` only names a build that ran.
 */
import type { ReleaseView } from '../../src/core/domain';
import { releaseIdOf, useE2e } from './support';

jest.setTimeout(120_000);

const e2e = useE2e({ network: 39, targetOverrides: { bakeSeconds: 8, health: { intervalSeconds: 1 } } });

type Page = { releases: ReleaseView[]; continuationToken?: string };

/**
 * Delivers the builds one after another and reads each statusUrl right after its 202. With `orEarlier`, a build may
 * queue behind one delivered before it: a release still deploying stops at the first newer build (issue 9), and
 * the lane may already run that one when the next arrives.
 */
async function deliverAndRead(
  builds: number[],
  behind: string,
  orEarlier = false,
): Promise<{ id: string; status: number; body: ReleaseView }[]> {
  const reads: { id: string; status: number; body: ReleaseView }[] = [];
  for (const id of builds) {
    const hook = await e2e.hook({ id, number: `5.0.${id}` });
    expect(hook.status).toBe(202);
    expect(hook.body).toMatchObject({ id: releaseIdOf(id) });
    const earlier = orEarlier ? reads.map((r) => r.id) : [];
    expect([behind, ...earlier]).toContain(hook.body.behind);
    const url = new URL(hook.body.statusUrl as string);
    const status = await e2e.call<ReleaseView>(url.pathname);
    reads.push({ id: releaseIdOf(id), status: status.status, body: status.body });
  }
  return reads;
}

/** Every release's supersededBy names a release that is not itself Superseded (it ran, or runs next). */
async function expectSupersededByRan(ids: string[]): Promise<void> {
  for (const id of ids) {
    const view = await e2e.release(id);
    if (view.status !== 'Superseded') continue;
    expect(view.supersededBy).toEqual(expect.any(String));
    const by = await e2e.release(view.supersededBy!);
    expect({ id, by: by.id, status: by.status }).not.toMatchObject({ status: 'Superseded' });
  }
}

describe('queued builds on the local stack', () => {
  it('builds arriving while a release deploys: every statusUrl answers at once, none names a build that never ran', async () => {
    const first = releaseIdOf(5100);
    expect((await e2e.hook({ id: 5100, number: '5.0.5100' })).status).toBe(202);
    await e2e.waitFor(first, (v) => v.phase === 'deploying', 30_000);

    const builds = [5101, 5102, 5103, 5104, 5105];
    const reads = await deliverAndRead(builds, first, true);
    expect(reads.map((r) => [r.id, r.status])).toEqual(builds.map((b) => [releaseIdOf(b), 200]));
    for (const r of reads) expect(['Queued', 'Running', 'Superseded']).toContain(r.body.status);

    // The first release stops deploying and is superseded; the newest build runs, the others end Superseded.
    const newest = releaseIdOf(5105);
    const running = await e2e.waitFor(newest, (v) => v.phase === 'awaiting-approval', 60_000);
    expect(running.status).toBe('Running');
    const all = [first, ...builds.map(releaseIdOf)];
    for (const id of all.slice(0, -1)) {
      expect(await e2e.waitFor(id, (v) => v.phase === 'done', 30_000)).toMatchObject({
        status: 'Superseded',
      });
    }
    await expectSupersededByRan(all);
    expect((await e2e.release(first)).supersededBy).toBe(newest);

    const list = await e2e.call<Page>('/api/releases?target=webapp&limit=100');
    expect(list.status).toBe(200);
    expect(
      list.body.releases
        .filter((r) => all.includes(r.id))
        .map((r) => r.id)
        .sort(),
    ).toEqual([...all].sort());
    expect((await e2e.decide(running, 'reject', 'ops@example.com')).status).toBe(202);
    await e2e.waitFor(newest, (v) => v.phase === 'done', 30_000);
  });

  it('builds arriving during a bake: all 8 statusUrls answer Queued, the list shows them, the newest runs next', async () => {
    const baking = releaseIdOf(5200);
    expect((await e2e.hook({ id: 5200, number: '5.0.5200' })).status).toBe(202);
    const waiting = await e2e.waitFor(baking, (v) => v.phase === 'awaiting-approval', 60_000);
    expect((await e2e.decide(waiting, 'approve', 'alice@example.com')).status).toBe(202);
    await e2e.waitFor(baking, (v) => v.phase === 'baking', 30_000);

    const builds = [5201, 5202, 5203, 5204, 5205, 5206, 5207, 5208];
    const reads = await deliverAndRead(builds, baking);
    expect(reads.map((r) => [r.id, r.status, r.body.status])).toEqual(
      builds.map((b) => [releaseIdOf(b), 200, 'Queued']),
    );
    const queued = await e2e.call<Page>('/api/releases?status=Queued&target=webapp');
    expect(queued.status).toBe(200);
    expect(queued.body.releases.map((r) => r.id)).toEqual(builds.map(releaseIdOf));
    expect(queued.body.releases.every((r) => r.status === 'Queued' && r.phase === 'queued')).toBe(true);

    // The bake ends: the newest queued build runs, the 7 others end Superseded by it.
    expect(await e2e.waitFor(baking, (v) => v.phase === 'done', 30_000)).toMatchObject({
      status: 'Succeeded',
    });
    const newest = releaseIdOf(5208);
    const next = await e2e.waitFor(newest, (v) => v.phase === 'awaiting-approval', 60_000);
    for (const id of builds.slice(0, -1).map(releaseIdOf)) {
      expect(await e2e.release(id)).toMatchObject({ status: 'Superseded', supersededBy: newest });
    }
    expect((await e2e.call<Page>('/api/releases?status=Queued&target=webapp')).body.releases).toEqual([]);
    expect((await e2e.decide(next, 'reject', 'ops@example.com')).status).toBe(202);
    await e2e.waitFor(newest, (v) => v.phase === 'done', 30_000);
  });
});
