/**
 * The cutover clients see, on the local stack: the traffic generator's clients resolve the Traffic Manager
 * profile's name through the local DNS responder and keep each answer for the profile's TTL; after a swap and
 * after a rollback the release records `cutoverObservedMs`, from the app's write until at least 99% of the
 * generator's requests land on the new slot. Asserted from recorded timestamps, never from the wall clock.
 */
import type { ReleaseView, TimelineEntry } from '../../src/core/domain';
import { releaseIdOf, useE2e } from './support';

jest.setTimeout(120_000);

const TTL = 2;
/** The clean window the local observer needs after `reachedAt` before it answers `reached` (traffic.ts). */
const CLEAN_WINDOW_MS = 1000;
const e2e = useE2e({
  network: 48,
  trafficAndAlerts: true,
  dnsTtlSeconds: TTL,
  targetOverrides: { bakeSeconds: 6, health: { intervalSeconds: 1 } },
});

const step = (v: ReleaseView, name: string): TimelineEntry =>
  v.timeline.filter((t) => t.step === name).at(-1)!;
const observed = (name: string) => (v: ReleaseView) =>
  v.phase === 'done' && !!step(v, name)?.cutover && step(v, name).cutover!.state !== 'observing';

/**
 * What the generator recorded about a move to `slot` written at `writtenAt` and reached at `reachedAt`, checked:
 * each client sent to the new slot only once every answer naming another slot had expired (the cache honoured),
 * the cutover is after the last request any client sent on such an answer, and the clean second from it lands on
 * the new slot only. Returns what was found, for the caller's own checks.
 */
function checkClients(slot: string, writtenAt: number, reachedAt: number) {
  const traffic = e2e.stack.fleet.traffic!;
  const answers = traffic.answers();
  const samples = traffic.samples().filter((x) => x.at >= writtenAt);
  const stale = answers.filter((a) => a.slot !== slot && a.until > writtenAt);
  for (const client of new Set(samples.map((x) => x.client))) {
    const firstNew = samples.find((x) => x.client === client && x.slot === slot);
    if (!firstNew) continue;
    const held = stale.filter((a) => a.client === client && a.resolvedAt <= firstNew.at);
    for (const a of held) expect(firstNew.at).toBeGreaterThanOrEqual(a.until);
  }
  const cleanSecond = samples.filter((x) => x.at >= reachedAt && x.at < reachedAt + 1000);
  expect(cleanSecond.length).toBeGreaterThan(0);
  expect(cleanSecond.every((x) => x.slot === slot)).toBe(true);
  const lastStaleRequest = Math.max(
    ...samples.filter((x) => x.slot !== slot && x.at < reachedAt + 1000).map((x) => x.at),
  );
  expect(reachedAt).toBeGreaterThan(lastStaleRequest);
  return { stale, lastStaleRequest };
}

describe('cutoverObservedMs on the local stack (Traffic Manager, DNS TTL honoured by clients)', () => {
  it('the DNS responder answers the profile name with the live endpoint and the TTL', async () => {
    const { Resolver } = await import('node:dns/promises');
    const resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([`${e2e.stack.dns.host}:${e2e.stack.dns.port}`]);
    const blue = e2e.stack.fleet.topology.slots.find((s) => s.name === 'blue')!;
    expect(await resolver.resolve4(e2e.stack.dnsName, { ttl: true })).toEqual([
      { address: blue.endpointTarget, ttl: TTL },
    ]);
  });

  it('a swap, then a rollback: each records when the clients followed, after their cached answers expired', async () => {
    // A swap that bakes and succeeds.
    expect((await e2e.hook({ id: 7001, number: '7.0.1' })).status).toBe(202);
    const id = releaseIdOf(7001);
    const waiting = await e2e.waitFor(
      id,
      (v) => v.phase === 'awaiting-approval' && !!v.approval?.pending,
      60_000,
    );
    expect((await e2e.decide(waiting, 'approve', 'alice@example.com')).status).toBe(202);
    const done = await e2e.waitFor(id, observed('swap'), 60_000);
    expect(done).toMatchObject({ status: 'Succeeded', liveSlot: 'green' });
    const swap = step(done, 'swap');
    expect(swap.cutover).toMatchObject({ state: 'reached', slot: 'green' });
    expect(typeof swap.cutoverObservedMs).toBe('number');
    const written = Date.parse(swap.cutover!.writtenAt);
    const reached = Date.parse(swap.cutover!.reachedAt!);
    expect(swap.cutoverObservedMs).toBe(reached - written);
    // The write happened inside the swap step.
    expect(written).toBeGreaterThanOrEqual(Date.parse(swap.startedAt));
    expect(written).toBeLessThanOrEqual(Date.parse(swap.endedAt!));

    const facts = checkClients('green', written, reached);
    // Clients held blue answers past the write (the TTL at work), so the cutover took at least until their last
    // request on one.
    expect(facts.stale.length).toBeGreaterThan(0);
    expect(facts.stale.every((a) => a.ttlSeconds === TTL)).toBe(true);
    expect(swap.cutoverObservedMs!).toBeGreaterThan(facts.lastStaleRequest - written);

    // A manual rollback during the next release's bake: the rollback's cutover too.
    expect((await e2e.hook({ id: 7002, number: '7.0.2' })).status).toBe(202);
    const next = releaseIdOf(7002);
    const waiting2 = await e2e.waitFor(
      next,
      (v) => v.phase === 'awaiting-approval' && !!v.approval?.pending,
      60_000,
    );
    expect((await e2e.decide(waiting2, 'approve', 'alice@example.com')).status).toBe(202);
    await e2e.waitFor(next, (v) => v.phase === 'baking', 30_000);
    const res = await e2e.call(`/api/releases/${next}/rollback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ requestedBy: 'carol@example.com', reason: 'cutover test' }),
    });
    expect(res.status).toBe(202);
    const rolled = await e2e.waitFor(next, observed('rollback'), 60_000);
    expect(rolled).toMatchObject({ status: 'RolledBack', liveSlot: 'green' });
    const back = step(rolled, 'rollback');
    expect(back.cutover).toMatchObject({ state: 'reached', slot: 'green' });
    const backWritten = Date.parse(back.cutover!.writtenAt);
    const backReached = Date.parse(back.cutover!.reachedAt!);
    expect(back.cutoverObservedMs).toBe(backReached - backWritten);
    const backFacts = checkClients('green', backWritten, backReached);
    expect(back.cutoverObservedMs!).toBeGreaterThan(backFacts.lastStaleRequest - backWritten);
    // The swap of that release counted only until the rollback's write: reached before it, not reached, or (a
    // rollback within one request tick of the swap) no request between the two writes to judge.
    const swap2 = step(rolled, 'swap');
    expect(swap2.cutover!.state).not.toBe('observing');
    if (swap2.cutover!.state === 'reached') {
      expect(Date.parse(swap2.cutover!.reachedAt!)).toBeLessThan(backWritten);
    }
    // Observing delayed neither move: the observer can answer `reached` only once a clean window after
    // `reachedAt` has closed, so a traffic-back confirmation that waited on it would come a window after
    // `reachedAt` or later. (Clients may follow the write before the read-back confirms it, so `trafficBackAt`
    // can trail `reachedAt` by the read-back's few milliseconds.)
    expect(Date.parse(rolled.rollback!.trafficBackAt!)).toBeLessThan(backReached + CLEAN_WINDOW_MS);
  });
});
