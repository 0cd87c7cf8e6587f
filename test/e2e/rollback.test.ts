/**
 * Alert → automatic rollback on the local stack. The fleet generates production traffic; a bad build
 * answers 5xx on part of `/` while its /health stays fine, so it passes verification and only the
 * common-alert-schema webhook fired on its error rate during the bake brings traffic back.
 */
import type { ReleaseView } from '../../src/core/domain';
import { alertUnderFlood } from '../../bench/flood';
import { endpointWrites, lastSeq, releaseIdOf, useE2e, approvalPendingOrDone } from './support';

jest.setTimeout(120_000);

const e2e = useE2e({
  network: 23,
  trafficAndAlerts: true,
  targetOverrides: { bakeSeconds: 40, health: { intervalSeconds: 1 } },
});

/** Delivers a build, approves it, and waits until it bakes with the new slot live. */
async function toBake(buildId: number, number: string): Promise<string> {
  expect((await e2e.hook({ id: buildId, number })).status).toBe(202);
  const id = releaseIdOf(buildId);
  const view = await e2e.waitFor(id, approvalPendingOrDone, 60_000);
  expect(view).toMatchObject({ phase: 'awaiting-approval', verify: { ok: true, version: number } });
  expect((await e2e.decide(view, 'approve', 'alice@example.com')).status).toBe(202);
  expect(await e2e.waitFor(id, (v) => v.phase === 'baking' || v.phase === 'done', 30_000)).toMatchObject({
    phase: 'baking',
    liveSlot: 'green',
  });
  expect(e2e.enabled()).toEqual(['green']);
  return id;
}

function logLatency(label: string, view: ReleaseView): void {
  const swap = view.timeline.find((t) => t.step === 'swap')!;
  const rb = view.rollback!;
  console.log(
    `${label}: swap done → alert fired ${Date.parse(rb.alert!.firedAt) - Date.parse(swap.endedAt!)} ms; ` +
      `alert fired → traffic back (latencyMs) ${rb.latencyMs} ms; ` +
      `alert received → traffic back (reactionMs) ${rb.reactionMs} ms`,
  );
}

describe('alert → automatic rollback on the local stack', () => {
  it('an alert fired on demand during the bake swaps traffic back', async () => {
    const since = lastSeq(e2e.stack);
    const id = await toBake(5001, '5.0.1');

    const fired = await fetch(`${e2e.stack.fleet.controlUrl}/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rule: 'webapp-on-demand', description: 'fired by the e2e test' }),
      signal: AbortSignal.timeout(15_000),
    });
    expect(fired.status).toBe(200);
    const payload = (await fired.json()) as { data: { essentials: { alertId: string } } };
    const alertId = payload.data.essentials.alertId;

    const view = await e2e.waitFor(id, (v) => v.phase === 'done', 30_000);
    expect(view).toMatchObject({
      status: 'RolledBack',
      liveSlot: 'blue',
      rollback: { trigger: 'alert', alert: { alertId, rule: 'webapp-on-demand' } },
    });
    expect(view.timeline.map((t) => [t.step, t.outcome])).toContainEqual(['rollback', 'ok']);
    expect(e2e.enabled()).toEqual(['blue']);
    expect(endpointWrites(e2e.stack, since)).toEqual([
      ['green', 'Enabled'],
      ['blue', 'Disabled'],
      ['blue', 'Enabled'],
      ['green', 'Disabled'],
    ]);
    expect(await e2e.servedVersion('blue')).toBe('1.0.0');
    logLatency('on-demand alert', view);

    // Resolve it (Azure Monitor would, once the condition clears) so the next bake does not start on it.
    await e2e.stack.fleet.alerts!.resolveAlert(alertId);
    expect(e2e.stack.fleet.alerts!.active()).toEqual([]);
  });

  it('a manual rollback during the bake (POST /api/releases/{id}/rollback) swaps traffic back', async () => {
    const since = lastSeq(e2e.stack);
    const id = await toBake(5003, '5.0.3');
    const res = await e2e.call(`/api/releases/${id}/rollback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ requestedBy: 'carol@example.com', reason: 'checkout is slow' }),
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id, rollback: 'release' });

    const view = await e2e.waitFor(id, (v) => v.phase === 'done', 30_000);
    expect(view).toMatchObject({
      status: 'RolledBack',
      liveSlot: 'blue',
      rollback: { trigger: 'manual', requestedBy: 'carol@example.com' },
    });
    expect(e2e.enabled()).toEqual(['blue']);
    expect(endpointWrites(e2e.stack, since)).toEqual([
      ['green', 'Enabled'],
      ['blue', 'Disabled'],
      ['blue', 'Enabled'],
      ['green', 'Disabled'],
    ]);
    console.log(`manual rollback: request → traffic back ${view.rollback!.latencyMs} ms`);
  });

  it('a bad build: errors under real traffic fire the alert, traffic goes back to blue by itself', async () => {
    const since = lastSeq(e2e.stack);
    const id = await toBake(5002, '5.0.2-bad');
    // Production (green) now serves the bad build to the traffic generator.
    expect(await e2e.servedVersion('green')).toBe('5.0.2-bad');

    const view = await e2e.waitFor(id, (v) => v.phase === 'done', 35_000);
    expect(view).toMatchObject({
      status: 'RolledBack',
      liveSlot: 'blue',
      rollback: { trigger: 'alert', alert: { rule: 'webapp-failed-requests' } },
    });
    const profile = e2e.stack.arm.control.profile();
    expect(
      Object.fromEntries(profile.properties.endpoints.map((ep) => [ep.name, ep.properties.endpointStatus])),
    ).toEqual({ blue: 'Enabled', green: 'Disabled' });
    expect(endpointWrites(e2e.stack, since)).toEqual([
      ['green', 'Enabled'],
      ['blue', 'Disabled'],
      ['blue', 'Enabled'],
      ['green', 'Disabled'],
    ]);
    expect(await e2e.servedVersion('blue')).toBe('1.0.0');

    // The alert the app acted on is the one the fleet's alert source posted on the error rate.
    const delivery = e2e.stack.fleet
      .alerts!.deliveries()
      .find((d) => d.alertId === view.rollback!.alert!.alertId && d.monitorCondition === 'Fired');
    expect(delivery).toMatchObject({ status: 200 });
    logLatency('automatic alert (bad build)', view);
    expect(view.rollback!.latencyMs).toBeGreaterThanOrEqual(0);
  });
});

describe('alert → rollback while the service hook is flooded', () => {
  it('200 redeliveries and 20 new builds: all answered right, the alert still rolls back, no build lost', async () => {
    // Alerts still firing from the tests above would roll this release back at bake start.
    for (const a of e2e.stack.fleet.alerts!.active()) {
      await e2e.stack.fleet.alerts!.resolveAlert(a.data.essentials.alertId);
    }
    const id = await toBake(5101, '5.1.1');
    let alertId = '';
    const flood = await alertUnderFlood(
      e2e.stack,
      { buildId: 5101, number: '5.1.1' },
      'blue',
      async () => {
        alertId = (await e2e.stack.fleet.alerts!.fireAlert({ rule: 'webapp-flood' })).data.essentials.alertId;
      },
      { redeliveries: 200, distinct: 20, concurrency: 8, firstBuildId: 5200, alertAt: 0.3 },
    );
    // Each new build started once (whichever of its deliveries came first); every other answer was a duplicate,
    // and every answer named the build's own release and statusUrl.
    expect({
      started: flood.started,
      duplicates: flood.duplicates,
      failed: flood.failed,
      wrong: flood.wrong,
    }).toEqual({ started: 20, duplicates: 200, failed: 0, wrong: 0 });
    const view = await e2e.waitFor(id, (v) => v.phase === 'done', 60_000);
    expect(view).toMatchObject({ status: 'RolledBack', liveSlot: 'blue', rollback: { alert: { alertId } } });
    expect(e2e.enabled()).toEqual(['blue']);
    await e2e.stack.fleet.alerts!.resolveAlert(alertId);

    // Nothing lost: the lane takes the builds in arrival order, newest kept; so the newest new build
    // ends up awaiting approval and every other one ends Superseded (queued, or told by the lane while
    // it deployed), none left Queued.
    const waiting = await e2e.waitFor(flood.newest, (v) => v.phase === 'awaiting-approval', 60_000);
    for (let n = 5200; n < 5219; n++) {
      const other = await e2e.waitFor(releaseIdOf(n), (v) => v.phase === 'done', 60_000);
      expect(other.status).toBe('Superseded');
    }
    const list = await e2e.call<{ releases: ReleaseView[] }>('/api/releases?status=Running');
    expect(list.body.releases.map((r) => r.id)).toEqual([flood.newest]);
    expect((await e2e.decide(waiting, 'reject', 'ops@example.com')).status).toBe(202);
    await e2e.waitFor(flood.newest, (v) => v.phase === 'done', 30_000);
  });
});
