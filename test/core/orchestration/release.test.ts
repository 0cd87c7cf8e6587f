import { startApp, type AppHost } from '../../support/appHost';

const RELEASE = 'web-prod-b101';
let app: AppHost;

afterEach(async () => {
  await app?.close();
});

/** Delivers build 101 and runs until the release waits for something. */
async function deliver(id = 101) {
  const answer = await app.hook(id);
  expect(answer.status).toBe(202);
  await app.host.idle();
  return answer.body.id as string;
}

describe('release orchestration, driven through HTTP and the durable-functions replay engine', () => {
  it('happy path: deploys staging only, verifies, waits for approval, swaps, bakes and succeeds', async () => {
    app = await startApp();
    const id = await deliver();
    expect(id).toBe(RELEASE);

    let view = await app.release(id);
    expect(view).toMatchObject({
      status: 'Running',
      phase: 'awaiting-approval',
      productionSlot: 'blue',
      stagingSlot: 'green',
    });
    // The status says approval is pending and who may decide; the live links went to the notifier only.
    expect(view.approval).toMatchObject({ required: true, pending: true, minApprovers: 1, needed: 1 });
    expect(view.approval).not.toHaveProperty('approveUrl');
    expect((await app.links(id)).approveUrl).toMatch(
      /^https:\/\/release\.example\.com\/api\/approvals\/web-prod-b101\/approve\?token=/,
    );
    expect(view.verify).toMatchObject({ ok: true, version: '1.0.101' });
    // Production is untouched until approval: every deploy ran on green, traffic did not move.
    expect(app.world.runs.map((r) => r.instance).sort()).toEqual(['green-vm0', 'green-vm1', 'green-vm2']);
    expect(app.world.runs[0]!.parameters).toMatchObject({
      ARTIFACT_URL: 'https://artifacts.example.com/web/1.0.101/app.zip',
      VERSION: '1.0.101',
    });
    expect(app.world.writes).toEqual([]);
    expect(app.world.notifications.map((n) => n.kind)).toEqual(['awaiting-approval']);

    expect((await app.decide(id, 'approve')).status).toBe(202);
    await app.host.idle();
    view = await app.release(id);
    expect(view).toMatchObject({ phase: 'baking', liveSlot: 'green' });
    expect(app.world.live()).toBe('green');

    await app.host.advance(600_000);
    view = await app.release(id);
    expect(view).toMatchObject({ status: 'Succeeded', phase: 'done', liveSlot: 'green' });
    expect(view.approval).toMatchObject({
      decision: 'approved',
      approver: 'alice',
      comment: 'approve from test',
    });
    expect(app.world.writes).toEqual([
      { endpoint: 'green', enabled: true },
      { endpoint: 'blue', enabled: false },
    ]);
    expect(view.timeline.map((t) => t.step)).toEqual([
      'resolve-slots',
      'list-instances',
      'deploy',
      'verify',
      'approval',
      'swap',
      'bake',
    ]);
    const bakeStep = view.timeline.find((t) => t.step === 'bake')!;
    expect(bakeStep.durationMs).toBe(600_000);
    expect(view.timeline.every((t) => t.endedAt && t.outcome === 'ok')).toBe(true);
    expect(app.world.notifications.map((n) => n.kind)).toEqual(['awaiting-approval', 'swapped', 'succeeded']);
  });

  it('approval timeout: the release ends Expired and production is untouched', async () => {
    app = await startApp();
    const id = await deliver();
    await app.host.advance(3_599_000);
    expect((await app.release(id)).phase).toBe('awaiting-approval');
    await app.host.advance(1_000);
    const view = await app.release(id);
    expect(view).toMatchObject({ status: 'Expired', phase: 'done', approval: { decision: 'expired' } });
    expect(app.world.writes).toEqual([]);
    expect(app.world.live()).toBe('blue');
  });

  it('rejection: the release ends Rejected, records who rejected, production untouched', async () => {
    app = await startApp();
    const id = await deliver();
    expect((await app.decide(id, 'reject', 'bob')).status).toBe(202);
    await app.host.idle();
    const view = await app.release(id);
    expect(view).toMatchObject({ status: 'Rejected', approval: { decision: 'rejected', approver: 'bob' } });
    expect(app.world.writes).toEqual([]);
    expect(app.world.notifications.map((n) => n.kind)).toEqual(['awaiting-approval', 'rejected']);
  });

  it('deploy failures within the tolerance: the release goes on and records the failure', async () => {
    app = await startApp({ deploy: { maxFailures: 1 } });
    app.world.failInstances.set('green-vm1', 13);
    const id = await deliver();
    const view = await app.release(id);
    expect(view.phase).toBe('awaiting-approval');
    expect(view.deploy).toMatchObject({ failed: 1, tolerated: 1 });
    expect(view.deploy!.instances.find((i) => i.instance === 'green-vm1')).toMatchObject({
      exitCode: 13,
      succeeded: false,
    });
  });

  it('deploy failures over the tolerance: Failed at deploy, no approval asked, production untouched', async () => {
    app = await startApp({ deploy: { maxFailures: 1, maxParallel: 1 } });
    app.world.failInstances.set('green-vm0', 10).set('green-vm1', 11);
    const id = await deliver();
    const view = await app.release(id);
    expect(view).toMatchObject({ status: 'Failed', phase: 'done' });
    expect(view.error).toMatchObject({ step: 'deploy', resource: 'slot green' });
    expect(view.error!.message).toContain('green-vm0 (exit 10), green-vm1 (exit 11)');
    // One at a time, it stopped as soon as the tolerance was exceeded: the third instance never ran.
    expect(app.world.runs.map((r) => r.instance)).toEqual(['green-vm0', 'green-vm1']);
    expect(view.approval).toBeUndefined();
    expect(app.world.writes).toEqual([]);
    expect(app.world.notifications.map((n) => n.kind)).toEqual(['failed']);
  });

  it('verification failure: retries with backoff on durable timers, then Failed naming the URL', async () => {
    app = await startApp();
    app.world.healthOverride.set('green', { ok: true, status: 200, version: '0.9.0' });
    const id = await deliver();
    expect((await app.release(id)).phase).toBe('verifying');
    await app.host.advance(5_000); // second attempt after 5 s
    expect((await app.release(id)).verify?.attempts).toBe(2);
    await app.host.advance(10_000); // third after 10 s more
    const view = await app.release(id);
    expect(view).toMatchObject({
      status: 'Failed',
      error: { step: 'verify', resource: 'http://green.example.test/health' },
    });
    expect(view.error!.message).toContain('reports version 0.9.0, expected 1.0.101');
    expect(app.world.writes).toEqual([]);
  });
});

describe('bake and rollback', () => {
  async function toBake() {
    const id = await deliver();
    expect((await app.decide(id, 'approve')).status).toBe(202);
    await app.host.idle();
    expect((await app.release(id)).phase).toBe('baking');
    return id;
  }

  it('an alert during the bake swaps traffic back automatically and records the alert and latency', async () => {
    app = await startApp();
    const id = await toBake();
    await app.host.advance(60_000);
    const answer = await app.alert('a-1');
    expect(answer.status).toBe(200);
    expect(answer.body.targets).toEqual([
      {
        target: 'web-prod',
        release: id,
        slots: [],
        acted: true,
        forwarded: true,
        reason: 'rollback to blue',
      },
    ]);
    await app.host.idle();
    const view = await app.release(id);
    expect(view).toMatchObject({ status: 'RolledBack', phase: 'done', liveSlot: 'blue' });
    expect(view.rollback).toMatchObject({ trigger: 'alert', alert: { rule: 'web-5xx' } });
    expect(view.rollback!.latencyMs).toBe(30_000); // the alert fired 30 s before it arrived
    expect(view.rollback!.reactionMs).toBe(0); // manual clock: no time passes inside the app
    expect(app.world.live()).toBe('blue');
    expect(app.world.writes).toEqual([
      { endpoint: 'green', enabled: true },
      { endpoint: 'blue', enabled: false },
      { endpoint: 'blue', enabled: true },
      { endpoint: 'green', enabled: false },
    ]);
    expect(view.timeline.map((t) => [t.step, t.outcome])).toContainEqual(['rollback', 'ok']);
    expect(app.world.notifications.map((n) => n.kind)).toEqual([
      'awaiting-approval',
      'swapped',
      'rolled-back',
    ]);
  });

  it('an alert after the bake ends is recorded and changes nothing', async () => {
    app = await startApp();
    const id = await toBake();
    await app.host.advance(600_000);
    expect((await app.release(id)).status).toBe('Succeeded');
    const answer = await app.alert('late-1');
    expect(answer.body.targets).toEqual([
      { target: 'web-prod', slots: [], acted: false, forwarded: false, reason: 'no release running' },
    ]);
    await app.host.idle();
    expect((await app.release(id)).status).toBe('Succeeded');
    expect(app.world.live()).toBe('green');
  });

  it('a resolved alert is recorded only and the bake goes on', async () => {
    app = await startApp();
    const id = await toBake();
    expect((await app.alert('r-1', 'Resolved')).body).toMatchObject({
      monitorCondition: 'Resolved',
      targets: [{ target: 'web-prod', acted: false, forwarded: false, reason: 'resolved' }],
    });
    await app.host.idle();
    expect((await app.release(id)).phase).toBe('baking');
  });

  it('manual rollback during the bake', async () => {
    app = await startApp();
    const id = await toBake();
    const res = await app.host.fetch(`/api/releases/${id}/rollback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ requestedBy: 'carol', reason: 'checkout is slow' }),
    });
    expect(res.status).toBe(202);
    await app.host.idle();
    const view = await app.release(id);
    expect(view).toMatchObject({
      status: 'RolledBack',
      rollback: { trigger: 'manual', requestedBy: 'carol', reason: 'checkout is slow' },
    });
    expect(view.timeline.find((t) => t.step === 'bake')?.detail).toBe(
      'rollback requested by carol: checkout is slow',
    );
    expect(app.world.live()).toBe('blue');
    const notice = app.world.notifications.at(-1)!;
    expect(notice.kind).toBe('rolled-back');
    expect(notice.release.rollback).toMatchObject({ requestedBy: 'carol', reason: 'checkout is slow' });
  });

  it('manual rollback after success records who and why, and notifies (also when the first attempt works)', async () => {
    app = await startApp();
    const id = await deliver();
    await app.decide(id, 'approve');
    await app.host.idle();
    await app.host.advance(600_000);
    expect((await app.release(id)).status).toBe('Succeeded');
    const before = app.world.notifications.length;
    const cookie = await app.signIn('oncall@contoso.com');
    const res = await app.host.fetch(`/api/releases/${id}/rollback`, {
      method: 'POST',
      // The signed-in principal wins over the typed name; a client's own principal header never would.
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ requestedBy: 'someone-else', reason: 'payments errors since 10:02' }),
    });
    expect(res.status).toBe(202);
    await app.host.idle();
    const view = await app.release(id);
    expect(view).toMatchObject({
      status: 'RolledBack',
      rollback: {
        trigger: 'manual',
        requestedBy: 'oncall@contoso.com',
        reason: 'payments errors since 10:02',
      },
    });
    expect(view.timeline.at(-1)).toMatchObject({
      step: 'manual-rollback',
      outcome: 'ok',
      detail: 'requested by oncall@contoso.com: payments errors since 10:02',
    });
    const sent = app.world.notifications.slice(before);
    expect(sent.map((n) => n.kind)).toEqual(['rolled-back']);
    expect(sent[0]!.release).toMatchObject({
      id,
      status: 'RolledBack',
      liveSlot: 'blue',
      rollback: { requestedBy: 'oncall@contoso.com', reason: 'payments errors since 10:02' },
    });
  });

  it('manual rollback after success swaps back, once; refused before traffic moved', async () => {
    app = await startApp();
    const id = await deliver();
    const early = await app.host.fetch(`/api/releases/${id}/rollback`, { method: 'POST' });
    expect(early.status).toBe(409);
    expect(await early.json()).toMatchObject({ error: { code: 'not-rollbackable' } });

    await app.decide(id, 'approve');
    await app.host.idle();
    await app.host.advance(600_000);
    expect((await app.release(id)).status).toBe('Succeeded');

    const res = await app.host.fetch(`/api/releases/${id}/rollback`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ id, rollback: 'lane' });
    await app.host.idle();
    const view = await app.release(id);
    expect(view).toMatchObject({
      status: 'RolledBack',
      liveSlot: 'blue',
      rollback: { trigger: 'manual', requestedBy: 'api' },
    });
    expect(app.world.live()).toBe('blue');

    const again = await app.host.fetch(`/api/releases/${id}/rollback`, { method: 'POST' });
    expect(await again.json()).toMatchObject({ rollback: 'already-requested' });
    await app.host.idle();
    expect(app.world.writes.filter((w) => w.endpoint === 'blue' && w.enabled)).toHaveLength(1);
  });

  it('manual rollback is refused once a later release has deployed over the previous slot', async () => {
    app = await startApp();
    const first = await deliver(101);
    await app.decide(first, 'approve');
    await app.host.idle();
    await app.host.advance(600_000);
    const second = await deliver(102); // deploys onto blue, the slot a rollback of 101 would re-enable
    expect((await app.release(second)).stagingSlot).toBe('blue');
    const res = await app.host.fetch(`/api/releases/${first}/rollback`, { method: 'POST' });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { code: 'superseded' } });
  });

  it('a swap whose response was lost is retried and finds the work already done', async () => {
    app = await startApp();
    let lost = 0;
    app.world.afterWrite = (endpoint, enabled) => {
      if (endpoint === 'blue' && !enabled && lost++ === 0) throw new Error('socket hang up');
    };
    const id = await deliver();
    await app.decide(id, 'approve');
    await app.host.idle();
    expect((await app.release(id)).phase).toBe('swapping');
    await app.host.advance(2_000); // the activity retry's backoff
    const view = await app.release(id);
    expect(view).toMatchObject({ phase: 'baking', liveSlot: 'green' });
    expect(view.timeline.find((t) => t.step === 'swap')?.detail).toBe('green was already live');
    expect(app.world.writes).toEqual([
      { endpoint: 'green', enabled: true },
      { endpoint: 'blue', enabled: false },
    ]);
    // The orchestrator's own retry (on a durable timer), so each call is a first activity attempt.
    const swaps = app.host.activityLog.filter((a) => a.name === 'SwapTraffic');
    expect(swaps.map((a) => (a.input as { attempt: number }).attempt)).toEqual([1, 2]);
  });
});

describe('one release per target at a time', () => {
  it('the same hook delivered 20 times starts one release', async () => {
    app = await startApp();
    const answers = await Promise.all(Array.from({ length: 20 }, () => app.hook(101)));
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([202]));
    expect(new Set(answers.map((a) => a.body.id))).toEqual(new Set([RELEASE]));
    await app.host.idle();
    const again = await app.hook(101);
    expect(again.body).toMatchObject({ id: RELEASE, duplicate: true });
    await app.host.idle();
    const list = (await (await app.host.fetch('/api/releases')).json()) as { releases: { id: string }[] };
    expect(list.releases.map((r) => r.id)).toEqual([RELEASE]);
    expect(app.world.runs).toHaveLength(3);
  });

  it('a newer build supersedes a release awaiting approval; production untouched', async () => {
    app = await startApp();
    const first = await deliver(101);
    const oldLink = new URL((await app.links(first)).approveUrl);
    const answer = await app.hook(102);
    expect(answer.body).toMatchObject({ id: 'web-prod-b102', behind: first });
    await app.host.idle();
    expect(await app.release(first)).toMatchObject({ status: 'Superseded', supersededBy: 'web-prod-b102' });
    const second = await app.release('web-prod-b102');
    expect(second).toMatchObject({ status: 'Running', phase: 'awaiting-approval', stagingSlot: 'green' });
    expect(app.world.writes).toEqual([]);
    // The superseded release's links are dead.
    const stale = await app.host.fetch(oldLink.pathname + oldLink.search, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ approver: 'alice' }),
    });
    expect(stale.status).toBe(409);
    expect(await stale.json()).toMatchObject({ error: { code: 'already-decided' } });
  });

  it('builds arriving during the bake queue; only the newest runs when the release ends', async () => {
    app = await startApp();
    const first = await deliver(101);
    await app.decide(first, 'approve');
    await app.host.idle();
    expect((await app.hook(102)).status).toBe(202);
    expect((await app.hook(103)).status).toBe(202);
    await app.host.idle();
    const baking = await app.release(first);
    expect(baking.phase).toBe('baking'); // a bake is not superseded
    for (const n of [102, 103]) {
      expect(await app.release(`web-prod-b${n}`)).toMatchObject({
        status: 'Queued',
        phase: 'queued',
        build: { id: String(n), number: `1.0.${n}` },
        timeline: [{ step: 'queued', detail: `behind ${first}` }],
      });
    }
    // The baking release is not woken by builds it would ignore.
    expect(app.host.history(first).filter((e) => e.Name === 'NewerBuild')).toEqual([]);
    expect((await app.host.fetch('/api/releases/web-prod-b999')).status).toBe(404);
    await app.host.advance(600_000);
    expect((await app.release(first)).status).toBe('Succeeded');
    expect(await app.release('web-prod-b102')).toMatchObject({
      status: 'Superseded',
      supersededBy: 'web-prod-b103',
    });
    expect(await app.release('web-prod-b103')).toMatchObject({
      phase: 'awaiting-approval',
      stagingSlot: 'blue',
    });
  });
});

describe('a flood of service hooks during a bake', () => {
  it('redeliveries never reach the lane or the baking release; the alert still rolls back', async () => {
    app = await startApp();
    const first = await deliver(101);
    await app.decide(first, 'approve');
    await app.host.idle();
    expect((await app.release(first)).phase).toBe('baking');

    // Every event the lane is sent, across its executions (its history restarts with continueAsNew).
    const arrived: string[] = [];
    const raise = app.host.engine.raiseEvent.bind(app.host.engine);
    app.host.engine.raiseEvent = (instanceId, name, data, json) => {
      if (instanceId === 'lane-web-prod' && name === 'BuildArrived') {
        arrived.push((JSON.parse(json ?? JSON.stringify(data)) as { releaseId: string }).releaseId);
      }
      return raise(instanceId, name, data, json);
    };
    const distinct = [102, 103, 104, 105, 106];
    for (const n of distinct) expect((await app.hook(n)).body).not.toHaveProperty('duplicate');
    const redeliveries = await Promise.all(
      Array.from({ length: 20 }, () => [101, ...distinct].map((n) => app.hook(n))).flat(),
    );
    expect(redeliveries.map((r) => [r.status, r.body.duplicate])).toEqual(
      redeliveries.map(() => [202, true]),
    );
    await app.host.idle();
    expect(arrived).toEqual(distinct.map((n) => `web-prod-b${n}`)); // each build once: its first delivery
    expect(app.host.history(first).filter((e) => e.Name === 'NewerBuild')).toEqual([]);

    const alert = await app.alert('flood-alert');
    expect(alert.body).toMatchObject({ targets: [{ release: first, forwarded: true }] });
    await app.host.idle();
    expect(await app.release(first)).toMatchObject({ status: 'RolledBack', liveSlot: 'blue' });
    expect(app.world.live()).toBe('blue');
    // The newest queued build runs next; the others end Superseded by it.
    expect(await app.release('web-prod-b106')).toMatchObject({ phase: 'awaiting-approval' });
    for (const n of [102, 103, 104, 105]) {
      expect(await app.release(`web-prod-b${n}`)).toMatchObject({
        status: 'Superseded',
        supersededBy: 'web-prod-b106',
      });
    }
  });
});

describe('operations', () => {
  it('a release terminated by an operator shows Failed and the lane goes on with the next build', async () => {
    app = await startApp();
    const first = await deliver(101);
    const laneBefore = app.host.getStatus('lane-web-prod')!;
    await app.host.advance(1_000);
    expect(app.host.terminate(first, 'stuck, terminated by ops')).toBe('accepted');
    await app.host.idle();
    // The lane survived the failed child: same instance, still running, not restarted by the next hook.
    const laneAfter = app.host.getStatus('lane-web-prod')!;
    expect(laneAfter.runtimeStatus).not.toBe('Failed');
    expect(laneAfter.createdTime).toBe(laneBefore.createdTime);
    expect(await app.release(first)).toMatchObject({
      status: 'Failed',
      error: { message: expect.stringContaining('stuck, terminated by ops') },
    });
    const second = await deliver(102);
    expect(await app.release(second)).toMatchObject({ status: 'Running', phase: 'awaiting-approval' });
    expect(app.world.writes).toEqual([]);
  });
});
