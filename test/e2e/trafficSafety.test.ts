/**
 * Issue 7 §1 and §2 on the local stack: the exact repro of a concurrent disable during a delayed PATCH
 * (swap and rollback), and a 2-minute ARM outage during an alert rollback, which ends RolledBack; the time
 * from ARM's recovery to traffic back is printed (a figure, not an assertion on wall-clock time).
 */
import type { ReleaseView } from '../../src/core/domain';
import { endpointWrites, lastSeq, releaseIdOf, useE2e, approvalPendingOrDone } from './support';

jest.setTimeout(300_000);

const e2e = useE2e({
  network: 37,
  trafficAndAlerts: true,
  targetOverrides: { bakeSeconds: 600, health: { intervalSeconds: 1 } },
});

async function toApproval(buildId: number, number: string): Promise<ReleaseView> {
  expect((await e2e.hook({ id: buildId, number })).status).toBe(202);
  const view = await e2e.waitFor(releaseIdOf(buildId), approvalPendingOrDone, 60_000);
  expect(view).toMatchObject({ phase: 'awaiting-approval', verify: { ok: true, version: number } });
  return view;
}

/** Waits until the stand-in has taken the (single-use) fault rule: its delayed request is in flight. */
async function untilTaken(id: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (e2e.stack.arm.control.faults().some((f) => f.id === id)) {
    if (Date.now() > deadline) throw new Error(`fault ${id} was never taken\n${e2e.hostLog()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function fireAlert(rule: string): Promise<string> {
  const fired = await fetch(`${e2e.stack.fleet.controlUrl}/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ rule, description: 'fired by the e2e test' }),
    signal: AbortSignal.timeout(15_000),
  });
  expect(fired.status).toBe(200);
  return ((await fired.json()) as { data: { essentials: { alertId: string } } }).data.essentials.alertId;
}

/**
 * Prints the two windows Traffic Manager's lack of ETag/If-Match leaves (request log arrival times): from
 * each profile read to the write decided on it, and how long zero endpoints were enabled: from the
 * delayed PATCH taking effect to the corrective PATCH arriving.
 */
function printWindows(since: number, delayedFault: number, delayMs: number): void {
  const log = e2e.stack.arm.control.requests(since).filter((r) => /trafficmanagerprofiles/i.test(r.path));
  const gaps: number[] = [];
  log.forEach((r, i) => {
    if (r.method !== 'PATCH') return;
    const read = log
      .slice(0, i)
      .reverse()
      .find((x) => x.method === 'GET');
    if (read) gaps.push(r.atMs - read.atMs);
  });
  const delayed = log.find((r) => r.faultId === delayedFault)!;
  const corrective = log.filter((r) => r.method === 'PATCH' && r.seq > delayed.seq).at(0);
  const zeroMs = corrective ? corrective.atMs - (delayed.atMs + delayMs) : NaN;
  console.log(
    `read -> write window per PATCH: ${gaps.join(', ')} ms; ` +
      `zero endpoints enabled from the delayed PATCH taking effect to the corrective PATCH: ${zeroMs} ms`,
  );
}

describe('§1 a concurrent change never leaves zero endpoints enabled', () => {
  it('swap: blue PATCH delayed 1.5 s, green disabled meanwhile → green re-enabled at once, restored recorded', async () => {
    const view = await toApproval(7101, '7.1.1');
    const id = view.id;
    const since = lastSeq(e2e.stack);
    const control = e2e.stack.arm.control;
    const delayed = control.addFault({
      method: 'PATCH',
      path: 'trafficmanagerprofiles/.*/blue$',
      delayMs: 1500,
      count: 1,
    });
    expect((await e2e.decide(view, 'approve', 'alice@example.com')).status).toBe(202);
    await untilTaken(delayed.id);
    control.setEndpointStatus('green', 'Disabled'); // another operator or script, while the PATCH is delayed

    const after = await e2e.waitFor(id, (v) => v.phase === 'baking' || v.phase === 'done', 60_000);
    expect(after).toMatchObject({ status: 'Running', phase: 'baking', liveSlot: 'green' });
    expect(e2e.enabled()).toEqual(['green']);
    expect(after.timeline.find((t) => t.step === 'restored')).toMatchObject({
      outcome: 'ok',
      detail: 'read back after disabling blue=Disabled, green=Disabled: re-enabled green',
    });
    // The app's own writes: the swap, then the one corrective write.
    expect(endpointWrites(e2e.stack, since)).toEqual([
      ['green', 'Enabled'],
      ['blue', 'Disabled'],
      ['green', 'Enabled'],
    ]);
    expect(await e2e.servedVersion('green')).toBe('7.1.1');
    printWindows(since, delayed.id, 1500);

    // Roll it back by hand, and reproduce the same race on the rollback: previous slot re-enabled.
    const sinceRollback = lastSeq(e2e.stack);
    const delayedBack = control.addFault({
      method: 'PATCH',
      path: 'trafficmanagerprofiles/.*/green$',
      delayMs: 1500,
      count: 1,
    });
    const res = await e2e.call(`/api/releases/${id}/rollback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ requestedBy: 'carol@example.com' }),
    });
    expect(res.status).toBe(202);
    await untilTaken(delayedBack.id);
    control.setEndpointStatus('blue', 'Disabled');
    const back = await e2e.waitFor(id, (v) => v.phase === 'done', 60_000);
    expect(back).toMatchObject({ status: 'RolledBack', liveSlot: 'blue', rollback: { trigger: 'manual' } });
    expect(e2e.enabled()).toEqual(['blue']);
    expect(back.timeline.filter((t) => t.step === 'restored').map((t) => t.detail)).toContain(
      'read back after disabling blue=Disabled, green=Disabled: re-enabled blue',
    );
    printWindows(sinceRollback, delayedBack.id, 1500);
    expect(endpointWrites(e2e.stack, sinceRollback)).toEqual([
      ['blue', 'Enabled'],
      ['green', 'Disabled'],
      ['blue', 'Enabled'],
    ]);
  });
});

describe('§2 a decided rollback never gives up', () => {
  it('a 2-minute ARM outage during an alert rollback ends RolledBack once ARM is back', async () => {
    const view = await toApproval(7201, '7.2.1');
    const id = view.id;
    expect((await e2e.decide(view, 'approve', 'alice@example.com')).status).toBe(202);
    await e2e.waitFor(id, (v) => v.phase === 'baking', 30_000);
    expect(e2e.enabled()).toEqual(['green']);

    const control = e2e.stack.arm.control;
    const since = lastSeq(e2e.stack);
    const outage = control.addFault({
      path: 'trafficmanagerprofiles',
      status: 503,
      forMs: 120_000,
      message: 'ARM outage (e2e)',
    });
    const alertId = await fireAlert('webapp-outage-test');

    const retrying = await e2e.waitFor(id, (v) => (v.rollback?.attempts ?? 0) >= 1, 120_000);
    expect(retrying).toMatchObject({
      status: 'Running',
      phase: 'rolling-back',
      rollback: { trigger: 'alert' },
    });
    expect(retrying.rollback!.lastError).toContain('503');
    expect(e2e.enabled()).toEqual(['green']);

    const done = await e2e.waitFor(id, (v) => v.phase === 'done', 240_000);
    expect(done).toMatchObject({
      status: 'RolledBack',
      liveSlot: 'blue',
      rollback: { trigger: 'alert', alert: { alertId } },
    });
    expect(e2e.enabled()).toEqual(['blue']);
    expect(await e2e.servedVersion('blue')).toBe('1.0.0'); // 7201 deployed over green, the slot 7101 left

    const log = control.requests(since);
    const recoveredAt = outage.untilMs!;
    const back = log.find(
      (r) =>
        r.method === 'PATCH' &&
        /\/blue$/i.test(r.path) &&
        r.status < 300 &&
        (r.body as { properties?: { endpointStatus?: string } })?.properties?.endpointStatus === 'Enabled',
    )!;
    expect(back.atMs).toBeGreaterThanOrEqual(recoveredAt);
    const refused = log.filter((r) => r.faultId === outage.id).length;
    console.log(
      `ARM outage of 120 s during an alert rollback: ${refused} ARM calls refused, ${done.rollback!.attempts} rollback attempts; ` +
        `ARM recovery -> traffic back on blue: ${back.atMs - recoveredAt} ms`,
    );
    await e2e.stack.fleet.alerts!.resolveAlert(alertId);
  });
});
