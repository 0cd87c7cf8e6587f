/**
 * A release that ends without touching its staging slot (cancelled or superseded before its deploy, failed before
 * it) leaves the previous succeeded release rollbackable: the lane's decision, pure (`apply`), then on the test
 * host through the durable-functions replay engine.
 */
import type { ReleaseView } from '../../../src/core/domain';
import type {
  BuildRequest,
  LaneState,
  LaneStatus,
  LastSucceeded,
  WorkEnded,
} from '../../../src/core/orchestration/contracts';
import { apply } from '../../../src/core/orchestration/lane';
import { aBuild, aTarget } from '../../builders/target';
import { startApp, type AppHost } from '../../support/appHost';

const now = new Date('2026-01-01T09:00:00.000Z');
const build = (n: number): BuildRequest => ({
  releaseId: `web-prod-b${n}`,
  build: aBuild({ id: String(n) }),
  target: aTarget(),
  receivedAt: now.toISOString(),
});
const last: LastSucceeded = {
  releaseId: 'web-prod-b100',
  target: 'web-prod',
  build: aBuild({ id: '100' }),
  previousSlot: 'blue',
  liveSlot: 'green',
  traffic: aTarget().traffic,
};
const ended = (
  n: number,
  status: ReleaseView['status'],
  extra: Partial<NonNullable<WorkEnded['release']>> = {},
): WorkEnded => ({
  instanceId: `web-prod-b${n}`,
  release: {
    status,
    target: 'web-prod',
    build: aBuild({ id: String(n) }),
    traffic: aTarget().traffic,
    ...extra,
  },
});
const rollbackOf = (releaseId: string) => ({
  kind: 'rollback' as const,
  request: { releaseId, requestedBy: 'ops', requestedAt: now.toISOString() },
});

/** A lane whose last succeeded release is b100, running b101 (started by the lane). */
function running101(): LaneState {
  const s = apply(
    { target: 'web-prod', recent: [], lastSucceeded: last },
    { kind: 'build', request: build(101) },
    now,
  );
  return { ...s, effects: undefined };
}

describe('the lane keeps the rollback target of a release that touched nothing', () => {
  it('holds it while the release runs (no rollback meanwhile) and restores it when it ends untouched', () => {
    let s = running101();
    expect(s.lastSucceeded).toBeUndefined();
    expect(s.running).toEqual({ kind: 'release', instanceId: 'web-prod-b101', previous: last });
    // A rollback request while it runs is dropped, as before.
    expect(apply(s, rollbackOf(last.releaseId), now)).toEqual(s);

    s = apply(s, { kind: 'ended', ended: ended(101, 'Cancelled', { stagingTouched: false }) }, now);
    expect(s.running).toBeUndefined();
    expect(s.lastSucceeded).toEqual(last);
    // And the manual rollback of b100 now runs.
    s = apply(s, rollbackOf(last.releaseId), now);
    expect(s.running).toMatchObject({ kind: 'rollback', releaseId: last.releaseId });
    expect(s.effects?.start?.[0]).toMatchObject({ input: { last } });
  });

  it('restores it after a failure or a supersede before any deploy, and hands it on to the next release', () => {
    const failed = apply(
      running101(),
      { kind: 'ended', ended: ended(101, 'Failed', { stagingTouched: false }) },
      now,
    );
    expect(failed.lastSucceeded).toEqual(last);

    // b102 queued behind b101; b101 ends Superseded before its deploy: b102 starts holding b100 in turn.
    let s = apply(running101(), { kind: 'build', request: build(102) }, now);
    s = apply(s, { kind: 'ended', ended: ended(101, 'Superseded', { stagingTouched: false }) }, now);
    expect(s.lastSucceeded).toBeUndefined();
    expect(s.running).toEqual({ kind: 'release', instanceId: 'web-prod-b102', previous: last });
    s = apply(s, { kind: 'ended', ended: ended(102, 'Cancelled', { stagingTouched: false }) }, now);
    expect(s.lastSucceeded).toEqual(last);
  });

  it('treats everything else as touched: the fact absent (older code), no view (failed, terminated)', () => {
    for (const e of [ended(101, 'Cancelled'), ended(101, 'Superseded'), { instanceId: 'web-prod-b101' }]) {
      const s = apply(running101(), { kind: 'ended', ended: e }, now);
      expect([e, s.lastSucceeded]).toEqual([e, undefined]);
      expect(apply(s, rollbackOf(last.releaseId), now).running).toBeUndefined();
    }
  });

  it('a release that succeeded becomes the target itself, whatever its report says', () => {
    const s = apply(
      running101(),
      {
        kind: 'ended',
        ended: ended(101, 'Succeeded', {
          productionSlot: 'green',
          stagingSlot: 'blue',
          stagingTouched: false,
        }),
      },
      now,
    );
    expect(s.lastSucceeded).toMatchObject({
      releaseId: 'web-prod-b101',
      previousSlot: 'green',
      liveSlot: 'blue',
    });
    // And a rolled-back one never gives the target back (its swap moved traffic).
    const back = apply(
      running101(),
      { kind: 'ended', ended: ended(101, 'RolledBack', { stagingTouched: false }) },
      now,
    );
    expect(back.lastSucceeded).toBeUndefined();
  });

  it('restores nothing when there was nothing to hold, or after a manual rollback took the target', () => {
    // No succeeded release before b101 (or a running entry from older code, without `previous`).
    let s = apply({ target: 'web-prod', recent: [] }, { kind: 'build', request: build(101) }, now);
    expect(s.running).toEqual({ kind: 'release', instanceId: 'web-prod-b101' });
    s = apply(s, { kind: 'ended', ended: ended(101, 'Cancelled', { stagingTouched: false }) }, now);
    expect(s.lastSucceeded).toBeUndefined();

    // b100 rolled back by hand, b101 queued behind the rollback and cancelled: b100 is not a target again.
    let r = apply({ target: 'web-prod', recent: [], lastSucceeded: last }, rollbackOf(last.releaseId), now);
    r = apply({ ...r, effects: undefined }, { kind: 'build', request: build(101) }, now);
    r = apply(r, { kind: 'ended', ended: { instanceId: `${last.releaseId}-rollback` } }, now);
    expect(r.running).toEqual({ kind: 'release', instanceId: 'web-prod-b101' });
    r = apply(r, { kind: 'ended', ended: ended(101, 'Cancelled', { stagingTouched: false }) }, now);
    expect(r.lastSucceeded).toBeUndefined();
  });

  it('ignores a report of another instance (the held target stays held)', () => {
    const s = running101();
    const other = apply(s, { kind: 'ended', ended: ended(99, 'Cancelled', { stagingTouched: false }) }, now);
    expect(other).toEqual(s);
  });
});

describe('on the test host', () => {
  let app: AppHost;

  afterEach(async () => {
    await app?.close();
  });

  async function post(
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await app.host.fetch(path, {
      method: 'POST',
      headers: body !== undefined ? { 'content-type': 'application/json' } : {},
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
  const cancel = (id: string) =>
    post(`/api/releases/${id}/cancel`, { reason: 'wrong build', requestedBy: 'oncall@contoso.com' });
  const lane = () => app.host.getStatus('lane-web-prod')?.customStatus as LaneStatus;

  async function succeeded(n: number): Promise<string> {
    const answer = await app.hook(n);
    await app.host.idle();
    const id = answer.body.id as string;
    expect((await app.decide(id, 'approve')).status).toBe(202);
    await app.host.idle();
    await app.host.advance(600_000);
    expect((await app.release(id)).status).toBe('Succeeded');
    return id;
  }

  it('a build cancelled while queued behind a freeze: the previous release can still be rolled back', async () => {
    app = await startApp();
    const a = await succeeded(101);
    expect(app.world.live()).toBe('green');
    expect((await post('/api/targets/web-prod/freeze', { reason: 'incident' })).status).toBe(200);
    const hook = await app.hook(102);
    await app.host.idle();
    const b = hook.body.id as string;
    expect((await app.release(b)).status).toBe('Queued');
    expect((await cancel(b)).body).toMatchObject({ cancel: 'cancelled', status: 'Cancelled' });
    // The unfreeze starts it: it ends Cancelled at once, deploying nothing, and says so.
    expect((await post('/api/targets/web-prod/unfreeze')).status).toBe(200);
    await app.host.idle();
    const view = await app.release(b);
    expect(view).toMatchObject({
      status: 'Cancelled',
      cancellation: { phase: 'queued' },
      stagingTouched: false,
    });
    expect(app.host.getStatus(b)?.runtimeStatus).toBe('Completed');
    expect(app.world.runs).toHaveLength(3); // a's three instances only
    expect(lane()).toMatchObject({ current: null, lastSucceeded: a, heldSucceeded: null });

    const rollback = await post(`/api/releases/${a}/rollback`);
    expect(rollback.status).toBe(202);
    expect(rollback.body).toMatchObject({ rollback: 'lane' });
    await app.host.idle();
    expect(await app.release(a)).toMatchObject({ status: 'RolledBack', rollback: { trigger: 'manual' } });
    expect(app.world.live()).toBe('blue');
  });

  it('says it touched nothing when it failed before any deploy, and not when a deployed one ends', async () => {
    app = await startApp({}, 0); // the staging slot has no instances: it fails listing them
    const answer = await app.hook(101);
    await app.host.idle();
    const failed = await app.release(answer.body.id as string);
    expect(failed).toMatchObject({
      status: 'Failed',
      error: { step: 'list-instances' },
      stagingTouched: false,
    });
    await app.close();

    app = await startApp();
    const first = (await app.hook(101)).body.id as string;
    await app.host.idle();
    expect((await app.hook(102)).status).toBe(202);
    await app.host.idle();
    // Superseded at its approval, after its deploy: it touched staging.
    const superseded = await app.release(first);
    expect(superseded.status).toBe('Superseded');
    expect(superseded).not.toHaveProperty('stagingTouched');
  });

  it('a release cancelled during its deploy touched staging: the previous release is no longer rolled back', async () => {
    app = await startApp({ deploy: { maxParallel: 1 } });
    const a = await succeeded(101);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    app.world.beforeRun = async (instance) => {
      if (instance === 'blue-vm0') await held;
    };
    const hook = await app.hook(102);
    const b = hook.body.id as string;
    for (let i = 0; i < 50 && app.world.running === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(app.world.running).toBe(1);
    // While it runs the lane holds a's target (published, so retention keeps a), but no rollback of it runs.
    expect(lane()).toMatchObject({ current: b, lastSucceeded: null, heldSucceeded: a });
    const cancelling = cancel(b);
    await new Promise((r) => setTimeout(r, 200));
    release();
    expect((await cancelling).status).toBe(202);
    await app.host.idle();
    const view = await app.release(b);
    expect(view).toMatchObject({ status: 'Cancelled', cancellation: { phase: 'deploying' } });
    expect(view.stagingTouched).toBeUndefined();
    expect(lane()).toMatchObject({ current: null, lastSucceeded: null, heldSucceeded: null });

    const rollback = await post(`/api/releases/${a}/rollback`);
    expect(rollback.status).toBe(409);
    expect(rollback.body.error).toMatchObject({ code: 'superseded' });
    await app.host.idle();
    expect(app.host.getStatus(`${a}-rollback`)).toBeUndefined();
    expect(app.world.live()).toBe('green');
  });
});
