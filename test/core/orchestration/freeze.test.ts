/**
 * Freezing a target, through the durable-functions replay engine on the test host: builds queue while frozen
 * (newest kept) and the hook says why; an unfreeze or the freeze's end time (a durable timer) starts the newest;
 * a release ready to swap holds its swap while frozen; rollbacks are never blocked.
 */
import type { ReleaseView } from '../../../src/core/domain';
import { OrchestrationVersions } from '../../../src/core/orchestration/version';
import { startApp, type AppHost } from '../../support/appHost';

const LANE = 'lane-web-prod';
let app: AppHost;

afterEach(async () => {
  await app?.close();
});

async function post(
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await app.host.fetch(path, {
    method: 'POST',
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const freeze = (body: Record<string, unknown>, headers?: Record<string, string>) =>
  post('/api/targets/web-prod/freeze', body, headers);
const unfreeze = () => post('/api/targets/web-prod/unfreeze');

async function targetView(): Promise<Record<string, unknown>> {
  const res = await app.host.fetch('/api/targets');
  const body = (await res.json()) as { targets: Record<string, unknown>[] };
  return body.targets[0]!;
}

function iso(offsetMs: number): string {
  return new Date(app.host.clock.now() + offsetMs).toISOString();
}

/** Raises an approval straight into the release, as one that passed the API just before the freeze would. */
function raiseApproval(view: ReleaseView, approver = 'alice'): void {
  app.host.raiseEvent(view.id, 'ApprovalDecision', {
    requestId: `req-${approver}`,
    decision: 'approve',
    round: view.approval!.round,
    approver,
    at: iso(0),
  });
}

describe('freezing a target', () => {
  it('queues builds while frozen, says why in the hook answer, and the unfreeze starts the newest', async () => {
    app = await startApp();
    const frozen = await freeze({ reason: 'incident 4711: checkout errors' });
    expect(frozen).toMatchObject({
      status: 200,
      body: {
        target: 'web-prod',
        changed: true,
        frozen: { by: 'function key', authenticated: false, reason: 'incident 4711: checkout errors' },
      },
    });
    const first = await app.hook(101);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({
      id: 'web-prod-b101',
      queued: true,
      frozen: { by: 'function key', reason: 'incident 4711: checkout errors' },
    });
    expect(first.body.message).toMatch(
      /frozen by function key since .* until someone unfreezes it: incident 4711: checkout errors; the build is queued/,
    );
    const second = await app.hook(102);
    expect(second.body).toMatchObject({ id: 'web-prod-b102', queued: true });
    await app.host.idle();

    // Nothing deployed: both wait, the status says why.
    expect(app.world.runs).toHaveLength(0);
    const queued = await app.release('web-prod-b102');
    expect(queued).toMatchObject({ status: 'Queued' });
    expect(queued.timeline[0]!.detail).toMatch(/frozen by function key .*incident 4711/);
    expect(await targetView()).toMatchObject({
      frozen: true,
      freeze: { by: 'function key', reason: 'incident 4711: checkout errors' },
      running: null,
    });

    const thawed = await unfreeze();
    expect(thawed).toMatchObject({ status: 200, body: { frozen: null, changed: true } });
    expect(thawed.body.lastFreeze).toMatchObject({
      endedBy: 'function key',
      reason: 'incident 4711: checkout errors',
    });
    await app.host.idle();
    expect(await app.release('web-prod-b102')).toMatchObject({
      status: 'Running',
      phase: 'awaiting-approval',
    });
    expect(await app.release('web-prod-b101')).toMatchObject({
      status: 'Superseded',
      supersededBy: 'web-prod-b102',
    });
    expect(await targetView()).toMatchObject({
      frozen: false,
      freeze: null,
      lastFreeze: { endedBy: 'function key' },
    });
  });

  it('unfreezes by itself at its end time (a durable timer) and starts the newest queued build', async () => {
    app = await startApp();
    const until = iso(3_600_000);
    expect(await freeze({ reason: 'release freeze for the sale', until })).toMatchObject({
      status: 200,
      body: { frozen: { until } },
    });
    expect((await app.hook(101)).body.message).toMatch(`until ${until}`);
    await app.host.idle();
    await app.host.advance(3_599_000);
    expect(await app.release('web-prod-b101')).toMatchObject({ status: 'Queued' });
    await app.host.advance(1_000);
    expect(await app.release('web-prod-b101')).toMatchObject({
      status: 'Running',
      phase: 'awaiting-approval',
    });
    expect(await targetView()).toMatchObject({
      frozen: false,
      lastFreeze: { endedBy: 'schedule', endedAt: until, until },
    });
  });

  it('a freeze ending days ahead keeps the lane on timers of at most a day, and a lane restart keeps it', async () => {
    app = await startApp();
    const until = iso(3 * 86_400_000 + 60_000);
    await freeze({ reason: 'long weekend', until });
    await app.hook(101);
    await app.host.idle();
    const timers = () =>
      app.host
        .history(LANE)
        .filter((e) => e.EventType === 10) // TimerCreated
        .map((e) => Date.parse((e as { FireAt?: string }).FireAt ?? '') - app.host.clock.now());
    expect(Math.max(...timers())).toBeLessThanOrEqual(86_400_000);
    await app.restart();
    await app.host.advance(86_400_000);
    await app.host.advance(86_400_000);
    await app.host.advance(86_400_000);
    expect(await app.release('web-prod-b101')).toMatchObject({ status: 'Queued' });
    await app.host.advance(60_000);
    expect(await app.release('web-prod-b101')).toMatchObject({ status: 'Running' });
  });

  it('freezing a frozen target updates reason and end time and keeps since; unfreezing an unfrozen one is a no-op', async () => {
    app = await startApp();
    expect(await unfreeze()).toMatchObject({ status: 200, body: { frozen: null, changed: false } });
    const first = await freeze({ reason: 'first' });
    await app.host.advance(60_000);
    const until = iso(7_200_000);
    const second = await freeze({ reason: 'second', until });
    const f1 = first.body.frozen as Record<string, string>;
    expect(second.body.frozen).toMatchObject({ reason: 'second', until, since: f1.since });
    expect((second.body.frozen as Record<string, string>).at).not.toBe(f1.at);
    expect((await unfreeze()).body).toMatchObject({ changed: true, frozen: null });
    expect((await unfreeze()).body).toMatchObject({ changed: false, frozen: null });
  });

  it('records the signed-in identity as who froze it', async () => {
    app = await startApp();
    const cookie = await app.signIn('oncall@contoso.com');
    const answer = await freeze({ reason: 'db failover' }, { cookie });
    expect(answer.body.frozen).toMatchObject({ by: 'oncall@contoso.com', authenticated: true });
  });

  it('refuses bad input with a 400 naming the field, and changes nothing', async () => {
    app = await startApp();
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{}, 'bad-reason', /reason is required/],
      [{ reason: '   ' }, 'bad-reason', /reason is required/],
      [{ reason: 'x'.repeat(501) }, 'bad-reason', /at most 500/],
      [{ reason: 'a\nb' }, 'bad-reason', /control characters/],
      [{ reason: 'ok', until: 'tomorrow' }, 'bad-until', /until must be an ISO 8601 date-time with a zone/],
      [{ reason: 'ok', until: '2026-01-01T10:00:00' }, 'bad-until', /with a zone/],
      [{ reason: 'ok', until: iso(-1000) }, 'bad-until', /in the future/],
      [{ reason: 'ok', until: iso(31 * 86_400_000) }, 'bad-until', /at most 30 days ahead/],
      [{ reason: 'ok', until: 12 }, 'invalid-payload', /field "until" must be a string/],
    ];
    for (const [body, code, message] of cases) {
      const answer = await freeze(body);
      expect([JSON.stringify(body).slice(0, 40), answer.status, answer.body.error]).toEqual([
        JSON.stringify(body).slice(0, 40),
        400,
        { code, message: expect.stringMatching(message) },
      ]);
    }
    expect(await post('/api/targets/nope/freeze', { reason: 'x' })).toMatchObject({
      status: 404,
      body: { error: { code: 'unknown-target' } },
    });
    expect(await post('/api/targets/web-prod/thaw', { reason: 'x' })).toMatchObject({
      status: 400,
      body: { error: { code: 'bad-action' } },
    });
    // No lane was ever started: nothing was frozen.
    expect(app.host.getStatus(LANE)).toBeUndefined();
    expect(await targetView()).toMatchObject({ frozen: false, freeze: null });
  });

  it('a release awaiting approval: approvals are refused while frozen (409 naming the freeze), the swap happens after the unfreeze', async () => {
    app = await startApp();
    await app.hook(101);
    await app.host.idle();
    await freeze({ reason: 'incident 12' });
    const refused = await app.decide('web-prod-b101', 'approve');
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({
      error: {
        code: 'target-frozen',
        message: expect.stringMatching(/frozen by function key .*incident 12; approvals are refused/),
      },
    });
    expect(app.world.live()).toBe('blue');
    await unfreeze();
    expect((await app.decide('web-prod-b101', 'approve')).status).toBe(202);
    await app.host.idle();
    expect(await app.release('web-prod-b101')).toMatchObject({ phase: 'baking' });
    expect(app.world.live()).toBe('green');
  });

  it('an approval that got in before the freeze: the swap waits, then goes ahead when unfrozen', async () => {
    app = await startApp();
    await app.hook(101);
    await app.host.idle();
    const waiting = await app.release('web-prod-b101');
    await freeze({ reason: 'incident 13' });
    raiseApproval(waiting);
    await app.host.idle();
    const held = await app.release('web-prod-b101');
    expect(held).toMatchObject({
      status: 'Running',
      phase: 'awaiting-approval',
      freeze: { by: 'function key', reason: 'incident 13' },
      approval: { pending: true, needed: 0, approvals: [{ by: 'alice' }] },
    });
    expect(held.timeline.at(-1)).toMatchObject({ step: 'freeze' });
    expect(held.timeline.at(-1)!.endedAt).toBeUndefined();
    expect(held.timeline.at(-1)!.detail).toMatch(
      /swap held: target web-prod frozen by function key: incident 13/,
    );
    expect(app.world.live()).toBe('blue');
    // The freeze is read again now and then: still frozen, still held.
    await app.host.advance(120_000);
    expect(app.world.live()).toBe('blue');

    await unfreeze();
    await app.host.idle();
    const after = await app.release('web-prod-b101');
    expect(after).toMatchObject({ phase: 'baking', approval: { decision: 'approved', approver: 'alice' } });
    expect(after.freeze).toBeUndefined();
    expect(after.timeline.find((t) => t.step === 'freeze')).toMatchObject({
      outcome: 'ok',
      detail: 'target unfrozen: the swap goes ahead',
    });
    expect(app.world.live()).toBe('green');
  });

  it('a held swap ends Expired when the freeze outlasts the approval, Rejected on a reject, Superseded by a newer build', async () => {
    app = await startApp({ approval: { timeoutSeconds: 3600 } });
    await app.hook(101);
    await app.host.idle();
    await freeze({ reason: 'long incident' });
    raiseApproval(await app.release('web-prod-b101'));
    await app.host.idle();
    await app.host.advance(3_600_000);
    const expired = await app.release('web-prod-b101');
    expect(expired).toMatchObject({ status: 'Expired', approval: { decision: 'expired' } });
    expect(expired.timeline.at(-1)).toMatchObject({
      step: 'freeze',
      outcome: 'failed',
      detail: expect.stringMatching(/still frozen when the approval expired/),
    });
    expect(app.world.live()).toBe('blue');

    // A build arriving during the freeze queues; it starts at the unfreeze, its approval is held by the next freeze.
    await app.hook(102);
    await unfreeze();
    await app.host.idle();
    await freeze({ reason: 'again' });
    raiseApproval(await app.release('web-prod-b102'));
    await app.host.idle();
    expect((await app.release('web-prod-b102')).freeze).toBeDefined();
    expect((await app.decide('web-prod-b102', 'reject')).status).toBe(202);
    await app.host.idle();
    expect(await app.release('web-prod-b102')).toMatchObject({
      status: 'Rejected',
      approval: { decision: 'rejected' },
    });

    await unfreeze();
    await app.hook(103);
    await app.host.idle();
    await freeze({ reason: 'third' });
    raiseApproval(await app.release('web-prod-b103'));
    await app.host.idle();
    await app.hook(104);
    await app.host.idle();
    expect(await app.release('web-prod-b103')).toMatchObject({
      status: 'Superseded',
      supersededBy: 'web-prod-b104',
    });
    // Still frozen: the newer build waits.
    expect(await app.release('web-prod-b104')).toMatchObject({ status: 'Queued' });
    expect(app.world.live()).toBe('blue');
  });

  it('a target needing no approval: the release deploys and verifies, the swap waits for the unfreeze', async () => {
    app = await startApp({ approval: { required: false } });
    // The deploy waits until the target is frozen, so the freeze surely comes before the swap.
    let go!: () => void;
    const gate = new Promise<void>((resolve) => (go = resolve));
    app.world.beforeRun = () => gate;
    await app.hook(101);
    await freeze({ reason: 'hold traffic' });
    go();
    await app.host.idle();
    const held = await app.release('web-prod-b101');
    expect(held).toMatchObject({ status: 'Running', freeze: { reason: 'hold traffic' } });
    expect(held.deploy?.instances).toHaveLength(3);
    expect(held.verify).toMatchObject({ ok: true });
    expect(held.timeline.at(-1)).toMatchObject({ step: 'freeze' });
    expect(app.world.live()).toBe('blue');
    await unfreeze();
    await app.host.idle();
    expect(await app.release('web-prod-b101')).toMatchObject({
      phase: 'baking',
      approval: { decision: 'auto-approved' },
    });
    expect(app.world.live()).toBe('green');
  });

  it('never blocks a rollback: an alert during the bake and a manual rollback after success still act', async () => {
    app = await startApp();
    await app.hook(101);
    await app.host.idle();
    expect((await app.decide('web-prod-b101', 'approve')).status).toBe(202);
    await app.host.idle();
    await freeze({ reason: 'incident' });
    const alert = await app.alert('a1');
    expect(alert.status).toBe(200);
    await app.host.idle();
    expect(await app.release('web-prod-b101')).toMatchObject({ status: 'RolledBack' });
    expect(app.world.live()).toBe('blue');

    // A succeeded release, then a freeze with a build queued behind it: its manual rollback still runs.
    await unfreeze();
    await app.hook(102);
    await app.host.idle();
    expect((await app.decide('web-prod-b102', 'approve')).status).toBe(202);
    await app.host.idle();
    await app.host.advance(600_000);
    expect(await app.release('web-prod-b102')).toMatchObject({ status: 'Succeeded' });
    const live = app.world.live();
    await freeze({ reason: 'errors after 102' });
    await app.hook(103);
    await app.host.idle();
    const rollback = await post('/api/releases/web-prod-b102/rollback', { reason: 'errors' });
    expect(rollback).toMatchObject({ status: 202, body: { rollback: 'lane' } });
    await app.host.idle();
    expect(await app.release('web-prod-b102')).toMatchObject({ status: 'RolledBack' });
    expect(app.world.live()).not.toBe(live);
    // The queued build still waits for the unfreeze.
    expect(await app.release('web-prod-b103')).toMatchObject({ status: 'Queued' });
    await unfreeze();
    await app.host.idle();
    expect(await app.release('web-prod-b103')).toMatchObject({ status: 'Running' });
  });

  it('a release created before 3.1 replays its own steps: it never reads the freeze (the API still refuses approvals)', async () => {
    const v30 = {
      defaultVersion: OrchestrationVersions.DeployChunks,
      matchStrategy: 'CurrentOrOlder',
      failureStrategy: 'Reject',
    } as const;
    app = await startApp({}, 3, { versioning: v30 });
    await app.hook(101);
    await app.host.idle();
    const old = await app.release('web-prod-b101');
    expect(old.orchestrationVersion).toBe('3.0');
    await app.restart(); // the app of this version: the repository's host.json (3.1)
    await freeze({ reason: 'incident' });
    expect((await app.decide(old.id, 'approve')).status).toBe(409);
    // An approval that got past the API before the freeze: the 3.0 release swaps, as it always did.
    raiseApproval(old);
    await app.host.idle();
    const view = await app.release(old.id);
    expect(view).toMatchObject({ phase: 'baking', liveSlot: 'green' });
    expect(view.freeze).toBeUndefined();
    expect(view.timeline.some((t) => t.step === 'freeze')).toBe(false);
    expect(app.host.errors).toEqual([]);
  });
});

describe("the console's freeze forms", () => {
  async function form(
    path: string,
    fields: Record<string, string>,
    headers: Record<string, string>,
  ): Promise<Response> {
    return app.host.fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual',
    });
  }

  it('freeze and unfreeze as the signed-in person (303 back to the dashboard), same-origin only', async () => {
    app = await startApp();
    const cookie = await app.signIn('oncall@contoso.com');
    const same = { cookie, 'sec-fetch-site': 'same-origin' };
    const frozen = await form(
      '/api/console/targets/web-prod/freeze',
      { reason: 'incident 9', for: '4h' },
      same,
    );
    expect(frozen.status).toBe(303);
    expect(frozen.headers.get('location')).toBe('/api/console?done=freeze');
    expect(await targetView()).toMatchObject({
      freeze: {
        by: 'oncall@contoso.com',
        authenticated: true,
        reason: 'incident 9',
        until: iso(4 * 3_600_000),
      },
    });
    const page = await (await app.host.fetch('/api/console?done=freeze', { headers: { cookie } })).text();
    expect(page).toContain('The target is frozen.');
    expect(page).toContain('by <strong>oncall@contoso.com</strong>');
    expect(page).toContain('action="/api/console/targets/web-prod/unfreeze"');

    const thawed = await form('/api/console/targets/web-prod/unfreeze', {}, same);
    expect(thawed.status).toBe(303);
    expect(await targetView()).toMatchObject({
      frozen: false,
      lastFreeze: { endedBy: 'oncall@contoso.com' },
    });
  });

  it('refuses a cross-site post, an anonymous one, and bad fields, naming the problem', async () => {
    app = await startApp();
    const cookie = await app.signIn('oncall@contoso.com');
    const cross = await form(
      '/api/console/targets/web-prod/freeze',
      { reason: 'x', for: '' },
      { cookie, 'sec-fetch-site': 'cross-site' },
    );
    expect(cross.status).toBe(403);
    const anonymous = await form(
      '/api/console/targets/web-prod/freeze',
      { reason: 'x', for: '' },
      {
        'sec-fetch-site': 'same-origin',
      },
    );
    expect(anonymous.status).toBe(401);
    const same = { cookie, 'sec-fetch-site': 'same-origin' };
    const noReason = await form('/api/console/targets/web-prod/freeze', { reason: '', for: '' }, same);
    expect(noReason.status).toBe(400);
    expect(await noReason.text()).toContain('reason is required');
    const badFor = await form('/api/console/targets/web-prod/freeze', { reason: 'x', for: '99y' }, same);
    expect(badFor.status).toBe(400);
    expect(await badFor.text()).toContain('for must be one of');
    const unknown = await form('/api/console/targets/nope/freeze', { reason: 'x', for: '' }, same);
    expect(unknown.status).toBe(404);
    expect(app.host.getStatus(LANE)).toBeUndefined();
  });
});
