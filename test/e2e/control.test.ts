/**
 * Issue 10 §3 on the local stack (real host, ARM stand-in, fleet and deploy script): a release cancelled while it
 * deploys stops deploying (the run command in flight finishes) and ends Cancelled with production untouched; the
 * cancelled release is then re-run, through the CLI, as `<id>-r2`, which deploys the same build, is approved,
 * swaps and succeeds; a retried re-run starts nothing more, and a cancel after the swap is refused.
 */
import { main } from '../../src/cli/release';
import type { ReleaseView } from '../../src/core/domain';
import { capturedCliIo, releaseIdOf, useE2e } from './support';

jest.setTimeout(180_000);

const e2e = useE2e({
  network: 31,
  targetOverrides: { bakeSeconds: 3, health: { intervalSeconds: 1 }, deploy: { maxParallel: 1 } },
});

const notified = (id: string): string[] =>
  (e2e.stack.fleet.notifications() as { kind?: string; release?: { id?: string } }[])
    .filter((n) => n.release?.id === id)
    .map((n) => n.kind ?? '');

describe('cancel and re-run on the local stack', () => {
  it('cancel mid-deploy → Cancelled, production untouched; re-run by the CLI → -r2 deploys, swaps and succeeds', async () => {
    const id = releaseIdOf(5001);
    await e2e.hookMidDeploy({ id: 5001, number: '5.0.1' });

    const cancel = await e2e.call(`/api/releases/${id}/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'wrong branch', requestedBy: 'oncall@example.com' }),
    });
    expect(cancel.status).toBe(202);
    expect(['cancelled', 'pending']).toContain(cancel.body.cancel);
    const done: ReleaseView = await e2e.waitFor(id, (v) => v.phase === 'done', 60_000);
    expect(done).toMatchObject({
      status: 'Cancelled',
      cancellation: { requestedBy: 'oncall@example.com', reason: 'wrong branch', phase: 'deploying' },
    });
    expect(done.verify).toBeUndefined();
    // Only the instance already deploying ran the script, and it finished before the release ended.
    const slot = e2e.stack.fleet.topology.slots.find((s) => s.name === done.stagingSlot)!;
    expect(slot.instances.length).toBeGreaterThan(1);
    expect(e2e.deployRuns(id)).toHaveLength(1);
    expect(done.deploy!.instances).toEqual([expect.objectContaining({ succeeded: true })]);
    expect(e2e.enabled()).toEqual(['blue']);
    for (let i = 0; i < 50 && !notified(id).includes('cancelled'); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(notified(id)).toEqual(['cancelled']);

    // Re-run it through the CLI, as an operator does; a retry names the same release and starts nothing more.
    const env = { RELEASE_API: e2e.stack.hostUrl, RELEASE_FUNCTION_KEY: e2e.stack.functionKey };
    const first = capturedCliIo();
    expect(await main(['rerun', id, '--reason', 'branch fixed'], env, first)).toBe(0);
    expect(first.stdout.join('\n')).toContain(`re-run started as ${id}-r2`);
    const retry = capturedCliIo();
    expect(await main(['rerun', id, '--reason', 'branch fixed'], env, retry)).toBe(0);
    expect(retry.stdout.join('\n')).toContain(`re-run was already started as ${id}-r2`);
    expect([...first.stdout, ...retry.stdout, ...first.stderr].join('\n')).not.toContain(
      e2e.stack.functionKey,
    );

    const rerun = await e2e.waitFor(`${id}-r2`, (v) => v.phase === 'awaiting-approval', 90_000);
    expect(rerun).toMatchObject({
      build: { id: '5001', number: '5.0.1' },
      rerun: { of: id, base: id, attempt: 2, reason: 'branch fixed' },
    });
    expect(e2e.deployRuns(`${id}-r2`).sort()).toEqual(slot.instances.map((i) => i.name).sort());
    await e2e.approve(rerun, 'ops@example.com', (v) => v.phase === 'baking', 30_000);

    // After the swap a cancel is refused, pointing at rollback; traffic stays where it is.
    const late = await e2e.call(`/api/releases/${id}-r2/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'too late' }),
    });
    expect(late.status).toBe(409);
    expect(late.text).toContain('/rollback');

    const succeeded = await e2e.waitFor(`${id}-r2`, (v) => v.phase === 'done', 30_000);
    expect(succeeded).toMatchObject({ status: 'Succeeded', liveSlot: 'green' });
    expect(e2e.enabled()).toEqual(['green']);
    expect(await e2e.servedVersion('green')).toBe('5.0.1');
    const list = await e2e.call<{ releases: ReleaseView[] }>('/api/releases?status=Cancelled');
    expect(list.body.releases.map((r) => r.id)).toEqual([id]);
  });
});
