/**
 * Benchmark: the cutover clients see after an alert, per traffic provider, on the local stack. A bad build goes
 * live; the traffic generator's clients reach it as real clients do (Traffic Manager: each of 10 clients keeps its
 * DNS answer for the profile's TTL, the first answers expiring staggered over one TTL; Front Door: through the
 * local edge, which follows each origin change after the propagation delay); their errors fire the alert; the
 * app swaps back. For each case it prints, side by side:
 *  - alert → traffic back in the profile / origin group (the app's reaction plus its ARM writes: `rollback.latencyMs`),
 *  - alert → clients back (at least 99% of the generator's requests on the previous slot again: the rollback's
 *    `cutover.reachedAt`, what `cutoverObservedMs` counts from the write).
 * Traffic Manager at TTL 5, 30 and 60 s on one stack; Front Door on a second one, with its propagation delay
 * scaled down (`--front-door-propagation-ms`, default 10000: Azure documents up to 20 minutes, which a benchmark
 * cannot wait for; the clients-back figure is that delay plus the app's reaction, whatever it is set to).
 * `npm run bench` runs it after the others; alone: `node dist/bench/cutover.js [--ttls 5,30,60] [--front-door-propagation-ms N]`.
 */
import { getRelease, runOnStack, sendBuild } from '../local/client';
import type { Stack } from '../local/stack';
import type { ReleaseView, TimelineEntry } from '../src/core/domain';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const TTLS = (arg('--ttls') ?? '5,30,60').split(',').map(Number);
const PROPAGATION_MS = Number(arg('--front-door-propagation-ms') ?? 10_000);
if (
  TTLS.some((t) => !Number.isInteger(t) || t < 1) ||
  !Number.isInteger(PROPAGATION_MS) ||
  PROPAGATION_MS < 0
) {
  console.error(
    'cutover bench: --ttls takes whole seconds >= 1 (e.g. 5,30,60), --front-door-propagation-ms whole ms',
  );
  process.exit(2);
}

/** One measured case. */
interface Row {
  provider: string;
  setting: string;
  /** Alert fired → the previous slot enabled again (read back), ms. */
  profileBackMs?: number;
  /** Alert fired → at least 99% of requests on the previous slot again, ms. */
  clientsBackMs?: number;
  /** The app's write → clients back (`cutoverObservedMs` of the rollback), ms. */
  cutoverObservedMs?: number;
  note?: string;
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`cutover bench: timed out waiting for ${what}`);
    await sleep(100);
  }
}

const step = (v: ReleaseView, name: string): TimelineEntry | undefined =>
  v.timeline.filter((t) => t.step === name).at(-1);

/** A bad build to the idle slot, no approval, long bake: clients reach it, the alert rolls it back. */
async function badRelease(
  stack: Stack,
  build: number,
  provider: string,
  setting: string,
  waitMs: number,
): Promise<Row> {
  // The previous round's alert resolves once the errors are gone: a new bake must not start on it.
  await until(
    async () => (stack.fleet.alerts!.active().length === 0 ? true : undefined),
    'alerts resolved',
    60_000,
  );
  const id = await sendBuild(stack, build, `9.${build}.0-bad`);
  const view = await until(
    async () => {
      const v = await getRelease(stack, id);
      if (v?.phase !== 'done') return undefined;
      const rb = v.rollback ? step(v, 'rollback') : undefined;
      // Done, and (when rolled back) the rollback's cutover recorded.
      return !rb || (rb.cutover && rb.cutover.state !== 'observing') ? v : undefined;
    },
    `${id} rolled back and its clients back`,
    waitMs,
  );
  if (view.status !== 'RolledBack' || !view.rollback?.alert) {
    return {
      provider,
      setting,
      note: `release ended ${view.status}${view.error ? `: ${view.error.message}` : ''}`,
    };
  }
  const fired = Date.parse(view.rollback.alert.firedAt);
  const rb = step(view, 'rollback')!;
  const reached = rb.cutover?.reachedAt ? Date.parse(rb.cutover.reachedAt) : undefined;
  return {
    provider,
    setting,
    ...(view.rollback.latencyMs !== undefined ? { profileBackMs: view.rollback.latencyMs } : {}),
    ...(reached !== undefined ? { clientsBackMs: reached - fired } : {}),
    ...(rb.cutoverObservedMs !== undefined ? { cutoverObservedMs: rb.cutoverObservedMs } : {}),
    ...(rb.cutover?.state !== 'reached'
      ? { note: `clients: ${rb.cutover?.state} (${rb.cutover?.detail ?? ''})` }
      : {}),
  };
}

const TARGET = { bakeSeconds: 600, approval: { required: false }, health: { intervalSeconds: 1 } };

function print(rows: Row[]): void {
  const ms = (n?: number) => (n === undefined ? '—'.padStart(9) : `${(n / 1000).toFixed(1).padStart(7)} s`);
  console.log('\nCutover after an alert (a bad build live, its errors fire the alert, the app swaps back):');
  console.log(
    `  ${'provider'.padEnd(16)}${'setting'.padEnd(22)}${'alert → traffic back'.padStart(22)}${'alert → clients back'.padStart(22)}${'write → clients'.padStart(17)}`,
  );
  console.log(
    `  ${''.padEnd(38)}${'(profile/origins)'.padStart(22)}${'(99% of requests)'.padStart(22)}${'(cutoverObservedMs)'.padStart(21)}`,
  );
  for (const r of rows) {
    console.log(
      `  ${r.provider.padEnd(16)}${r.setting.padEnd(22)}${ms(r.profileBackMs).padStart(22)}${ms(r.clientsBackMs).padStart(22)}${ms(r.cutoverObservedMs).padStart(17)}${r.note ? `  ${r.note}` : ''}`,
    );
  }
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  await runOnStack(
    'cutover-tm',
    { network: 93, targetOverrides: TARGET, dnsTtlSeconds: TTLS[0] },
    async (stack) => {
      for (const [i, ttl] of TTLS.entries()) {
        stack.arm.control.setDnsTtl(ttl);
        // Clients as if the TTL had always been this: answers spread over one TTL.
        stack.fleet.traffic!.resetClients();
        await sleep(ttl * 1000);
        rows.push(
          await badRelease(stack, 100 + i, 'Traffic Manager', `DNS TTL ${ttl} s`, 120_000 + 4 * ttl * 1000),
        );
        process.stderr.write(`cutover bench: Traffic Manager TTL ${ttl} s measured\n`);
      }
    },
  );
  await runOnStack(
    'cutover-fd',
    {
      network: 94,
      targetOverrides: TARGET,
      trafficProvider: 'frontDoor',
      frontDoorPropagationMs: PROPAGATION_MS,
    },
    async (stack) => {
      rows.push(
        await badRelease(
          stack,
          200,
          'Front Door',
          `propagation ${PROPAGATION_MS / 1000} s`,
          120_000 + 4 * PROPAGATION_MS,
        ),
      );
    },
  );
  print(rows);
  console.log(
    '  Traffic Manager: clients back ≈ the TTL after the write (the last cached answers expire); Front Door: the\n' +
      '  propagation delay after the write, no client cache involved (Azure documents up to 20 minutes per change).',
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
