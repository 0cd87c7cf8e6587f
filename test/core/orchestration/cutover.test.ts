/**
 * cutoverObservedMs: after a swap's bake and after a rollback, the release asks the cutover observer when
 * clients followed, on durable timers, bounded by a deadline, and never before the traffic move is done and
 * notified. Driven through HTTP and the durable-functions replay engine, with a scripted observer.
 */
import type { ReleaseView, TimelineEntry } from '../../../src/core/domain';
import type { CutoverObservation, CutoverObserver, CutoverQuery } from '../../../src/core/ports/cutover';
import { CUTOVER_DEADLINE_MS } from '../../../src/core/orchestration/steps/cutover';
import { OrchestrationVersions } from '../../../src/core/orchestration/version';
import { startApp, type AppHost } from '../../support/appHost';

let app: AppHost;
afterEach(async () => {
  await app?.close();
});

/** An observer whose answers a test scripts, recording each question with what had happened by then. */
function scripted(answer: (q: CutoverQuery, call: number) => CutoverObservation | Error) {
  const calls: { target: string; query: CutoverQuery; writes: number; notices: string[] }[] = [];
  const observer: CutoverObserver = {
    async observe(target, query) {
      calls.push({
        target,
        query,
        writes: app.world.writes.length,
        notices: app.world.notifications.map((n) => n.kind),
      });
      const a = answer(query, calls.length);
      if (a instanceof Error) throw a;
      return a;
    },
  };
  return { observer, calls };
}

const step = (v: ReleaseView, name: string): TimelineEntry =>
  v.timeline.filter((t) => t.step === name).at(-1)!;
const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

/** Moves the manual clock in steps, so timers the release sets while it runs come due too. */
async function advanceBy(ms: number, stepMs = 1_000): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) await app.host.advance(stepMs);
}

async function toBake(): Promise<string> {
  const answer = await app.hook(101);
  expect(answer.status).toBe(202);
  await app.host.idle();
  const id = answer.body.id as string;
  expect((await app.decide(id, 'approve')).status).toBe(202);
  await app.host.idle();
  expect(await app.release(id)).toMatchObject({ phase: 'baking', liveSlot: 'green' });
  return id;
}

describe('cutoverObservedMs in the release timeline', () => {
  it('after a bake: asked once, after the release succeeded and was notified', async () => {
    const { observer, calls } = scripted((q) => ({ state: 'reached', reachedAt: plus(q.since, 4_200) }));
    app = await startApp({ bakeSeconds: 5 }, 3, { cutover: observer });
    const id = await toBake();
    await app.host.advance(5_000);
    const view = await app.release(id);
    expect(view).toMatchObject({ status: 'Succeeded', phase: 'done' });
    const swap = step(view, 'swap');
    expect(swap.cutover).toEqual({
      slot: 'green',
      writtenAt: swap.cutover!.writtenAt,
      state: 'reached',
      reachedAt: plus(swap.cutover!.writtenAt, 4_200),
    });
    expect(swap.cutoverObservedMs).toBe(4_200);
    // Measured from the app's write: inside the swap step, never before it started.
    expect(Date.parse(swap.cutover!.writtenAt)).toBeGreaterThanOrEqual(Date.parse(swap.startedAt));
    expect(Date.parse(swap.cutover!.writtenAt)).toBeLessThanOrEqual(Date.parse(swap.endedAt!));
    // Asked once, alongside the final notice (no turn of its own), after both writes.
    expect(calls).toEqual([
      {
        target: 'web-prod',
        query: { slot: 'green', since: swap.cutover!.writtenAt },
        writes: 2,
        notices: expect.arrayContaining(['awaiting-approval', 'swapped']),
      },
    ]);
    expect(app.world.notifications.map((n) => n.kind)).toEqual(['awaiting-approval', 'swapped', 'succeeded']);
    expect(app.host.errors).toEqual([]);
  });

  it('a succeeded release never waits for clients: still on blue at the end of the bake is not reached', async () => {
    const { observer, calls } = scripted(() => ({ state: 'pending', detail: '12 of 40 requests on green' }));
    app = await startApp({ bakeSeconds: 5 }, 3, { cutover: observer });
    const id = await toBake();
    await app.host.advance(5_000);
    const view = await app.release(id);
    const bake = step(view, 'bake');
    expect(step(view, 'swap').cutover).toMatchObject({
      state: 'not-reached',
      detail: `not reached by ${bake.endedAt} (12 of 40 requests on green)`,
    });
    expect(calls).toHaveLength(1);
    // The lane has it as its last succeeded release at once: a manual rollback is taken.
    const res = await app.host.fetch(`/api/releases/${id}/rollback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ requestedBy: 'carol' }),
    });
    expect(res.status).toBe(202);
  });

  it('after an alert rollback: both moves, the swap counted until the rollback write; traffic moved first', async () => {
    const { observer, calls } = scripted((q) =>
      q.slot === 'green'
        ? { state: 'not-reached', detail: '3 of 40 requests since the write landed on green' }
        : { state: 'reached', reachedAt: plus(q.since, 3_000) },
    );
    app = await startApp({}, 3, { cutover: observer });
    const id = await toBake();
    expect((await app.alert('a1')).status).toBe(200);
    await app.host.idle();
    const view = await app.release(id);
    expect(view).toMatchObject({ status: 'RolledBack', liveSlot: 'blue' });
    const swap = step(view, 'swap');
    const rollback = step(view, 'rollback');
    expect(rollback.cutoverObservedMs).toBe(3_000);
    expect(rollback.cutover).toMatchObject({ state: 'reached', slot: 'blue' });
    expect(swap.cutover).toMatchObject({
      state: 'not-reached',
      slot: 'green',
      detail: expect.stringMatching(/3 of 40/),
    });
    expect(swap.cutoverObservedMs).toBeUndefined();
    expect(calls.map((c) => c.query)).toEqual([
      { slot: 'green', since: swap.cutover!.writtenAt, until: rollback.cutover!.writtenAt },
      { slot: 'blue', since: rollback.cutover!.writtenAt },
    ]);
    // The observer was first asked after all four writes and the rolled-back notice: it delayed neither.
    expect(calls[0]).toMatchObject({ writes: 4, notices: expect.arrayContaining(['rolled-back']) });
    expect(app.world.live()).toBe('blue');
  });

  it('an observer that never sees clients follow: recorded not reached at the deadline, the release ends', async () => {
    const { observer, calls } = scripted(() => ({ state: 'pending', detail: '0 of 80 requests on blue' }));
    app = await startApp({}, 3, { cutover: observer });
    const id = await toBake();
    expect((await app.alert('a2')).status).toBe(200);
    await app.host.idle();
    await advanceBy(CUTOVER_DEADLINE_MS + 10_000, 5_000);
    const view = await app.release(id);
    expect(step(view, 'rollback').cutover).toMatchObject({
      state: 'not-reached',
      detail: expect.stringMatching(/^not reached by \S+Z \(0 of 80 requests on blue\)$/),
    });
    // Polled with growing waits (capped at 5 s), not every second for five minutes.
    expect(calls.filter((c) => c.query.slot === 'blue').length).toBeLessThan(70);
    // The lane took the next build: the release ended.
    expect((await app.hook(102)).status).toBe(202);
    await app.host.idle();
    expect(await app.release('web-prod-b102')).toMatchObject({ phase: 'awaiting-approval' });
  });

  it('an observer that keeps failing: not measured after three failures, naming the cause', async () => {
    const { observer, calls } = scripted(() => new Error('connect ECONNREFUSED 127.0.0.1:7074'));
    app = await startApp({}, 3, { cutover: observer });
    const id = await toBake();
    expect((await app.alert('a3')).status).toBe(200);
    await app.host.idle();
    await advanceBy(20_000);
    const rollback = step(await app.release(id), 'rollback');
    expect(rollback.cutover).toMatchObject({
      state: 'not-measured',
      detail: 'observer failed: connect ECONNREFUSED 127.0.0.1:7074',
    });
    // Three questions for each of the two moves.
    expect(calls).toHaveLength(6);
    expect(app.log.lines.some((l) => l.includes('cutover observer failed'))).toBe(true);
  });

  it('no observer configured: each move says it was not measured and why', async () => {
    app = await startApp({ bakeSeconds: 5 });
    const id = await toBake();
    await app.host.advance(5_000);
    const view = await app.release(id);
    expect(view.status).toBe('Succeeded');
    expect(step(view, 'swap').cutover).toMatchObject({
      state: 'not-measured',
      detail: 'no cutover observer is configured (CUTOVER_OBSERVER_URL)',
    });
  });

  it('a release created before 3.2 (on 3.1) replays without observing', async () => {
    const { observer, calls } = scripted(() => ({ state: 'reached', reachedAt: new Date(0).toISOString() }));
    app = await startApp({ bakeSeconds: 5 }, 3, {
      cutover: observer,
      versioning: {
        defaultVersion: OrchestrationVersions.FreezeHold,
        matchStrategy: 'CurrentOrOlder',
        failureStrategy: 'Reject',
      },
    });
    const id = await toBake();
    await app.host.advance(5_000);
    const view = await app.release(id);
    expect(view).toMatchObject({ status: 'Succeeded', orchestrationVersion: '3.1' });
    expect(step(view, 'swap').cutover).toBeUndefined();
    expect(calls).toEqual([]);
  });
});
