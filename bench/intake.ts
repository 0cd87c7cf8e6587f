/**
 * Intake benchmark: distinct builds per second the service hook takes in while a release of the same target
 * runs (each one handed to the lane and given its receipt). `node dist/bench/intake.js [builds] [in flight]`;
 * `npm run bench` prints the same figure. For a profile: NODE_OPTIONS=--cpu-prof (the host inherits it).
 */
import { getRelease, runOnFreshStack, sendBuild } from '../local/client';
import { intake } from './flood';

const builds = Number(process.argv[2] ?? 200);
const inFlight = Number(process.argv[3] ?? 16);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

runOnFreshStack('intake', { network: 92, targetOverrides: { bakeSeconds: 600 } }, async (stack) => {
  const first = await sendBuild(stack, 7000, '5.0.7000');
  while ((await getRelease(stack, first))?.phase !== 'awaiting-approval') await sleep(20);
  for (let round = 0; round < 3; round++) {
    const r = await intake(stack, builds, 8000 + round * 1000, inFlight);
    console.log(
      `intake: ${r.builds} distinct builds in ${r.ms.toFixed(0)} ms = ${r.perSecond.toFixed(0)} builds/s ` +
        `(${inFlight} in flight; ${r.failed} failed, ${r.duplicates} duplicate; target >= 200/s)`,
    );
  }
});
