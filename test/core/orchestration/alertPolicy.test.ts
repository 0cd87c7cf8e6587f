/**
 * The alert policy through HTTP and Durable replay (fakes behind the ports, manual clock): slot-aware,
 * time-aware, severity and source, once per alert ID, the pre-swap decision, the hook's answer, the audit list.
 */
import type { AlertAuditRecord, FiredAlert } from '../../../src/core/domain';
import { startApp, type AppHost } from '../../support/appHost';
import { statusDocument, STATUS_BUDGET_CHARS } from '../../../src/core/orchestration/tracker';
import { aCommonAlertPayload } from '../../builders/payloads';
import { aReleaseView } from '../../builders/release';
import { aBuild, ids } from '../../builders/target';

jest.setTimeout(60_000);

let app: AppHost;

afterEach(async () => {
  await app?.close();
});

const alertId = (n: string): string => `/subscriptions/s/providers/Microsoft.AlertsManagement/alerts/${n}`;
const blueVmss = ids.scaleSet('vmss-blue').toLowerCase();
const greenVmss = ids.scaleSet('vmss-green').toLowerCase();
const appInsights = ids.appInsights().toLowerCase();

interface HookAnswer {
  status: number;
  body: { targets: Record<string, unknown>[]; error?: { code: string; message: string } };
}

/** Posts a common-alert-schema webhook; `essentials` override the builder's (a Sev1 metric alert). */
async function post(essentials: Record<string, unknown>): Promise<HookAnswer> {
  const res = await app.host.fetch('/api/hooks/alerts', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(aCommonAlertPayload({ alertTargetIDs: [appInsights], ...essentials })),
  });
  return { status: res.status, body: (await res.json()) as HookAnswer['body'] };
}

const at = (msFromNow: number): string => new Date(app.host.clock.now() + msFromNow).toISOString();

async function deliver(id: number): Promise<string> {
  expect((await app.hook(id)).status).toBe(202);
  await app.host.idle();
  return `web-prod-b${id}`;
}

async function approve(id: string, body: Record<string, unknown> = {}): Promise<Response> {
  const url = new URL((await app.links(id)).approveUrl);
  return app.host.fetch(url.pathname + url.search, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ approver: 'alice', ...body }),
  });
}

async function toBake(id: number): Promise<string> {
  const release = await deliver(id);
  expect((await approve(release)).status).toBe(202);
  await app.host.idle();
  expect(await app.release(release)).toMatchObject({ phase: 'baking', liveSlot: 'green' });
  await app.host.advance(60_000);
  return release;
}

const firing = (over: Partial<FiredAlert>): FiredAlert => ({
  alertId: alertId('stateful'),
  rule: 'web-availability',
  severity: 'Sev1',
  targetResourceIds: [appInsights],
  firedAt: '2026-01-01T08:00:00Z',
  monitoringService: 'Platform',
  source: 'metric',
  ...over,
});

describe('during the bake', () => {
  it('an alert about the idle slot never rolls back, and a rollback onto it is held until it resolves', async () => {
    app = await startApp();
    const id = await toBake(201);

    const idle = await post({ alertId: alertId('idle-1'), alertTargetIDs: [blueVmss], firedDateTime: at(0) });
    expect(idle.body.targets).toEqual([
      expect.objectContaining({
        target: 'web-prod',
        slots: ['blue'],
        acted: false,
        reason: 'about idle slot blue',
      }),
    ]);
    await app.host.idle();
    expect((await app.release(id)).phase).toBe('baking');

    // The live build alerts now, but blue (where a rollback would send traffic) is alerting too.
    const live = await post({ alertId: alertId('live-1'), firedDateTime: at(0) });
    expect(live.body.targets[0]).toMatchObject({
      acted: false,
      reason: expect.stringMatching(/^rollback held: slot blue has 1 alert\(s\) firing: web-5xx/),
    });
    await app.host.idle();
    let view = await app.release(id);
    expect(view).toMatchObject({
      phase: 'baking',
      liveSlot: 'green',
      alerts: { rollbackHeld: { rule: 'web-5xx' } },
    });
    expect(app.world.live()).toBe('green');
    expect(app.world.notifications.map((n) => n.kind)).toEqual([
      'awaiting-approval',
      'swapped',
      'rollback-held',
    ]);

    // Blue recovers: the held rollback goes ahead at once.
    const resolved = await post({
      alertId: alertId('idle-1'),
      alertTargetIDs: [blueVmss],
      monitorCondition: 'Resolved',
    });
    expect(resolved.body.targets[0]).toMatchObject({
      acted: false,
      reason: expect.stringContaining('the held rollback for web-5xx goes ahead'),
    });
    await app.host.idle();
    view = await app.release(id);
    expect(view).toMatchObject({
      status: 'RolledBack',
      liveSlot: 'blue',
      rollback: { trigger: 'alert', alert: { alertId: alertId('live-1') } },
    });
    expect(app.world.live()).toBe('blue');
  });

  it('a held rollback that never clears leaves traffic on the new build, says so, and keeps manual rollback open', async () => {
    app = await startApp();
    const id = await toBake(202);
    await post({ alertId: alertId('both'), alertTargetIDs: [blueVmss, greenVmss], firedDateTime: at(0) });
    await app.host.advance(600_000);
    const view = await app.release(id);
    expect(view.status).toBe('Succeeded');
    expect(view.timeline.find((t) => t.step === 'bake')).toMatchObject({
      outcome: 'failed',
      detail: expect.stringContaining('rollback held'),
    });
    expect(app.world.live()).toBe('green');
    expect(app.world.writes).toHaveLength(2); // the swap only
  });

  it.each([
    ['a Sev4 alert', { severity: 'Sev4' }, 'severity Sev4 is below Sev2'],
    ['a Sev3 alert', { severity: 'Sev3' }, 'severity Sev3 is below Sev2'],
    [
      'a Resource Health event',
      { monitoringService: 'Resource Health', signalType: 'Activity Log' },
      'Resource Health alerts are recorded only (alerts.sources)',
    ],
    [
      'a Service Health event',
      { monitoringService: 'ServiceHealth', signalType: 'Activity Log' },
      'ServiceHealth alerts are recorded only (alerts.sources)',
    ],
    [
      'an administrative Activity Log alert',
      { monitoringService: 'Activity Log - Administrative', signalType: 'Activity Log' },
      'Activity Log - Administrative alerts are recorded only (alerts.sources)',
    ],
  ])('%s on the live build is recorded only', async (_name, over, reason) => {
    app = await startApp();
    const id = await toBake(203);
    const answer = await post({
      alertId: alertId('x'),
      alertTargetIDs: [greenVmss],
      firedDateTime: at(0),
      ...over,
    });
    expect(answer.body.targets).toEqual([
      expect.objectContaining({ slots: ['green'], acted: false, forwarded: false, reason }),
    ]);
    await app.host.idle();
    expect((await app.release(id)).phase).toBe('baking');
    expect(app.world.live()).toBe('green');
  });

  it('an alert fired before the swap never rolls back; within the clock-skew tolerance it does, without latencyMs', async () => {
    app = await startApp();
    const id = await toBake(204);
    const swapAt = Date.parse((await app.release(id)).alerts!.bake!.swapAt);
    const old = await post({
      alertId: alertId('old'),
      firedDateTime: new Date(swapAt - 600_000).toISOString(),
    });
    expect(old.body.targets[0]).toMatchObject({ acted: false, reason: 'fired 10 min before the swap' });
    await app.host.idle();
    expect((await app.release(id)).phase).toBe('baking');

    const skewed = await post({
      alertId: alertId('skewed'),
      firedDateTime: new Date(swapAt - 30_000).toISOString(),
    });
    expect(skewed.body.targets[0]).toMatchObject({ acted: true, reason: 'rollback to blue' });
    await app.host.idle();
    const view = await app.release(id);
    expect(view).toMatchObject({ status: 'RolledBack', rollback: { trigger: 'alert' } });
    expect(view.rollback!.latencyMs).toBeUndefined(); // it fired before the bake began
    expect(view.rollback!.reactionMs).toBe(0);
  });

  it('the published 2021 Service Health sample (no zone on its time) with a custom policy acting on it is still too old', async () => {
    app = await startApp({
      alerts: { resourceIds: [ids.appInsights()], sources: ['service-health'], minSeverity: 'Sev4' },
    });
    const id = await toBake(205);
    const answer = await post({
      monitoringService: 'ServiceHealth',
      severity: 'Sev4',
      firedDateTime: '2021-11-17T05:34:48.0623172',
    });
    expect(answer.body.targets[0]).toMatchObject({
      acted: false,
      reason: expect.stringMatching(/^fired \d+ days before the swap$/),
    });
    await app.host.idle();
    expect((await app.release(id)).phase).toBe('baking');
  });

  it('an alert ID acts once per target, ever: re-sent during the next release it is refused', async () => {
    app = await startApp();
    const first = await toBake(206);
    expect((await post({ alertId: alertId('once'), firedDateTime: at(0) })).body.targets[0]).toMatchObject({
      acted: true,
    });
    await app.host.idle();
    expect((await app.release(first)).status).toBe('RolledBack');
    expect(app.world.live()).toBe('blue');

    // The next release goes live on green again and bakes; the same alert ID (even freshly timed) is refused.
    const second = await toBake(207);
    const again = await post({ alertId: alertId('ONCE'), firedDateTime: at(0) });
    expect(again.body.targets[0]).toMatchObject({
      acted: false,
      reason: 'already acted: an alert acts once per target',
    });
    await app.host.idle();
    expect((await app.release(second)).phase).toBe('baking');
    // A different alert still acts.
    expect((await post({ alertId: alertId('other'), firedDateTime: at(0) })).body.targets[0]).toMatchObject({
      acted: true,
    });
  });

  it('concurrent redeliveries of one alert: exactly one acts, every answer says what happened', async () => {
    app = await startApp();
    const id = await toBake(208);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => post({ alertId: alertId('burst'), firedDateTime: at(0) })),
    );
    await app.host.idle();
    const acted = answers.filter((a) => a.body.targets[0]!.acted === true);
    expect(acted).toHaveLength(1);
    for (const a of answers.filter((x) => x !== acted[0])) {
      expect(a.body.targets[0]!.reason).toMatch(/already acted|rolling-back|done|not baking/);
    }
    expect((await app.release(id)).status).toBe('RolledBack');
    expect(app.world.writes.filter((w) => w.endpoint === 'blue' && w.enabled)).toHaveLength(1);
  });
});

describe('before the swap', () => {
  it('alerts firing on the target are shown; approving needs acknowledgeAlerts, then the swap goes ahead', async () => {
    app = await startApp();
    app.world.firingAlerts = [
      firing({}),
      firing({ alertId: alertId('minor'), rule: 'disk', severity: 'Sev4', targetResourceIds: [blueVmss] }),
    ];
    const id = await deliver(301);
    let view = await app.release(id);
    expect(view.phase).toBe('awaiting-approval');
    expect(view.alerts!.firing).toEqual([
      expect.objectContaining({ rule: 'web-availability', acts: true, slots: [] }),
      expect.objectContaining({
        rule: 'disk',
        acts: false,
        slots: ['blue'],
        reason: 'severity Sev4 is below Sev2',
      }),
    ]);

    const link = new URL((await app.links(id)).approveUrl);
    const page = await app.host.fetch(link.pathname + link.search);
    const html = await page.text();
    expect(html).toContain('Alerts firing on web-prod');
    expect(html).toContain('name="acknowledgeAlerts"');

    const refused = await approve(id);
    expect(refused.status).toBe(409);
    const err = ((await refused.json()) as { error: { code: string; message: string } }).error;
    expect(err.code).toBe('alerts-not-acknowledged');
    expect(err.message).toContain('web-availability (Sev1, shared resources');
    expect(err.message).toContain('acknowledgeAlerts=true');
    await app.host.idle();
    expect((await app.release(id)).phase).toBe('awaiting-approval');
    expect(app.world.writes).toEqual([]);

    expect((await approve(id, { acknowledgeAlerts: true })).status).toBe(202);
    await app.host.idle();
    view = await app.release(id);
    expect(view).toMatchObject({
      phase: 'baking',
      alerts: { acknowledged: { by: 'alice', alertIds: [alertId('stateful')] } },
    });
    expect(app.world.live()).toBe('green');
  });

  it('a stateful alert still firing after the swap never rolls back that release (it fired before the swap)', async () => {
    app = await startApp();
    app.world.firingAlerts = [firing({ firedAt: new Date(Date.now() - 3600_000).toISOString() })];
    const id = await deliver(302);
    expect((await approve(id, { acknowledgeAlerts: 'true' })).status).toBe(202);
    // The decision is answered once recorded; the swap and its notice run on before the clock moves.
    await app.host.idle();
    await app.host.advance(600_000);
    expect(await app.release(id)).toMatchObject({ status: 'Succeeded', liveSlot: 'green' });
  });

  it('alerts that start firing after the page was shown: the approval is asked again with them', async () => {
    app = await startApp();
    const id = await deliver(303);
    const before = await app.release(id);
    const beforeLinks = await app.links(id);
    app.world.firingAlerts = [firing({ alertId: alertId('new') })];
    const res = await approve(id);
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('alerts-started-firing');
    await app.host.idle();
    const view = await app.release(id);
    expect(view.phase).toBe('awaiting-approval');
    // A new round with new links, sent to the notifier; the old round's links are dead.
    expect(view.approval!.round).not.toBe(before.approval!.round);
    expect((await app.links(id)).approveUrl).not.toBe(beforeLinks.approveUrl);
    expect(view.alerts!.firing).toEqual([expect.objectContaining({ alertId: alertId('new'), acts: true })]);
    expect(app.world.notifications.map((n) => n.kind)).toEqual(['awaiting-approval', 'awaiting-approval']);
    expect(app.world.writes).toEqual([]);
  });

  it('approval.required: false with alerts firing fails the release naming them; production untouched', async () => {
    app = await startApp({ approval: { required: false } });
    app.world.firingAlerts = [firing({ targetResourceIds: [greenVmss] })];
    const id = await deliver(304);
    const view = await app.release(id);
    expect(view).toMatchObject({
      status: 'Failed',
      error: { step: 'approval', resource: 'target web-prod' },
    });
    expect(view.error!.message).toContain('web-availability (Sev1, slot green');
    expect(view.error!.message).toContain('production untouched');
    expect(app.world.writes).toEqual([]);
    expect(app.world.notifications.map((n) => n.kind)).toEqual(['failed']);
  });

  it('approval.required: false with only recorded-only alerts firing goes ahead', async () => {
    app = await startApp({ approval: { required: false } });
    app.world.firingAlerts = [firing({ severity: 'Sev3' })];
    const id = await deliver(305);
    expect((await app.release(id)).phase).toBe('baking');
  });
});

describe('GET /api/alerts', () => {
  it('lists recent deliveries newest first with the decision per target, filtered and limited', async () => {
    app = await startApp();
    await toBake(401);
    await post({ alertId: alertId('a'), severity: 'Sev4', firedDateTime: at(0) });
    await post({
      alertId: alertId('b'),
      alertTargetIDs: ['/subscriptions/s/resourceGroups/other/providers/x/y/z'],
    });
    await app.host.idle();
    const res = await app.host.fetch('/api/alerts?target=web-prod&limit=10');
    expect(res.status).toBe(200);
    const { alerts } = (await res.json()) as { alerts: AlertAuditRecord[] };
    expect(alerts).toEqual([
      expect.objectContaining({
        alertId: alertId('a'),
        severity: 'Sev4',
        source: 'metric',
        targets: [
          {
            target: 'web-prod',
            release: 'web-prod-b401',
            slots: [],
            acted: false,
            reason: 'severity Sev4 is below Sev2',
          },
        ],
      }),
    ]);
    const all = (await (await app.host.fetch('/api/alerts')).json()) as { alerts: AlertAuditRecord[] };
    expect(all.alerts.map((a) => a.alertId)).toEqual([alertId('b'), alertId('a')]);
    expect(all.alerts[0]!.targets).toEqual([]);
  });

  it.each([
    ['limit=0', 'bad-limit'],
    ['limit=501', 'bad-limit'],
    ['limit=abc', 'bad-limit'],
    ['limit=1.5', 'bad-limit'],
    ['target=nope', 'unknown-target'],
  ])('?%s → 400 %s', async (query, code) => {
    app = await startApp();
    const res = await app.host.fetch(`/api/alerts?${query}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
  });
});

describe('the alert part of the status document', () => {
  it('fits the 16 KB custom-status cap at its largest, keeping alert and delivery IDs whole', () => {
    const longId = `/subscriptions/s/providers/Microsoft.AlertsManagement/alerts/${'a'.repeat(180)}`.slice(
      0,
      256,
    );
    const brief = (i: number) => ({
      alertId: `${longId.slice(0, 250)}-${i}`,
      rule: 'r'.repeat(260),
      severity: 'Sev1',
      source: 'metric' as const,
      monitoringService: 'm'.repeat(100),
      firedAt: '2026-01-01T09:00:00.0000000Z',
      slots: ['blue', 'green'],
      acts: true,
      reason: 'x'.repeat(300),
    });
    const view = aReleaseView({
      build: aBuild({ requestedBy: 'R'.repeat(50_000) }),
      alerts: {
        firing: Array.from({ length: 6 }, (_, i) => brief(i)),
        firingTotal: 40,
        checkedAt: '2026-01-01T09:00:00.000Z',
        acknowledged: {
          by: 'a'.repeat(200),
          alertIds: Array.from({ length: 6 }, (_, i) => brief(i).alertId),
          at: 'now',
        },
        bake: {
          swapAt: '2026-01-01T09:00:00.000Z',
          startedAt: '2026-01-01T09:00:01.000Z',
          endsAt: '2026-01-01T09:15:01.000Z',
        },
        decisions: Array.from({ length: 6 }, (_, i) => ({
          ...brief(i + 10),
          deliveryId: `0000000${i}-0000-4000-8000-000000000000`,
          monitorCondition: 'Fired' as const,
          receivedAt: '2026-01-01T09:01:00.000Z',
        })),
        acted: [brief(10).alertId.toLowerCase()],
        rollbackHeld: {
          alertId: brief(10).alertId,
          rule: 'r'.repeat(260),
          reason: 'x'.repeat(300),
          at: 'now',
        },
      },
    });
    const doc = statusDocument(view);
    expect(JSON.stringify(doc).length).toBeLessThanOrEqual(STATUS_BUDGET_CHARS);
    expect(doc.alerts!.bake).toEqual(view.alerts!.bake);
    expect(doc.alerts!.acted).toEqual(view.alerts!.acted);
    expect(doc.alerts!.decisions!.map((d) => [d.alertId, d.deliveryId])).toEqual(
      view.alerts!.decisions!.slice(-doc.alerts!.decisions!.length).map((d) => [d.alertId, d.deliveryId]),
    );
    // Abridged lists keep the newest entries, each ID whole.
    expect(view.alerts!.acknowledged!.alertIds).toEqual(
      expect.arrayContaining(doc.alerts!.acknowledged!.alertIds),
    );
  });
});
