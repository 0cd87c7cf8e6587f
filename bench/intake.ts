/**
 * Intake benchmark: distinct builds per second the service hook takes in while a release of the same target
 * runs (each one handed to the lane and given its receipt).
 * `node dist/bench/intake.js [builds] [in flight] [rounds] [warm-up rounds]` (default 200 16 3 1): warm-up rounds
 * are printed but left out of the median (the host's first requests on each path run before the JIT has compiled it);
 * `npm run bench` prints the same figure. Each round also prints the host process's CPU per build, which a
 * shared machine's load moves much less than the rate. The host answers the SDK's rpc channel in process;
 * `LOCAL_RPC_TRANSPORT=http` measures it over loopback HTTP. For a profile of the host:
 * HOST_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" (NODE_OPTIONS refuses --cpu-prof).
 */
import { loadavg } from 'node:os';
import { getRelease, runOnFreshStack, sendBuild } from '../local/client';
import type { Stack } from '../local/stack';
import { rpcInProcess } from '../local/host/rpcChannel';
import { processCpuMs } from './cpu';
import { intake } from './flood';
import { median } from './stats';

const builds = Number(process.argv[2] ?? 200);
const inFlight = Number(process.argv[3] ?? 16);
const rounds = Number(process.argv[4] ?? 3);
const warmups = Number(process.argv[5] ?? 1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const transport = rpcInProcess() ? 'rpc in process' : 'rpc over loopback HTTP';

/** The lane's status (what runs, the newest queued build), read from the Durable management API. */
async function laneStatus(stack: Stack): Promise<{ current?: string | null; queued?: string | null }> {
  const res = await fetch(
    `${stack.hostUrl}/runtime/webhooks/durabletask/instances/lane-webapp?code=${encodeURIComponent(stack.functionKey)}`,
  );
  const body = (await res.json()) as { customStatus?: { current?: string | null; queued?: string | null } };
  return body.customStatus ?? {};
}

/**
 * Ms from the last 202 until the lane shows the round's newest build running or queued, i.e. has taken every
 * build of the round (each replaced the one queued before it); NaN if it does not within 60 s.
 */
async function laneCatchUp(stack: Stack, newest: string): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < 60_000) {
    const s = await laneStatus(stack);
    if (s.current === newest || s.queued === newest) return performance.now() - t0;
    await sleep(5);
  }
  return NaN;
}

runOnFreshStack('intake', { network: 92, targetOverrides: { bakeSeconds: 600 } }, async (stack) => {
  const first = await sendBuild(stack, 7000, '5.0.7000');
  while ((await getRelease(stack, first))?.phase !== 'awaiting-approval') await sleep(20);
  const pid = stack.hostPid();
  const rates: number[] = [];
  for (let round = 0; round < warmups + rounds; round++) {
    const warmup = round < warmups;
    const cpuBefore = pid !== undefined ? processCpuMs(pid) : NaN;
    const r = await intake(stack, builds, 8000 + round * 1000, inFlight);
    const cpuPerBuild = (pid !== undefined ? processCpuMs(pid) - cpuBefore : NaN) / r.builds;
    const lag = await laneCatchUp(stack, `webapp-b${r.lastAnswered}`);
    if (!warmup) rates.push(r.perSecond);
    console.log(
      `${warmup ? 'warm-up' : 'intake'}: ${r.builds} distinct builds in ${r.ms.toFixed(0)} ms = ${r.perSecond.toFixed(0)} builds/s ` +
        `(${inFlight} in flight; ${r.failed} failed, ${r.duplicates} duplicate; target >= 200/s); ` +
        `host CPU ${cpuPerBuild.toFixed(2)} ms/build; lane took the last one ${Number.isFinite(lag) ? `${lag.toFixed(0)} ms` : 'not within 60 s'} after its 202; ` +
        `${transport}; load average ${loadavg()[0]!.toFixed(1)}`,
    );
  }
  console.log(
    `intake: median ${median(rates).toFixed(0)} builds/s over ${rounds} rounds of ${builds} ` +
      `(min ${Math.min(...rates).toFixed(0)}, max ${Math.max(...rates).toFixed(0)}; target >= 200/s)`,
  );
});
