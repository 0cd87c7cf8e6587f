/**
 * One release per target at a time, on the local stack: redelivered hooks, a newer build superseding
 * one that awaits approval, and an approval that times out.
 */
import {
  expectOneRunPerInstance,
  endpointWrites,
  lastSeq,
  releaseIdOf,
  restartWithTarget,
  useE2e,
  atApprovalOrDone,
} from './support';

jest.setTimeout(90_000);

const TARGET = { bakeSeconds: 3, health: { intervalSeconds: 1 } };
const e2e = useE2e({ network: 21, targetOverrides: TARGET });

describe('one release per target on the local stack', () => {
  it('the same service hook delivered 20 times at once starts one release and runs each instance once', async () => {
    const since = lastSeq(e2e.stack);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => e2e.hook({ id: 3001, number: '3.0.1' })),
    );
    const id = releaseIdOf(3001);
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 20 }, () => 202));
    expect(new Set(answers.map((a) => a.body.id))).toEqual(new Set([id]));

    const view = await e2e.waitFor(id, atApprovalOrDone, 60_000);
    expect(view).toMatchObject({ status: 'Running', phase: 'awaiting-approval', stagingSlot: 'green' });
    // A late redelivery is recognised too.
    expect((await e2e.hook({ id: 3001, number: '3.0.1' })).body).toMatchObject({ id, duplicate: true });

    const list = await e2e.call<{ releases: { id: string }[] }>('/api/releases');
    expect(list.status).toBe(200);
    expect(list.body.releases.map((r) => r.id)).toEqual([id]);
    expectOneRunPerInstance(e2e.stack, since, 'green');

    expect((await e2e.decide(view, 'reject', 'ops@example.com')).status).toBe(202);
    expect(await e2e.waitFor(id, (v) => v.phase === 'done', 30_000)).toMatchObject({ status: 'Rejected' });
  });

  it('a newer build supersedes the release awaiting approval; production untouched', async () => {
    const since = lastSeq(e2e.stack);
    expect((await e2e.hook({ id: 3002, number: '3.0.2' })).status).toBe(202);
    const first = releaseIdOf(3002);
    const firstView = await e2e.waitFor(first, atApprovalOrDone, 60_000);
    expect(firstView.phase).toBe('awaiting-approval');

    const hook = await e2e.hook({ id: 3003, number: '3.0.3' });
    const second = releaseIdOf(3003);
    expect(hook.status).toBe(202);
    expect(hook.body).toMatchObject({ id: second, behind: first });

    expect(await e2e.waitFor(first, (v) => v.phase === 'done', 30_000)).toMatchObject({
      status: 'Superseded',
      supersededBy: second,
      approval: { decision: 'superseded' },
    });
    const secondView = await e2e.waitFor(second, atApprovalOrDone, 60_000);
    expect(secondView).toMatchObject({
      status: 'Running',
      phase: 'awaiting-approval',
      stagingSlot: 'green',
      verify: { ok: true, version: '3.0.3' },
    });
    expect(e2e.enabled()).toEqual(['blue']);
    expect(endpointWrites(e2e.stack, since)).toEqual([]);
    expect(await e2e.servedVersion('blue')).toBe('1.0.0');
    expect(await e2e.servedVersion('green')).toBe('3.0.3');

    // The superseded release's approval link is dead.
    const stale = await e2e.decide(firstView, 'approve', 'alice@example.com');
    expect(stale.status).toBe(409);

    expect((await e2e.decide(secondView, 'reject', 'ops@example.com')).status).toBe(202);
    await e2e.waitFor(second, (v) => v.phase === 'done', 30_000);
  });

  it('approval timeout: the release ends Expired and the profile is unchanged', async () => {
    await restartWithTarget(e2e, { ...TARGET, approval: { timeoutSeconds: 3 } });
    const since = lastSeq(e2e.stack);
    expect((await e2e.hook({ id: 3004, number: '3.0.4' })).status).toBe(202);
    const id = releaseIdOf(3004);
    const waiting = await e2e.waitFor(id, atApprovalOrDone, 60_000);
    expect(waiting.phase).toBe('awaiting-approval');
    // The links and the phase are published together; the new 3 s setting is in force after the restart.
    const step = waiting.timeline.find((t) => t.step === 'approval')!;
    const expiresIn = Date.parse(waiting.approval!.expiresAt!) - Date.parse(step.startedAt);
    expect(expiresIn).toBeGreaterThan(0);
    expect(expiresIn).toBeLessThanOrEqual(3_000);

    const view = await e2e.waitFor(id, (v) => v.phase === 'done', 30_000);
    expect(view).toMatchObject({ status: 'Expired', approval: { decision: 'expired' } });
    expect(view.timeline.find((t) => t.step === 'approval')).toMatchObject({ outcome: 'expired' });
    expect(e2e.enabled()).toEqual(['blue']);
    expect(endpointWrites(e2e.stack, since)).toEqual([]);
    expect(await e2e.servedVersion('blue')).toBe('1.0.0');
  });
});
