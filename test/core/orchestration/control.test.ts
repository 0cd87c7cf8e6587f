/**
 * Issue 10 §3, release control through the durable-functions replay engine: cancel (before the swap, while
 * queued, refused after it) and re-run (a new attempt of the same build through the lane, idempotent).
 */
import type { ReleaseView } from '../../../src/core/domain';
import { Events } from '../../../src/core/names';
import { startApp, type AppHost } from '../../support/appHost';

let app: AppHost;

afterEach(async () => {
  await app?.close();
});

type Answer = { status: number; body: Record<string, unknown> };

async function post(path: string, body: Record<string, unknown>): Promise<Answer> {
  const res = await app.host.fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const cancel = (id: string, reason = 'wrong build', requestedBy = 'oncall@contoso.com') =>
  post(`/api/releases/${id}/cancel`, { reason, requestedBy });
const rerun = (id: string, extra: Record<string, unknown> = {}) =>
  post(`/api/releases/${id}/rerun`, {
    reason: 'flaky health check',
    requestedBy: 'oncall@contoso.com',
    ...extra,
  });

async function deliver(build: number): Promise<string> {
  const answer = await app.hook(build);
  expect(answer.status).toBe(202);
  await app.host.idle();
  return answer.body.id as string;
}

async function toBake(build: number): Promise<string> {
  const id = await deliver(build);
  expect((await app.decide(id, 'approve')).status).toBe(202);
  await app.host.idle();
  expect((await app.release(id)).phase).toBe('baking');
  return id;
}

const kinds = (id?: string) =>
  app.world.notifications.filter((n) => !id || n.release.id === id).map((n) => n.kind);

describe('cancel', () => {
  it('awaiting approval: ends Cancelled, records who, when and why, notifies; production untouched', async () => {
    app = await startApp();
    const id = await deliver(101);
    const answer = await cancel(id, 'wrong branch', 'alice@contoso.com');
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ id, cancel: 'cancelled', status: 'Cancelled' });
    await app.host.idle();
    const view = await app.release(id);
    expect(view).toMatchObject({
      status: 'Cancelled',
      phase: 'done',
      liveSlot: 'blue',
      cancellation: { requestedBy: 'alice@contoso.com', reason: 'wrong branch', phase: 'awaiting-approval' },
      approval: { decision: 'cancelled' },
    });
    expect(view.timeline.map((t) => [t.step, t.outcome])).toEqual([
      ['resolve-slots', 'ok'],
      ['list-instances', 'ok'],
      ['deploy', 'ok'],
      ['verify', 'ok'],
      ['approval', 'cancelled'],
      ['cancel', 'cancelled'],
    ]);
    expect(view.timeline.at(-1)!.detail).toBe(
      'cancelled by alice@contoso.com: wrong branch; production untouched',
    );
    expect(app.world.writes).toEqual([]);
    expect(app.world.live()).toBe('blue');
    expect(kinds(id)).toEqual(['awaiting-approval', 'cancelled']);
    const notice = app.world.notifications.at(-1)!.release;
    expect(notice.cancellation).toMatchObject({ requestedBy: 'alice@contoso.com', reason: 'wrong branch' });

    // A retried request: answered from the state, nothing raised again.
    const raised = app.host.history(id).filter((e) => e.Name === Events.CancelRequested).length;
    expect((await cancel(id)).body).toMatchObject({ cancel: 'already-cancelled', status: 'Cancelled' });
    expect(app.host.history(id).filter((e) => e.Name === Events.CancelRequested)).toHaveLength(raised);

    // The lane goes on: the next build runs.
    const next = await deliver(102);
    expect((await app.release(next)).phase).toBe('awaiting-approval');
  });

  it('during the deploy: no further instance starts, the one in flight finishes, ends Cancelled', async () => {
    app = await startApp({ deploy: { maxParallel: 1 } });
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    app.world.beforeRun = async (instance) => {
      if (instance === 'green-vm0') await held;
    };
    const answer = await app.hook(101);
    const id = answer.body.id as string;
    // The first deploy is in flight and held.
    for (let i = 0; i < 50 && app.world.running === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(app.world.running).toBe(1);
    const cancelling = cancel(id, 'stop it');
    await new Promise((r) => setTimeout(r, 200));
    release();
    const done = await cancelling;
    expect(done.status).toBe(202);
    await app.host.idle();
    const view = await app.release(id);
    expect(view).toMatchObject({
      status: 'Cancelled',
      cancellation: { phase: 'deploying', reason: 'stop it' },
    });
    expect(app.world.runs.map((r) => r.instance)).toEqual(['green-vm0']);
    expect(view.deploy!.instances).toHaveLength(1);
    expect(view.timeline.find((t) => t.step === 'deploy')).toMatchObject({
      outcome: 'cancelled',
      detail: 'stopped after 1 of 3 instance(s): cancelled by oncall@contoso.com',
    });
    expect(view.verify).toBeUndefined();
    expect(app.world.writes).toEqual([]);
  });

  it('a queued build: Cancelled at once, notified; when its lane reaches it, it ends Cancelled deploying nothing', async () => {
    app = await startApp();
    const baking = await toBake(101);
    const queued = await deliver(102);
    expect((await app.release(queued)).status).toBe('Queued');

    const answer = await cancel(queued, 'not this one');
    expect(answer.body).toMatchObject({ cancel: 'cancelled', status: 'Cancelled' });
    let view = await app.release(queued);
    expect(view).toMatchObject({
      status: 'Cancelled',
      phase: 'done',
      cancellation: { phase: 'queued', reason: 'not this one' },
    });
    await app.host.idle();
    expect(kinds(queued)).toEqual(['cancelled']);
    // The list shows it Cancelled too, and the status filter finds it.
    const list = (await (await app.host.fetch('/api/releases?status=Cancelled')).json()) as {
      releases: ReleaseView[];
    };
    expect(list.releases.map((r) => r.id)).toEqual([queued]);

    // The bake is not cut short; after it the lane starts the cancelled build, which ends at once.
    expect((await app.release(baking)).phase).toBe('baking');
    await app.host.advance(600_000);
    expect((await app.release(baking)).status).toBe('Succeeded');
    view = await app.release(queued);
    expect(view).toMatchObject({ status: 'Cancelled', cancellation: { phase: 'queued' } });
    expect(view.timeline.map((t) => t.step)).toEqual(['queued']);
    expect(app.world.runs.filter((r) => r.runName.includes(queued))).toEqual([]);
    expect(kinds(queued)).toEqual(['cancelled']);
    // The lane is free again.
    const next = await deliver(103);
    expect((await app.release(next)).phase).toBe('awaiting-approval');
  });

  it('after the swap: 409 saying to roll back; a finished release: 409; production as it was', async () => {
    app = await startApp();
    const id = await toBake(101);
    const baking = await cancel(id);
    expect(baking.status).toBe(409);
    expect(baking.body.error).toMatchObject({ code: 'already-swapped' });
    expect((baking.body.error as { message: string }).message).toMatch(
      /baking, past its swap.*POST \/api\/releases\/web-prod-b101\/rollback/,
    );
    await app.host.advance(600_000);
    const ended = await cancel(id);
    expect(ended.status).toBe(409);
    expect((ended.body.error as { message: string }).message).toMatch(/ended Succeeded.*rollback/);
    expect((await app.release(id)).status).toBe('Succeeded');
    expect(app.world.live()).toBe('green');
    expect(app.host.history(id).filter((e) => e.Name === Events.CancelRequested)).toEqual([]);
  });
});

describe('re-run', () => {
  it('a rejected release: the same build runs again as <id>-r2 through the lane; a retried request starts nothing more', async () => {
    app = await startApp();
    const id = await deliver(101);
    expect((await app.decide(id, 'reject', 'bob')).status).toBe(202);
    await app.host.idle();

    const first = await rerun(id);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ id: `${id}-r2`, rerunOf: id });
    expect(first.body.duplicate).toBeUndefined();
    const again = await rerun(id);
    expect(again.body).toMatchObject({ id: `${id}-r2`, rerunOf: id, duplicate: true });
    await app.host.idle();

    const view = await app.release(`${id}-r2`);
    expect(view).toMatchObject({
      status: 'Running',
      phase: 'awaiting-approval',
      build: { id: '101', number: '1.0.101' },
      rerun: {
        of: id,
        base: id,
        attempt: 2,
        requestedBy: 'oncall@contoso.com',
        reason: 'flaky health check',
      },
    });
    // Deployed once more, under its own run command name.
    expect(app.world.runs.filter((r) => r.runName === `deploy-${id}-r2`)).toHaveLength(3);
    const attempts = app.host.list().filter((s) => s.instanceId.startsWith(`${id}-r`));
    expect(attempts.map((s) => s.instanceId).sort()).toEqual([`${id}-r2`, `${id}-r2:accepted`]);

    // Re-running the re-run: attempt 3.
    expect((await app.decide(`${id}-r2`, 'reject', 'bob')).status).toBe(202);
    await app.host.idle();
    expect((await rerun(`${id}-r2`)).body).toMatchObject({ id: `${id}-r3`, rerunOf: `${id}-r2` });
    await app.host.idle();
    expect((await app.release(`${id}-r3`)).rerun).toMatchObject({ of: `${id}-r2`, base: id, attempt: 3 });
    expect((await app.decide(`${id}-r3`, 'approve')).status).toBe(202);
    await app.host.idle();
    await app.host.advance(600_000);
    expect(await app.release(`${id}-r3`)).toMatchObject({ status: 'Succeeded', liveSlot: 'green' });
  });

  it('refuses what cannot be re-run with a 409 saying why', async () => {
    app = await startApp();
    const id = await deliver(101);
    const running = await rerun(id);
    expect(running.status).toBe(409);
    expect(running.body.error).toMatchObject({ code: 'still-running' });
    const newer = await deliver(102); // supersedes 101
    const superseded = await rerun(id);
    expect(superseded.body.error).toMatchObject({ code: 'superseded' });
    expect((superseded.body.error as { message: string }).message).toContain(newer);
    expect((await app.decide(newer, 'approve')).status).toBe(202);
    await app.host.idle();
    await app.host.advance(600_000);
    const succeeded = await rerun(newer);
    expect(succeeded.body.error).toMatchObject({ code: 'succeeded' });
    expect(app.host.list().some((s) => /-r\d+$/.test(s.instanceId))).toBe(false);
  });

  it('a newer build went live since: refused unless forced (production would move back); forced, it is recorded', async () => {
    app = await startApp();
    const old = await deliver(101);
    expect((await app.decide(old, 'reject', 'bob')).status).toBe(202);
    await app.host.idle();
    const newer = await toBake(102);
    await app.host.advance(600_000);
    expect((await app.release(newer)).status).toBe('Succeeded');

    const refused = await rerun(old);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'newer-build' });
    expect((refused.body.error as { message: string }).message).toMatch(
      /build 1\.0\.102 \(release web-prod-b102\) went live after build 1\.0\.101.*"force": true/,
    );
    const forced = await rerun(old, { force: true });
    expect(forced.status).toBe(202);
    await app.host.idle();
    expect((await app.release(`${old}-r2`)).rerun).toMatchObject({ forced: { newer } });
  });

  it('a busy lane: the re-run is queued like any build and starts when the bake ends', async () => {
    app = await startApp();
    const cancelled = await deliver(101);
    expect((await cancel(cancelled)).status).toBe(202);
    await app.host.idle();
    const baking = await toBake(100);
    const answer = await rerun(cancelled, { force: true });
    expect(answer.body).toMatchObject({ id: `${cancelled}-r2`, behind: baking });
    expect((await app.release(`${cancelled}-r2`)).status).toBe('Queued');
    await app.host.advance(600_000);
    expect((await app.release(`${cancelled}-r2`)).phase).toBe('awaiting-approval');
  });
});
