/**
 * Issue 9: a newer build stops a release that is still deploying, on the local stack: no further instance starts
 * deploying, the deploy in flight ends, and the release ends Superseded without verifying; the newer one runs next.
 */
import type { ReleaseView } from '../../src/core/domain';
import { releaseIdOf, useE2e } from './support';

jest.setTimeout(120_000);

// One instance at a time, so the instances after the first one are still waiting when the newer build comes.
const e2e = useE2e({
  network: 27,
  targetOverrides: { bakeSeconds: 3, health: { intervalSeconds: 1 }, deploy: { maxParallel: 1 } },
});

describe('supersede on the local stack', () => {
  it('a newer build during deploy: the release stops deploying and ends Superseded without verifying', async () => {
    const first = releaseIdOf(4001);
    await e2e.hookMidDeploy({ id: 4001, number: '4.0.1' });

    const newer = await e2e.hook({ id: 4002, number: '4.0.2' });
    expect(newer.body).toMatchObject({ id: releaseIdOf(4002), behind: first });

    const done: ReleaseView = await e2e.waitFor(first, (v) => v.phase === 'done', 60_000);
    expect(done).toMatchObject({ status: 'Superseded', supersededBy: releaseIdOf(4002) });
    expect(done.verify).toBeUndefined();
    expect(done.timeline.map((t) => t.step)).toEqual(['resolve-slots', 'list-instances', 'deploy']);
    expect(done.timeline.at(-1)).toMatchObject({ outcome: 'skipped' });
    // Only the instance already deploying ran this release's script; it finished before the release ended.
    const slot = e2e.stack.fleet.topology.slots.find((s) => s.name === done.stagingSlot)!;
    expect(e2e.deployRuns(first)).toHaveLength(1);
    expect(slot.instances.length).toBeGreaterThan(1);
    expect(done.deploy!.instances).toHaveLength(1);
    expect(done.deploy!.instances[0]).toMatchObject({ succeeded: true });
    expect(e2e.enabled()).toEqual(['blue']);

    // The newer build runs next, on every instance.
    const second = await e2e.waitFor(releaseIdOf(4002), (v) => v.phase === 'awaiting-approval', 90_000);
    expect(e2e.deployRuns(releaseIdOf(4002)).sort()).toEqual(slot.instances.map((i) => i.name).sort());
    expect(second.deploy!.instances).toHaveLength(slot.instances.length);
    expect((await e2e.decide(second, 'reject', 'ops@example.com')).status).toBe(202);
    await e2e.waitFor(releaseIdOf(4002), (v) => v.phase === 'done', 30_000);
  });
});
