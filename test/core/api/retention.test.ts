/**
 * The nightly retention purge on the whole app (its timer trigger on the local test host's clock):
 * finished releases older than RETENTION_DAYS go with their receipts, never a target's last Succeeded
 * release nor the one its lane would roll back to; the count is logged.
 */
import { startApp, type AppHost } from '../../support/appHost';

const DAY = 86_400_000;
let app: AppHost | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function release(a: AppHost, id: number, decision: 'approve' | 'reject'): Promise<string> {
  const hook = await a.hook(id);
  expect(hook.status).toBe(202);
  await a.host.idle();
  const releaseId = hook.body.id as string;
  expect((await a.decide(releaseId, decision)).status).toBe(202);
  await a.host.idle();
  if (decision === 'approve') await a.host.advance(600_000); // the bake
  expect((await a.release(releaseId)).status).toBe(decision === 'approve' ? 'Succeeded' : 'Rejected');
  return releaseId;
}

const purgeLines = (a: AppHost) =>
  a.log.lines
    .map((l) => JSON.parse(l) as { message: string; data?: Record<string, unknown> })
    .filter((l) => l.message.startsWith('retention:'));

describe('retention purge', () => {
  it('purges old finished releases with their receipts, keeping the last Succeeded and the rollback target', async () => {
    app = await startApp();
    const [a, b, c, d] = [
      await release(app, 101, 'approve'),
      await release(app, 102, 'reject'),
      await release(app, 103, 'approve'),
      await release(app, 104, 'reject'),
    ];
    expect(app.host.list().map((s) => s.instanceId)).toContain(`${a}:accepted`);

    // 89 nights pass: the purge runs every night and finds nothing old enough.
    for (let night = 0; night < 89; night++) await app.host.advance(DAY);
    expect(app.host.timers.runs.length).toBeGreaterThanOrEqual(89);
    expect(purgeLines(app).every((l) => l.data?.purged === 0)).toBe(true);

    await app.host.advance(2 * DAY);
    const [line] = purgeLines(app).filter((l) => (l.data?.purged as number) > 0);
    expect(line).toMatchObject({
      message: 'retention: purged 3 releases',
      data: {
        purged: 3,
        instancesDeleted: 6,
        retentionDays: 90,
        kept: [{ id: c, reason: 'last-succeeded' }],
      },
    });
    for (const id of [a, b, d]) {
      expect((await app.host.fetch(`/api/releases/${id}`)).status).toBe(404);
      expect(app.host.getStatus(id)).toBeUndefined();
      expect(app.host.getStatus(`${id}:accepted`)).toBeUndefined();
    }
    expect((await app.release(c)).status).toBe('Succeeded');

    // A new release succeeds; 90 days later it is both the last Succeeded and the lane's rollback target.
    const e = await release(app, 105, 'approve');
    await app.host.advance(91 * DAY);
    const runs = purgeLines(app).filter((l) => (l.data?.purged as number) > 0);
    expect(runs.at(-1)).toMatchObject({
      message: 'retention: purged 1 releases',
      data: { purged: 1, kept: [{ id: e, reason: 'rollback-target' }] },
    });
    const list = (await (await app.host.fetch('/api/releases')).json()) as { releases: { id: string }[] };
    expect(list.releases.map((r) => r.id)).toEqual([e]);
    // The kept release can still be rolled back by hand.
    const rollback = await app.host.fetch(`/api/releases/${e}/rollback`, { method: 'POST' });
    expect(rollback.status).toBe(202);
    await app.host.idle();
    expect((await app.release(e)).status).toBe('RolledBack');
  });

  it('keeps the target a running release holds (it is the target again if that release deploys nothing)', async () => {
    app = await startApp({ approval: { timeoutSeconds: 400 * 86_400 } });
    const a = await release(app, 301, 'approve');
    expect((await app.hook(302)).status).toBe(202);
    await app.host.idle();
    expect((await app.release('web-prod-b302')).phase).toBe('awaiting-approval');
    await app.host.advance(91 * DAY);
    const runs = purgeLines(app).filter((l) => ((l.data?.kept as unknown[]) ?? []).length > 0);
    expect(runs.at(-1)).toMatchObject({ data: { purged: 0, kept: [{ id: a, reason: 'rollback-target' }] } });
    expect((await app.release(a)).status).toBe('Succeeded');
  });

  it('never touches running releases or queued builds, whatever their age', async () => {
    app = await startApp({ approval: { timeoutSeconds: 400 * 86_400 } });
    expect((await app.hook(201)).status).toBe(202);
    await app.host.idle();
    await app.host.advance(100 * DAY);
    expect((await app.release('web-prod-b201')).phase).toBe('awaiting-approval');
    expect(purgeLines(app).every((l) => l.data?.purged === 0)).toBe(true);
  });
});
