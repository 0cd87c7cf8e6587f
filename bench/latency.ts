/**
 * Benchmark: how fast the app moves traffic, measured on the local stack end to end (HTTP, Durable
 * engine on SQLite, real SDK against the HTTPS ARM stand-in). For N releases it measures:
 *  - hook → awaiting approval (deploy with the real script on 3 instances + verify),
 *  - approval POST → Traffic Manager profile shows the new slot live,
 *  - alert webhook → profile shows the previous slot live again (automatic rollback),
 *  - the same alert → traffic back while the service hook is flooded (1,000 redeliveries + 200 new builds, from a
 *    child process), N rollbacks too, timed the same way (`timeRollback`: alert posted → the stand-in applied the
 *    write that left only the previous slot enabled),
 *  - intake: distinct builds per second the hook takes in while a release of the target runs.
 * Prints min / median / max, and the ratio of the medians. `npm run bench [-- N]` (N default 5).
 */
import {
  approvalLinks,
  approveByLink,
  getRelease,
  liveSlot,
  runOnFreshStack,
  sendBuild,
} from '../local/client';
import { alertUnderFlood, intake, timeRollback, type FloodResult } from './flood';
import { median } from './stats';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  every = 5,
): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(every);
  }
}

function summary(name: string, xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const med = median(s);
  const f = (n: number) => `${n.toFixed(0).padStart(7)} ms`;
  return `${name.padEnd(47)} n=${s.length}  min ${f(s[0]!)}  median ${f(med)}  max ${f(s.at(-1)!)}`;
}

const runs = Number(process.argv[2] ?? 5);
runOnFreshStack(
  'bench',
  { network: 91, targetOverrides: { bakeSeconds: 600, health: { intervalSeconds: 1 } } },
  async (stack) => {
    const toApproval: number[] = [];
    const approveToLive: number[] = [];
    const alertToBack: number[] = [];
    const appReaction: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const id = await sendBuild(stack, 5000 + i, `3.0.${5000 + i}`);
      const waiting = await until(
        async () => {
          const v = await getRelease(stack, id);
          return v?.phase === 'awaiting-approval' ? v : undefined;
        },
        'approval',
        20,
      );
      toApproval.push(performance.now() - t0);

      const before = liveSlot(stack);
      // The links arrive through the notifier just after the status: not part of the measured approval.
      await approvalLinks(stack, waiting);
      const t1 = performance.now();
      await approveByLink(stack, waiting, 'bench');
      await until(() => (liveSlot(stack) === waiting.stagingSlot ? true : undefined), 'swap');
      approveToLive.push(performance.now() - t1);
      await until(
        async () => ((await getRelease(stack, id))?.phase === 'baking' ? true : undefined),
        'bake',
        20,
      );

      let alertId = '';
      alertToBack.push(
        await timeRollback(stack, before, async () => {
          alertId = (await stack.fleet.alerts!.fireAlert({ rule: 'bench-alert' })).data.essentials.alertId;
        }),
      );
      const done = await until(
        async () => {
          const v = await getRelease(stack, id);
          return v?.phase === 'done' ? v : undefined;
        },
        'done',
        20,
      );
      if (done.rollback?.reactionMs !== undefined) appReaction.push(done.rollback.reactionMs);
      await stack.fleet.alerts!.resolveAlert(alertId);
    }
    // The same rollback under a hook flood; each flood's newest build is the next baking release.
    const floods: FloodResult[] = [];
    // Each round's baking release is the newest build of the previous flood: the lane takes builds in
    // arrival order, newest kept, so every older one ends Superseded and that one runs.
    const awaiting = (id: string) =>
      until(
        async () => {
          const v = await getRelease(stack, id);
          if (v?.phase === 'done') throw new Error(`${id} ended ${v.status} before its approval`);
          return v?.phase === 'awaiting-approval' && v.approval?.pending ? v : undefined;
        },
        `${id} awaiting approval`,
        50,
      );
    let next = await sendBuild(stack, 6000, '3.1.6000');
    for (let i = 0; i < runs; i++) {
      const waiting = await awaiting(next);
      const nextId = waiting.id;
      const nextBuild = { buildId: Number(waiting.build.id), number: waiting.build.number };
      const before = liveSlot(stack);
      await approveByLink(stack, waiting, 'bench');
      await until(
        async () => ((await getRelease(stack, nextId))?.phase === 'baking' ? true : undefined),
        'bake',
        20,
      );
      let alertId = '';
      const flood = await alertUnderFlood(
        stack,
        nextBuild,
        before,
        async () => {
          alertId = (await stack.fleet.alerts!.fireAlert({ rule: 'bench-flood' })).data.essentials.alertId;
        },
        {
          redeliveries: 1000,
          distinct: 200,
          concurrency: 16,
          firstBuildId: 10_000 + i * 1000,
          alertAt: 0.25,
        },
      );
      floods.push(flood);
      next = flood.newest;
      await until(
        async () => ((await getRelease(stack, nextId))?.phase === 'done' ? true : undefined),
        'done',
        20,
      );
      await stack.fleet.alerts!.resolveAlert(alertId);
    }

    // Intake: distinct builds per second while a release of the target runs (the last flood's newest).
    const taken = await intake(stack, 200, 20_000, 16);

    console.log(`\nRelease latency on the local stack (${runs} releases, 3 instances per slot)`);
    console.log(summary('hook -> awaiting approval (deploy + verify)', toApproval));
    console.log(summary('approval POST -> new slot live in the profile', approveToLive));
    console.log(summary('alert webhook sent -> previous slot live again', alertToBack));
    console.log(summary("app's own reaction (timeline reactionMs)", appReaction));
    const flooded = floods.map((f) => f.alertToBackMs);
    console.log(summary('same, under 1,000 redeliveries + 200 new builds', flooded));
    console.log(
      `flood / quiet (median alert -> traffic back): ${(median(flooded) / median(alertToBack)).toFixed(2)}x (target <= 2x)`,
    );
    for (const f of floods) {
      console.log(
        `  flood: ${f.started} started (200 new builds), ${f.duplicates} answered duplicate (1,000 redeliveries), ` +
          `${f.failed} failed, ${f.wrong} wrong id/statusUrl; 1,200 hooks in ${f.floodMs.toFixed(0)} ms (16 in flight)`,
      );
    }
    console.log(
      `intake: ${taken.builds} distinct builds in ${taken.ms.toFixed(0)} ms = ${taken.perSecond.toFixed(0)} builds/s ` +
        `(16 in flight; ${taken.failed} failed, ${taken.duplicates} duplicate; target >= 200/s)`,
    );
  },
);
