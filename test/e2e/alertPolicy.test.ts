/**
 * The alert policy's defaults on the local stack, with Microsoft's published common-alert-schema samples
 * (test/fixtures/alerts, aimed at this stack's resources the way an action group would send them): an alert
 * about the idle slot, a minor or recorded-only source, an old alert, and an alert ID that already acted
 * never move traffic; alerts firing before the swap need an explicit decision; every answer says why.
 */
import { randomUUID } from 'node:crypto';
import type { AlertAuditRecord, ReleaseView } from '../../src/core/domain';
import { FIXTURES, loadFixture } from '../builders/payloads';
import {
  endpointWrites,
  lastSeq,
  releaseIdOf,
  restartWithTarget,
  useE2e,
  type Answer,
  approvalPendingOrDone,
} from './support';

jest.setTimeout(180_000);

const TARGET = { bakeSeconds: 15, health: { intervalSeconds: 1 } };

const e2e = useE2e({ network: 26, targetOverrides: TARGET });

interface TargetAnswer {
  target: string;
  release?: string;
  slots: string[];
  acted: boolean;
  reason: string;
}

/** A published sample, aimed at `targets`, with a fresh alert ID (unless given) and fire time (unless kept). */
function sample(
  fixture: keyof typeof FIXTURES,
  over: { targets: string[]; severity?: string; alertId?: string; firedAt?: string | 'as-published' },
): Record<string, unknown> {
  const body = structuredClone(loadFixture(FIXTURES[fixture])) as {
    data: { essentials: Record<string, unknown> };
  };
  const e = body.data.essentials;
  const sub = e2e.stack.fleet.topology.subscriptionId;
  e.alertTargetIDs = over.targets.map((t) => t.toLowerCase()); // Azure sends them lower-cased
  e.alertId =
    over.alertId ?? `/subscriptions/${sub}/providers/Microsoft.AlertsManagement/alerts/${randomUUID()}`;
  if (over.severity) e.severity = over.severity;
  if (over.firedAt !== 'as-published') e.firedDateTime = over.firedAt ?? new Date().toISOString();
  return body;
}

async function send(body: Record<string, unknown>): Promise<TargetAnswer[]> {
  const res: Answer<{ targets: TargetAnswer[] }> = await e2e.call('/api/hooks/alerts', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return res.body.targets;
}

const ids = () => {
  const t = e2e.stack.fleet.topology;
  const rg = `/subscriptions/${t.subscriptionId}/resourceGroups/${t.resourceGroup}`;
  const vmss = (slot: string) =>
    `${rg}/providers/Microsoft.Compute/virtualMachineScaleSets/${t.slots.find((s) => s.name === slot)!.vmssName}`;
  return {
    appInsights: t.appInsightsId,
    blue: vmss('blue'),
    green: vmss('green'),
    greenVm: `${vmss('green')}/virtualMachines/0`,
  };
};

async function toApproval(buildId: number): Promise<ReleaseView> {
  expect((await e2e.hook({ id: buildId, number: `7.0.${buildId}` })).status).toBe(202);
  return e2e.waitFor(releaseIdOf(buildId), approvalPendingOrDone, 60_000);
}

async function approve(view: ReleaseView, extra: Record<string, unknown> = {}): Promise<Answer> {
  const res = await fetch((await e2e.links(view)).approveUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ approver: 'alice@example.com', ...extra }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    body: JSON.parse(text) as Record<string, unknown>,
  };
}

async function toBake(buildId: number): Promise<string> {
  const view = await toApproval(buildId);
  expect(view.phase).toBe('awaiting-approval');
  expect((await approve(view)).status).toBe(202);
  const id = releaseIdOf(buildId);
  await e2e.waitFor(id, (v) => v.phase === 'baking' || v.phase === 'done', 30_000);
  return id;
}

describe('alert policy defaults on the local stack, with the published samples', () => {
  let acted: Record<string, unknown>;

  it('during a bake only a fresh, severe alert about the live build acts, and never onto an alerting slot', async () => {
    const since = lastSeq(e2e.stack);
    const id = await toBake(7001);
    expect(e2e.enabled()).toEqual(['green']);
    const { appInsights, blue, green, greenVm } = ids();

    // Slot-aware: the published metric sample, Sev1, on the idle slot's scale set.
    const idle = sample('metricFired', { targets: [blue], severity: 'Sev1' });
    expect(await send(idle)).toEqual([
      expect.objectContaining({
        target: 'webapp',
        release: id,
        slots: ['blue'],
        acted: false,
        reason: 'about idle slot blue',
      }),
    ]);
    // Severity: the published Sev4 Activity Log "VM restart" on a live instance.
    expect(await send(sample('activityLog', { targets: [greenVm] }))).toEqual([
      expect.objectContaining({ slots: ['green'], acted: false, reason: 'severity Sev4 is below Sev2' }),
    ]);
    // Source: the published Resource Health "Rebooted by user", even at Sev1, is recorded only.
    expect(await send(sample('resourceHealth', { targets: [greenVm], severity: 'Sev1' }))).toEqual([
      expect.objectContaining({
        acted: false,
        reason: 'Resource Health alerts are recorded only (alerts.sources)',
      }),
    ]);
    // Source: the published 2021 Service Health test sample, as published, aimed at the target.
    expect(
      await send(sample('serviceHealth2021', { targets: [appInsights], firedAt: 'as-published' })),
    ).toEqual([expect.objectContaining({ acted: false, reason: 'severity Sev4 is below Sev2' })]);
    expect(
      await send(
        sample('serviceHealth2021', { targets: [appInsights], severity: 'Sev1', firedAt: 'as-published' }),
      ),
    ).toEqual([
      expect.objectContaining({
        acted: false,
        reason: 'ServiceHealth alerts are recorded only (alerts.sources)',
      }),
    ]);
    // Time-aware: the published metric sample at its published fire time (2021), Sev1, on the live build.
    const old = await send(
      sample('metricFired', { targets: [green], severity: 'Sev1', firedAt: 'as-published' }),
    );
    expect(old).toEqual([
      expect.objectContaining({
        acted: false,
        reason: expect.stringMatching(/^fired \d+ days before the swap$/),
      }),
    ]);

    let view = await e2e.release(id);
    expect(view.phase).toBe('baking');
    expect(e2e.enabled()).toEqual(['green']);

    // A fresh Sev1 smart detection alert on the shared App Insights component calls for a rollback, but
    // blue, where it would send traffic, has its own alert firing: the rollback is held, traffic stays.
    acted = sample('smartDetector', { targets: [appInsights], severity: 'Sev1' });
    expect(await send(acted)).toEqual([
      expect.objectContaining({
        release: id,
        slots: [],
        acted: false,
        reason: 'rollback held: slot blue has 1 alert(s) firing: test-metricAlertRule (Sev1)',
      }),
    ]);
    view = await e2e.release(id);
    expect(view).toMatchObject({
      phase: 'baking',
      alerts: { rollbackHeld: { rule: expect.stringContaining('Dependency Latency') } },
    });
    expect(e2e.enabled()).toEqual(['green']);

    // Blue's alert resolves: the held rollback goes ahead at once.
    (idle.data as { essentials: Record<string, unknown> }).essentials.monitorCondition = 'Resolved';
    expect(await send(idle)).toEqual([
      expect.objectContaining({
        slots: ['blue'],
        acted: false,
        reason: expect.stringContaining('the held rollback for Dependency Latency'),
      }),
    ]);
    view = await e2e.waitFor(id, (v) => v.phase === 'done', 30_000);
    expect(view).toMatchObject({ status: 'RolledBack', liveSlot: 'blue', rollback: { trigger: 'alert' } });
    expect(view.rollback!.latencyMs).toBeGreaterThanOrEqual(0); // it fired inside the bake
    expect(e2e.enabled()).toEqual(['blue']);
    expect(endpointWrites(e2e.stack, since)).toEqual([
      ['green', 'Enabled'],
      ['blue', 'Disabled'],
      ['blue', 'Enabled'],
      ['green', 'Disabled'],
    ]);
  });

  it('the alert that acted, re-sent during the next release, does not act again', async () => {
    const id = await toBake(7002);
    expect(e2e.enabled()).toEqual(['green']);
    const essentials = (acted.data as { essentials: Record<string, unknown> }).essentials;
    essentials.firedDateTime = new Date().toISOString(); // even re-timed into this bake
    expect(await send(acted)).toEqual([
      expect.objectContaining({
        release: id,
        acted: false,
        reason: 'already acted: an alert acts once per target',
      }),
    ]);
    const view = await e2e.waitFor(id, (v) => v.phase === 'done', 45_000);
    expect(view).toMatchObject({ status: 'Succeeded', liveSlot: 'green' });
    expect(e2e.enabled()).toEqual(['green']);
  });

  it('GET /api/alerts lists every delivery with the decision, newest first', async () => {
    const res = await e2e.call<{ alerts: AlertAuditRecord[] }>('/api/alerts?target=webapp&limit=3');
    expect(res.status).toBe(200);
    expect(res.body.alerts.map((a) => a.targets[0]!.reason)).toEqual([
      'already acted: an alert acts once per target',
      expect.stringContaining('the held rollback for Dependency Latency'),
      expect.stringMatching(/^rollback held: slot blue/),
    ]);
    expect((await e2e.call('/api/alerts?limit=0')).status).toBe(400);
    const unauthenticated = await fetch(`${e2e.stack.hostUrl}/api/alerts`);
    expect(unauthenticated.status).toBe(401);
  });

  it('an alert already firing before the swap is shown and must be acknowledged to approve', async () => {
    const { appInsights } = ids();
    const guid = randomUUID();
    e2e.stack.arm.control.addAlert({
      targetResource: appInsights,
      rule: 'webapp-availability',
      severity: 'Sev1',
      alertGuid: guid,
    });
    const view = await toApproval(7003);
    expect(view.alerts?.firing).toEqual([
      expect.objectContaining({ rule: 'webapp-availability', severity: 'Sev1', acts: true, slots: [] }),
    ]);
    const page = await fetch((await e2e.links(view)).approveUrl).then((r) => r.text());
    expect(page).toContain('webapp-availability');
    expect(page).toContain('name="acknowledgeAlerts"');

    const refused = await approve(view);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: { code: 'alerts-not-acknowledged' } });
    expect(e2e.enabled()).toEqual(['green']);

    expect((await approve(view, { acknowledgeAlerts: true })).status).toBe(202);
    const baking = await e2e.waitFor(
      releaseIdOf(7003),
      (v) => v.phase === 'baking' || v.phase === 'done',
      30_000,
    );
    expect(baking).toMatchObject({
      phase: 'baking',
      liveSlot: 'blue',
      alerts: { acknowledged: { by: 'alice@example.com' } },
    });
    const done = await e2e.waitFor(releaseIdOf(7003), (v) => v.phase === 'done', 45_000);
    // A stateful alert that fired before the swap never rolls the release back.
    expect(done).toMatchObject({ status: 'Succeeded', liveSlot: 'blue' });
    e2e.stack.arm.control.resolveAlert(guid);
  });

  it('approval.required: false with an alert firing: the release fails naming it, production untouched', async () => {
    await restartWithTarget(e2e, { ...TARGET, approval: { required: false } });
    const { green } = ids();
    const guid = randomUUID();
    e2e.stack.arm.control.addAlert({
      targetResource: green,
      rule: 'webapp-cpu',
      severity: 'Sev2',
      alertGuid: guid,
    });
    const since = lastSeq(e2e.stack);
    expect((await e2e.hook({ id: 7004, number: '7.0.7004' })).status).toBe(202);
    const view = await e2e.waitFor(releaseIdOf(7004), (v) => v.phase === 'done', 60_000);
    expect(view).toMatchObject({ status: 'Failed', error: { step: 'approval', resource: 'target webapp' } });
    expect(view.error!.message).toContain('webapp-cpu (Sev2, slot green');
    expect(endpointWrites(e2e.stack, since)).toEqual([]);
    expect(e2e.enabled()).toEqual(['blue']);
    e2e.stack.arm.control.resolveAlert(guid);
  });
});
