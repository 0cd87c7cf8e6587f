/**
 * Benchmark (issue 9): what a release costs as the slot grows, and how close its fan-out comes to the ideal.
 *  - On the in-process host with fakes (real durable-functions replay, in-memory store), N = 50 and 500 instances per
 *    slot at maxParallel 10 and 50, each deploy taking `--ms` (default 200 ms) in the fake.
 *  - On the real local stack (host process, ARM stand-in, fleet running the deploy script), N = 100 at maxParallel 10.
 * Per run, from the hook's start of the release to awaiting approval (deploy + verify): the release's history events,
 * replay CPU (orchestrator episodes: the release's own and its deploy chunks'), whole-release CPU, and the deploy time
 * against the ideal ceil(N / maxParallel) x per-instance time. Figures are medians of `--runs` runs (default 3).
 * `npm run bench -- --scale [--runs N] [--ms T] [--fleet-n N] [--no-fleet]` (or `node dist/bench/scale.js ...`).
 */
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createTestHost, type TestHost } from '../local/host';
import type { ArmControl } from '../local/arm';
import { processCpuMs } from './cpu';
import type { Stack } from '../local/stack';
import { FakeWorld } from '../src/adapters/fake/world';
import { fakeAppDeps } from '../src/adapters/fake/appDeps';
import { TRAFFIC_PROVIDERS } from '../src/adapters/traffic/factory';
import { loadConfig as loadWith } from '../src/core/config/load';

const loadConfig = (env: NodeJS.ProcessEnv) => loadWith(env, TRAFFIC_PROVIDERS);
import { ACTIVITY_LIMIT_SETTING } from '../src/core/config/hostLimits';
import type { ReleaseView } from '../src/core/domain';
import type { Logger } from '../src/core/log';
import { Orchestrations } from '../src/core/names';
import type { ReleaseInput } from '../src/core/orchestration/contracts';
import { registerApp } from '../src/functions';
import { median } from './stats';

/** One measured run. */
interface Sample {
  historyEvents: number;
  /** CPU ms in the release's own orchestrator episodes, and in all orchestrator episodes (release + chunks). */
  releaseReplayMs: number;
  replayMs: number;
  /** CPU ms of the whole process (or host process) from start to awaiting approval. */
  cpuMs: number;
  deployMs: number;
  /** Real fleet: the measured mean time of one instance's deploy (see deployTimes). */
  perInstanceMs?: number;
  idealMs: number;
  /** Median and 90th percentile of the pause between one deploy's end and the next start in the same chunk. */
  gapMs?: number;
  gapP90Ms?: number;
}

const SUB = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-bench/providers';
const quiet: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const cpuMs = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
};

/** Adds the CPU time of every orchestrator invocation (replay and new work) to `spent`, by orchestration name. */
function meterOrchestrators(host: TestHost, spent: Map<string, number>): void {
  for (const fn of host.registry.functions.values()) {
    const bindings = Object.values(fn.metadata.bindings ?? {}) as { type?: string }[];
    if (!bindings.some((b) => b.type === 'orchestrationTrigger')) continue;
    const name = fn.metadata.name;
    const callback = fn.callback;
    fn.callback = async (...args: Parameters<typeof callback>) => {
      // CPU, not wall time: the machine may be shared, and a descheduled process is not replaying.
      const start = process.cpuUsage();
      try {
        return await callback(...args);
      } finally {
        spent.set(name, (spent.get(name) ?? 0) + cpuMs(start));
      }
    };
  }
}

/** One release on the in-process host: N instances per slot, maxParallel p, each deploy taking `ms`. */
export async function fakeRun(n: number, p: number, ms: number): Promise<Sample> {
  const world = new FakeWorld({
    profileId: `${SUB}/Microsoft.Network/trafficManagerProfiles/tm-bench`,
    slots: [
      { name: 'blue', computeId: `${SUB}/Microsoft.Compute/virtualMachineScaleSets/vmss-blue`, instances: n },
      {
        name: 'green',
        computeId: `${SUB}/Microsoft.Compute/virtualMachineScaleSets/vmss-green`,
        instances: n,
      },
    ],
  });
  let first = Infinity;
  let last = 0;
  const started = new Map<string, number>();
  const ended = new Map<string, number>();
  world.beforeRun = async (name) => {
    started.set(name, performance.now());
    first = Math.min(first, performance.now());
    await sleep(ms);
    last = Math.max(last, performance.now());
    ended.set(name, performance.now());
  };
  const config = loadConfig({
    RELEASE_TARGETS: JSON.stringify([
      {
        name: 'bench',
        traffic: { kind: 'trafficManager', profileId: world.profileId },
        slots: world.slots.map((s) => ({ name: s.name, compute: { kind: 'vmss', resourceId: s.computeId } })),
        artifactUrlTemplate: 'https://artifacts.example.com/bench/{number}/app.zip',
        deploy: { scriptKind: 'linux', maxParallel: p, maxFailures: 0 },
        approval: { timeoutSeconds: 3600 },
      },
    ]),
    SERVICE_HOOK_SECRET: 'bench-service-hook-secret-0123456789',
    APPROVAL_SIGNING_KEY: 'bench-approval-signing-key-0123456789abcdef',
    PUBLIC_BASE_URL: 'https://release.example.com',
    [ACTIVITY_LIMIT_SETTING]: process.env[ACTIVITY_LIMIT_SETTING],
  });
  const ref: { host?: TestHost } = {};
  const clock = { now: () => new Date(ref.host!.clock.now()) };
  const deps = fakeAppDeps(world, config, clock, quiet);
  const host = await createTestHost({ register: () => registerApp(() => deps) });
  ref.host = host;
  const spent = new Map<string, number>();
  meterOrchestrators(host, spent);
  try {
    const input: ReleaseInput = {
      releaseId: 'bench-b1',
      build: { id: '1', number: '1.0.1', pipeline: 'bench', source: 'build.complete' },
      target: config.targets[0]!,
      receivedAt: new Date(host.clock.now()).toISOString(),
    };
    const start = process.cpuUsage();
    host.startNew(Orchestrations.Release, { instanceId: input.releaseId, input });
    await host.idle();
    const cpu = cpuMs(start);
    const view = host.getStatus(input.releaseId)?.customStatus as ReleaseView | undefined;
    if (view?.phase !== 'awaiting-approval') {
      throw new Error(
        `N=${n} p=${p}: the release stopped in ${view?.phase} (${JSON.stringify(view?.error)})`,
      );
    }
    // Chunks are dealt round-robin: instance i follows instance i - p in the same chunk.
    const gaps: number[] = [];
    for (let i = p; i < n; i++) {
      gaps.push(started.get(`green-vm${i}`)! - ended.get(`green-vm${i - p}`)!);
    }
    gaps.sort((a, b) => a - b);
    return {
      ...(gaps.length > 0 ? { gapMs: median(gaps), gapP90Ms: gaps[Math.floor(gaps.length * 0.9)]! } : {}),
      historyEvents: host.history(input.releaseId).length,
      releaseReplayMs: spent.get(Orchestrations.Release) ?? 0,
      replayMs: [...spent.values()].reduce((a, b) => a + b, 0),
      cpuMs: cpu,
      deployMs: last - first,
      idealMs: Math.ceil(n / p) * ms,
    };
  } finally {
    await host.close();
  }
}

/** One release on the real local stack: the fleet runs the deploy script on every instance. */
async function fleetRun(stack: Stack, build: number, n: number, p: number): Promise<Sample> {
  const { sendBuild, getRelease } = await import('../local/client');
  const pid = stack.hostPid();
  const before = pid !== undefined ? processCpuMs(pid) : NaN;
  const since = stack.arm.control.requests().at(-1)?.seq ?? 0;
  const id = await sendBuild(stack, build, `4.0.${build}`);
  let view: ReleaseView | undefined;
  for (const deadline = Date.now() + 600_000; Date.now() < deadline; await sleep(100)) {
    view = await getRelease(stack, id);
    if (view?.phase === 'awaiting-approval' || view?.phase === 'done') break;
  }
  if (view?.phase !== 'awaiting-approval') {
    throw new Error(`fleet N=${n}: the release stopped in ${view?.phase} (${JSON.stringify(view?.error)})`);
  }
  const cpu = pid !== undefined ? processCpuMs(pid) - before : NaN;
  const res = await fetch(
    `${stack.hostUrl}/runtime/webhooks/durabletask/instances/${encodeURIComponent(id)}?showHistory=true&code=${encodeURIComponent(stack.functionKey)}`,
  );
  const status = (await res.json()) as { historyEvents?: unknown[] };
  const perInstance = deployTimes(stack.arm.control, id, since);
  if (perInstance.length !== n) {
    throw new Error(`fleet N=${n}: measured the deploy of ${perInstance.length} instances, not ${n}`);
  }
  const mean = perInstance.reduce((a, b) => a + b, 0) / n;
  const deployStep = view.timeline.find((t) => t.step === 'deploy');
  return {
    historyEvents: status.historyEvents?.length ?? NaN,
    releaseReplayMs: NaN,
    replayMs: NaN,
    cpuMs: cpu,
    deployMs: deployStep?.durationMs ?? NaN,
    perInstanceMs: mean,
    idealMs: Math.ceil(n / p) * mean,
  };
}

/**
 * Each instance's deploy time in release `id`, measured as the DeployInstance activity spends it: from its first
 * ARM request about the instance (the GET of the run command it may already have) to its last (the final GET of
 * the run command, or the prune of older ones after), as the ARM stand-in logged their arrival. That holds the
 * round trips and the SDK's polling of the run command, which the run command's own execution time (what the
 * stand-in records in its instance view, about a tenth of it here) leaves out.
 */
export function deployTimes(
  control: Pick<ArmControl, 'runCommands' | 'requests'>,
  id: string,
  sinceSeq: number,
): number[] {
  const parents = new Set(
    control
      .runCommands()
      .filter((r) => r.name === `deploy-${id}`)
      .map((r) => r.parentId.toLowerCase()),
  );
  const span = new Map<string, { first: number; last: number }>();
  const entries = control.requests(sinceSeq);
  if (entries.length > 0 && entries[0]!.seq !== sinceSeq + 1) {
    throw new Error(
      `the ARM stand-in's request log dropped entries of release ${id}: its deploy times are unknown`,
    );
  }
  for (const entry of entries) {
    const path = entry.path.toLowerCase();
    const at = path.indexOf('/runcommands');
    const parent = at >= 0 ? path.slice(0, at) : path;
    if (!parents.has(parent)) continue;
    const s = span.get(parent);
    if (s) s.last = entry.atMs;
    else span.set(parent, { first: entry.atMs, last: entry.atMs });
  }
  return [...span.values()].map((s) => s.last - s.first);
}

const fmt = (x: number, unit = ' ms') => (Number.isFinite(x) ? `${x.toFixed(0)}${unit}` : 'n/a');

function row(where: string, n: number, p: number, samples: Sample[]): string {
  const m = (k: keyof Sample) => median(samples.map((s) => s[k] ?? NaN));
  const ratio = m('deployMs') / m('idealMs');
  return [
    `| ${where}`,
    `${n}`,
    `${p}`,
    fmt(m('historyEvents'), ''),
    fmt(m('releaseReplayMs')),
    fmt(m('replayMs')),
    fmt(m('cpuMs')),
    `${fmt(m('gapMs'))} / ${fmt(m('gapP90Ms'))}`,
    `${fmt(m('deployMs'))} / ${fmt(m('idealMs'))} = ${Number.isFinite(ratio) ? ratio.toFixed(2) : 'n/a'}x |`,
  ].join(' | ');
}

/** Runs the scale benchmark and prints its table; the last line is the summary the issue asks for. */
export async function runScaleBenchmark(argv: string[]): Promise<void> {
  const opt = (name: string, fallback: number) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  const runs = opt('--runs', 3);
  const ms = opt('--ms', 200);
  // The in-process host and the configuration read the same host limit: let it run 50 deploys at once.
  process.env[ACTIVITY_LIMIT_SETTING] = '50';
  const lines: string[] = [
    `| host | N | maxParallel | release history events | release replay CPU | all replay CPU (release + chunks) | whole-release CPU | pause between deploys (median / p90) | deploy / ideal |`,
    `| --- | --: | --: | --: | --: | --: | --: | --: | --- |`,
  ];
  const results = new Map<string, Sample[]>();
  for (const p of [10, 50]) {
    for (const n of [50, 500]) {
      const samples: Sample[] = [];
      await fakeRun(n, p, ms); // warm-up: JIT and module caches
      for (let i = 0; i < runs; i++) samples.push(await fakeRun(n, p, ms));
      results.set(`${n}/${p}`, samples);
      lines.push(row(`test host, fakes, ${ms} ms/deploy`, n, p, samples));
      console.log(lines.at(-1));
    }
  }
  const fleetN = opt('--fleet-n', 100);
  if (!argv.includes('--no-fleet')) {
    const { runOnStack } = await import('../local/client');
    await runOnStack(
      'bench-scale',
      {
        network: 92,
        instancesPerSlot: fleetN,
        targetOverrides: { deploy: { maxParallel: 10 }, health: { intervalSeconds: 1 } },
      },
      async (stack) => {
        const samples: Sample[] = [];
        for (let i = 0; i < Math.min(runs, 2); i++) samples.push(await fleetRun(stack, 7000 + i, fleetN, 10));
        const perInstance = median(samples.map((s) => s.perInstanceMs ?? NaN));
        lines.push(row(`local stack, real fleet, ${fmt(perInstance)}/deploy measured`, fleetN, 10, samples));
        console.log(lines.at(-1));
      },
    );
  }

  const replay = (k: string) => median(results.get(k)!.map((s) => s.replayMs));
  const whole = (k: string) => median(results.get(k)!.map((s) => s.cpuMs));
  const ratios = [10, 50].map((p) => ({
    p,
    replay: replay(`500/${p}`) / replay(`50/${p}`),
    whole: whole(`500/${p}`) / whole(`50/${p}`),
  }));
  const fan = results.get('500/50')!;
  const fanOut = median(fan.map((s) => s.deployMs / s.idealMs));
  const load = loadavg().map((x) => x.toFixed(1));
  console.log(
    `\nScale of one release, start to awaiting approval (median of ${runs} runs; ${availableParallelism()} cores, load average ${load.join(' ')})`,
  );
  console.log(lines.join('\n'));
  for (const r of ratios) {
    console.log(
      `N500/N50 at maxParallel ${r.p}: replay CPU ${r.replay.toFixed(2)}x, whole-release CPU ${r.whole.toFixed(2)}x (target <= 12)`,
    );
  }
  const cpu = Math.max(...ratios.map((r) => r.whole));
  console.log(`scale: cpu N500/N50 = ${cpu.toFixed(2)}; fan-out N500 p50 = ${fanOut.toFixed(2)} x ideal`);
}

if (require.main === module) {
  runScaleBenchmark(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  });
}
