/**
 * Issue 7 §3 on the local stack: ARM answers the swap's write 429 with `Retry-After: 120`; the app writes
 * again no sooner than 120 s later (it waits on a durable timer, not in a worker), and the release goes on.
 */
import type { ReleaseView } from '../../src/core/domain';
import { endpointWrites, lastSeq, releaseIdOf, useE2e } from './support';

jest.setTimeout(300_000);

const e2e = useE2e({ network: 38, targetOverrides: { bakeSeconds: 2, health: { intervalSeconds: 1 } } });

it('a 429 with Retry-After 120 on the swap write: the next write comes no sooner than 120 s later', async () => {
  expect((await e2e.hook({ id: 7301, number: '7.3.1' })).status).toBe(202);
  const id = releaseIdOf(7301);
  const view = await e2e.waitFor(
    id,
    (v: ReleaseView) => (v.phase === 'awaiting-approval' && !!v.approval?.pending) || v.phase === 'done',
    60_000,
  );
  const since = lastSeq(e2e.stack);
  const control = e2e.stack.arm.control;
  const throttle = control.addFault({
    method: 'PATCH',
    path: 'trafficmanagerprofiles/.*/green$',
    status: 429,
    retryAfterSeconds: 120,
    count: 1,
  });
  expect((await e2e.decide(view, 'approve', 'alice@example.com')).status).toBe(202);

  const waiting = await e2e.waitFor(id, (v) => /retrying at/.test(v.timeline.at(-1)?.detail ?? ''), 30_000);
  expect(waiting).toMatchObject({ phase: 'swapping' });
  expect(e2e.enabled()).toEqual(['blue']);

  const done = await e2e.waitFor(id, (v) => v.phase === 'done', 240_000);
  expect(done).toMatchObject({ status: 'Succeeded', liveSlot: 'green' });
  const log = control.requests(since);
  const throttled = log.find((r) => r.faultId === throttle.id)!;
  const next = log.find((r) => r.seq > throttled.seq && r.method === 'PATCH')!;
  // No Traffic Manager call at all within the Retry-After, and the write retried after it.
  expect(
    log.filter(
      (r) =>
        r.seq > throttled.seq && /trafficmanagerprofiles/i.test(r.path) && r.atMs < throttled.atMs + 120_000,
    ),
  ).toEqual([]);
  expect(next.atMs - throttled.atMs).toBeGreaterThanOrEqual(120_000);
  expect(endpointWrites(e2e.stack, since)).toEqual([
    ['green', 'Enabled'],
    ['blue', 'Disabled'],
  ]);
  console.log(`429 Retry-After 120 s on the swap write: next write ${next.atMs - throttled.atMs} ms later`);
});
