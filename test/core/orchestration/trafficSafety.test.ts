/**
 * Issue 7 §1–§3 through the durable-functions replay engine: zero enabled endpoints corrected at once, a
 * decided rollback that never gives up, and ARM's Retry-After waited for on durable timers.
 */
import { StepError } from '../../../src/core/errors';
import type { ReleaseView } from '../../../src/core/domain';
import { startApp, type AppHost } from '../../support/appHost';

let app: AppHost;

afterEach(async () => {
  await app?.close();
});

/** An ARM failure as the adapters throw it. */
function armDown(retryNotBefore?: string): StepError {
  return new StepError({
    step: 'enable-endpoint',
    resource: 'endpoint',
    cause: 'HTTP 503 ServiceUnavailable: ARM is down',
    transient: true,
    ...(retryNotBefore ? { retryNotBefore } : {}),
  });
}

async function toApproval(id = 101): Promise<string> {
  const answer = await app.hook(id);
  expect(answer.status).toBe(202);
  await app.host.idle();
  return answer.body.id as string;
}

async function toBake(): Promise<string> {
  const id = await toApproval();
  expect((await app.decide(id, 'approve')).status).toBe(202);
  await app.host.idle();
  expect((await app.release(id)).phase).toBe('baking');
  return id;
}

const kinds = (): string[] => app.world.notifications.map((n) => n.kind);

describe('§1 zero enabled endpoints', () => {
  it('swap: green disabled by another writer while blue is disabled → green re-enabled, restored recorded and notified', async () => {
    app = await startApp();
    const id = await toApproval();
    app.world.beforeWrite = (endpoint, enabled) => {
      if (endpoint === 'blue' && !enabled) app.world.slot('green').enabled = false;
    };
    await app.decide(id, 'approve');
    await app.host.idle();
    const view = await app.release(id);
    expect(view).toMatchObject({ status: 'Running', phase: 'baking', liveSlot: 'green' });
    expect(app.world.live()).toBe('green');
    const restored = view.timeline.find((t) => t.step === 'restored');
    expect(restored).toMatchObject({
      outcome: 'ok',
      detail: 'read back after disabling blue=Disabled, green=Disabled: re-enabled green',
    });
    expect(view.timeline.map((t) => t.step)).toEqual(expect.arrayContaining(['restored', 'swap', 'bake']));
    expect(kinds()).toEqual(['awaiting-approval', 'restored', 'swapped']);
    const text = app.world.notifications[1]!.release;
    expect(text.liveSlot).toBe('green');
  });

  it('rollback: blue disabled by another writer while green is disabled → blue re-enabled, RolledBack', async () => {
    app = await startApp();
    const id = await toBake();
    app.world.beforeWrite = (endpoint, enabled) => {
      if (endpoint === 'green' && !enabled) app.world.slot('blue').enabled = false;
    };
    await app.alert('a-1');
    await app.host.idle();
    const view = await app.release(id);
    expect(view).toMatchObject({ status: 'RolledBack', liveSlot: 'blue' });
    expect(app.world.live()).toBe('blue');
    expect(view.timeline.find((t) => t.step === 'restored')?.detail).toBe(
      'read back after disabling blue=Disabled, green=Disabled: re-enabled blue',
    );
    expect(kinds()).toEqual(['awaiting-approval', 'swapped', 'restored', 'rolled-back']);
  });

  it('a failed swap that left zero enabled is restored to production, and the rollback API says so', async () => {
    app = await startApp();
    const id = await toApproval();
    // The disable of blue lands, then the other writer disables green and keeps ARM from answering.
    let down = false;
    app.world.afterWrite = (endpoint, enabled) => {
      if (endpoint === 'blue' && !enabled) {
        app.world.slot('green').enabled = false;
        down = true;
        throw armDown();
      }
    };
    const realRead = app.world.traffic.readProfile;
    app.world.traffic.readProfile = async (p) => {
      if (down)
        throw new StepError({
          step: 'read-profile',
          resource: p,
          cause: 'HTTP 403 Forbidden',
          transient: false,
        });
      return realRead(p);
    };
    await app.decide(id, 'approve');
    await app.host.idle();
    expect(app.world.live()).toBe(''); // the window the app cannot close while ARM does not answer
    await app.host.advance(2_000); // the swap's retry gets a 403: it gives up; the restore retries
    let view = await app.release(id);
    expect(view.timeline.at(-1)).toMatchObject({ step: 'restore-production' });
    down = false;
    await app.host.advance(2_000);
    view = await app.release(id);
    expect(view).toMatchObject({ status: 'Failed', liveSlot: 'blue', error: { step: 'swap' } });
    expect(app.world.live()).toBe('blue');
    expect(view.timeline.map((t) => [t.step, t.outcome])).toEqual(
      expect.arrayContaining([
        ['swap', 'failed'],
        ['restored', 'ok'],
        ['restore-production', 'ok'],
      ]),
    );
    const res = await app.host.fetch(`/api/releases/${id}/rollback`, { method: 'POST' });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
      /its swap failed and traffic was put back on its production slot blue/,
    );
  });
});

describe('§2 a decided rollback never gives up', () => {
  it('an alert rollback during a long ARM outage retries with capped backoff until traffic is back', async () => {
    app = await startApp();
    const id = await toBake();
    let armUp = false;
    app.world.beforeWrite = () => {
      if (!armUp) throw armDown();
    };
    await app.alert('a-1');
    await app.host.idle();
    let view = await app.release(id);
    expect(view).toMatchObject({
      status: 'Running',
      phase: 'rolling-back',
      rollback: { trigger: 'alert', attempts: 1 },
    });
    expect(view.rollback!.lastError).toContain('HTTP 503 ServiceUnavailable: ARM is down');
    expect(kinds()).toEqual(['awaiting-approval', 'swapped', 'rollback-retrying']);
    const rollbackAttempts = () =>
      app.host.activityLog.filter(
        (a) => a.name === 'SwapTraffic' && (a.input as { mode: string }).mode === 'rollback',
      );

    // 2 minutes of outage: waits 2, 4, 8, 16, 30, 30, 30 ... s, never more than 30 s.
    const starts: number[] = [];
    for (let t = 0; t < 120_000; t += 1_000) {
      const before = rollbackAttempts().length;
      await app.host.advance(1_000);
      if (rollbackAttempts().length > before) starts.push(app.host.clock.now());
    }
    const gaps = starts.slice(1).map((s, i) => s - starts[i]!);
    expect(gaps.every((g) => g <= 30_000)).toBe(true);
    expect(gaps).toEqual(expect.arrayContaining([4_000, 8_000, 16_000, 30_000]));
    view = await app.release(id);
    expect(view.phase).toBe('rolling-back');
    expect(view.rollback!.attempts).toBe(rollbackAttempts().length);
    expect(kinds()).toEqual(['awaiting-approval', 'swapped', 'rollback-retrying']); // notified once, not per attempt

    const recovered = app.host.clock.now();
    armUp = true;
    await app.host.advance(30_000);
    view = await app.release(id);
    expect(view).toMatchObject({ status: 'RolledBack', liveSlot: 'blue', rollback: { trigger: 'alert' } });
    expect(Date.parse(view.rollback!.trafficBackAt!) - recovered).toBeLessThanOrEqual(30_000);
    expect(view.rollback!.attempts).toBe(rollbackAttempts().length);
    expect(app.world.live()).toBe('blue');
    expect(kinds()).toEqual(['awaiting-approval', 'swapped', 'rollback-retrying', 'rolled-back']);
  });

  it('while it retries, the rollback API answers that the rollback is under way; terminating the release stops it', async () => {
    app = await startApp();
    const id = await toBake();
    app.world.beforeWrite = () => {
      throw armDown();
    };
    await app.alert('a-1');
    await app.host.idle();
    const res = await app.host.fetch(`/api/releases/${id}/rollback`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ rollback: 'already-requested' });

    expect(app.host.terminate(id, 'operator stopped the rollback')).toBe('accepted');
    await app.host.idle();
    const calls = app.host.activityLog.filter((a) => a.name === 'SwapTraffic').length;
    await app.host.advance(300_000);
    expect(app.host.activityLog.filter((a) => a.name === 'SwapTraffic')).toHaveLength(calls);
    const view: ReleaseView = await app.release(id);
    expect(view).toMatchObject({
      status: 'Failed',
      error: { message: expect.stringContaining('terminated') },
    });
  });

  it('a manual rollback after success retries too, showing rolling-back with attempts, and notifies', async () => {
    app = await startApp();
    const id = await toBake();
    await app.host.advance(600_000);
    expect((await app.release(id)).status).toBe('Succeeded');
    let armUp = false;
    app.world.beforeWrite = () => {
      if (!armUp) throw armDown();
    };
    const res = await app.host.fetch(`/api/releases/${id}/rollback`, { method: 'POST' });
    expect(res.status).toBe(202);
    await app.host.idle();
    await app.host.advance(2_000);
    let view = await app.release(id);
    expect(view).toMatchObject({ phase: 'rolling-back', rollback: { trigger: 'manual', attempts: 2 } });
    expect(view.rollback!.lastError).toContain('ARM is down');
    expect(kinds()).toEqual(['awaiting-approval', 'swapped', 'succeeded', 'rollback-retrying']);
    armUp = true;
    await app.host.advance(4_000);
    view = await app.release(id);
    expect(view).toMatchObject({ status: 'RolledBack', liveSlot: 'blue', rollback: { attempts: 3 } });
    expect(app.world.live()).toBe('blue');
    expect(kinds()).toEqual([
      'awaiting-approval',
      'swapped',
      'succeeded',
      'rollback-retrying',
      'rolled-back',
    ]);
  });
});

describe('§3 Retry-After above 60 s', () => {
  it('a swap write answered 429 Retry-After 120 s is tried again no sooner, on a durable timer', async () => {
    app = await startApp();
    const id = await toApproval();
    let throttled = false;
    app.world.beforeWrite = () => {
      if (throttled) return;
      throttled = true;
      throw armDown(new Date(app.host.clock.now() + 120_000).toISOString());
    };
    await app.decide(id, 'approve');
    await app.host.idle();
    const swapCalls = () => app.host.activityLog.filter((a) => a.name === 'SwapTraffic').length;
    expect(swapCalls()).toBe(1);
    await app.host.advance(119_000);
    expect(swapCalls()).toBe(1);
    expect((await app.release(id)).timeline.at(-1)?.detail).toMatch(/retrying at 2026-01-01T09:02:00.000Z/);
    await app.host.advance(1_000);
    expect(swapCalls()).toBe(2);
    expect(await app.release(id)).toMatchObject({ phase: 'baking', liveSlot: 'green' });
  });

  it('a Retry-After past the swap deadline fails the swap at once and production stays live', async () => {
    app = await startApp();
    const id = await toApproval();
    app.world.beforeWrite = () => {
      throw armDown(new Date(app.host.clock.now() + 3_600_000).toISOString());
    };
    await app.decide(id, 'approve');
    await app.host.idle();
    let view = await app.release(id);
    // The swap gave up at once; the restore waits what ARM asked before it calls again.
    expect(view).toMatchObject({ status: 'Running', phase: 'swapping' });
    expect(view.timeline.at(-1)).toMatchObject({ step: 'restore-production' });
    expect(app.host.activityLog.filter((a) => a.name === 'SwapTraffic')).toHaveLength(1);
    await app.host.advance(3_600_000);
    view = await app.release(id);
    // The restore found production still enabled: nothing to write, nothing written.
    expect(view).toMatchObject({ status: 'Failed', liveSlot: 'blue', error: { step: 'swap' } });
    expect(view.error!.message).toMatch(/past the deadline/);
    expect(app.world.live()).toBe('blue');
  });
});

describe('§3 Retry-After on the reads before the deploy', () => {
  it('resolve-slots throttled with Retry-After 90 s waits on a durable timer, then goes on', async () => {
    app = await startApp();
    const realRead = app.world.traffic.readProfile;
    let throttled = false;
    app.world.traffic.readProfile = async (p) => {
      if (!throttled) {
        throttled = true;
        throw new StepError({
          step: 'read-profile',
          resource: p,
          cause: 'HTTP 429 TooManyRequests',
          transient: true,
          retryNotBefore: new Date(app.host.clock.now() + 90_000).toISOString(),
        });
      }
      return realRead(p);
    };
    const answer = await app.hook(101);
    await app.host.idle();
    const id = answer.body.id as string;
    const resolves = () => app.host.activityLog.filter((a) => a.name === 'ResolveSlots').length;
    expect(resolves()).toBe(1);
    await app.host.advance(89_000);
    expect(resolves()).toBe(1);
    await app.host.advance(1_000);
    expect(resolves()).toBe(2);
    expect(await app.release(id)).toMatchObject({ phase: 'awaiting-approval' });
  });
});
