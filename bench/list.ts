/**
 * Benchmark: the release list at 10,000 instances in the task hub. The app (its real HTTP function,
 * durable client and list code) on the local host over a SQLite task hub filled with finished releases
 * of two targets, their build receipts and manual rollbacks. Prints p50 / p90 of `GET /api/releases`
 * for a first page, a page deep in the history, and filters. `node dist/bench/list.js [instances]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../local/host/clock';
import { SqliteStore } from '../local/host/durable/sqliteStore';
import type { InstanceRecord } from '../local/host/durable/types';
import { createTestHost } from '../local/host/host';
import { FakeWorld } from '../src/adapters/fake/world';
import { fakeAppDeps } from '../src/adapters/fake/appDeps';
import { TRAFFIC_PROVIDERS } from '../src/adapters/traffic/factory';
import { loadConfig as loadWith } from '../src/core/config/load';

const loadConfig = (env: NodeJS.ProcessEnv) => loadWith(env, TRAFFIC_PROVIDERS);
import type { ReleaseView, TargetConfig } from '../src/core/domain';
import { InstanceIds, Orchestrations } from '../src/core/names';
import { registerApp } from '../src/functions';

const SUB = '11111111-2222-3333-4444-555555555555';
const rg = `/subscriptions/${SUB}/resourceGroups/rg-web`;
const profileId = `${rg}/providers/Microsoft.Network/trafficManagerProfiles/tm-web`;
const vmss = (n: string) => `${rg}/providers/Microsoft.Compute/virtualMachineScaleSets/${n}`;
const TARGETS = ['webapp', 'api'];
const T0 = Date.UTC(2026, 0, 1);

/** A finished release's output as the release orchestration leaves it: 3 instances, a full timeline. */
function releaseOutput(target: string, build: number, at: number): ReleaseView {
  const iso = (ms: number) => new Date(at + ms).toISOString();
  const step = (name: string, from: number, to: number) => ({
    step: name,
    startedAt: iso(from),
    endedAt: iso(to),
    durationMs: to - from,
    outcome: 'ok',
    detail: `${name} of build 1.0.${build}`,
  });
  return {
    id: InstanceIds.release(target, String(build)),
    target,
    status: build % 7 === 0 ? 'RolledBack' : 'Succeeded',
    phase: 'done',
    build: {
      id: String(build),
      number: `1.0.${build}`,
      pipeline: `${target}-ci`,
      branch: 'refs/heads/main',
      commit: '6e12f6141917f66a2964af55952ee33914d2d91f',
      requestedBy: 'Jack Fabrikam',
      url: `https://dev.azure.com/fabrikam/web/_build/results?buildId=${build}`,
      source: 'build.complete',
    },
    productionSlot: build % 2 ? 'blue' : 'green',
    stagingSlot: build % 2 ? 'green' : 'blue',
    liveSlot: build % 2 ? 'green' : 'blue',
    deploy: {
      instances: [0, 1, 2].map((i) => ({
        instance: `vmss-green_${i}`,
        exitCode: 0,
        outputTail: `deployed 1.0.${build}\n`.repeat(20),
      })),
    },
    timeline: [
      step('resolve-slots', 0, 200),
      step('deploy', 200, 30_000),
      step('verify', 30_000, 35_000),
      step('approval', 35_000, 600_000),
      step('swap', 600_000, 600_400),
      step('bake', 600_400, 1_500_000),
    ],
    createdAt: iso(0),
    updatedAt: iso(1_500_000),
  } as unknown as ReleaseView;
}

function instance(id: string, name: string, at: number, input: unknown, output: unknown): InstanceRecord {
  return {
    instanceId: id,
    name,
    executionId: 'e',
    status: 'Completed',
    input: JSON.stringify(input),
    output: JSON.stringify(output),
    customStatus: null,
    createdTime: at,
    lastUpdatedTime: at + 1_500_000,
    parent: null,
    state: { nextSeq: 0, leafIds: [], retries: [] },
  };
}

/**
 * Fills the store with `total` instances: per build a release (its input carries the whole target, as the
 * lane's ReleaseInput does) and its receipt, some manual rollbacks.
 */
function fill(store: SqliteStore, total: number, targets: readonly TargetConfig[]): void {
  const rows: InstanceRecord[] = [];
  for (let n = 0; rows.length < total; n++) {
    const target = TARGETS[n % TARGETS.length]!;
    const build = 1000 + n;
    const at = T0 + n * 3_600_000;
    const view = releaseOutput(target, build, at);
    const input = {
      releaseId: view.id,
      target: targets.find((t) => t.name === target),
      build: view.build,
      receivedAt: view.createdAt,
      actedAlerts: [],
    };
    rows.push(instance(view.id, Orchestrations.Release, at, input, view));
    const receipt = { releaseId: view.id, target, build: view.build, receivedAt: view.createdAt };
    rows.push(instance(InstanceIds.accepted(view.id), Orchestrations.Accepted, at, receipt, receipt));
    if (view.status === 'RolledBack' && rows.length < total) {
      const rollback = {
        ok: true,
        requestedBy: 'ops',
        requestedAt: view.updatedAt,
        trafficBackAt: view.updatedAt,
      };
      rows.push(
        instance(InstanceIds.manualRollback(view.id), Orchestrations.ManualRollback, at, {}, rollback),
      );
    }
  }
  for (let i = 0; i < rows.length; i += 500) store.commit({ putInstances: rows.slice(i, i + 500) });
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))]!;
}

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 10_000);
  const dir = mkdtempSync(join(tmpdir(), 'bench-list-'));
  const store = new SqliteStore(dir);
  const world = new FakeWorld({
    profileId,
    slots: [
      { name: 'blue', computeId: vmss('vmss-blue'), instances: 3 },
      { name: 'green', computeId: vmss('vmss-green'), instances: 3 },
    ],
  });
  const config = loadConfig({
    RELEASE_TARGETS: JSON.stringify(
      TARGETS.map((name) => ({
        name,
        traffic: { kind: 'trafficManager', profileId },
        slots: [
          { name: 'blue', compute: { kind: 'vmss', resourceId: vmss('vmss-blue') } },
          { name: 'green', compute: { kind: 'vmss', resourceId: vmss('vmss-green') } },
        ],
        artifactUrlTemplate: 'https://artifacts.example.com/web/{number}/app.zip',
        deploy: { scriptKind: 'linux' },
      })),
    ),
    SERVICE_HOOK_SECRET: 'service-hook-secret-0123456789',
    APPROVAL_SIGNING_KEY: 'approval-signing-key-0123456789abcdef0123456789',
    PUBLIC_BASE_URL: 'https://release.example.com',
  });
  fill(store, total, config.targets);
  const clock = new ManualClock(T0 + 400 * 86_400_000);
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const deps = fakeAppDeps(world, config, { now: () => new Date(clock.now()) }, quiet);
  const host = await createTestHost({ register: () => registerApp(() => deps), store, clock });
  try {
    const get = async (query: string) => {
      const t = performance.now();
      const cpu = process.cpuUsage();
      const res = await host.fetch(`/api/releases${query}`);
      const body = (await res.json()) as { releases: unknown[]; continuationToken?: string };
      if (res.status !== 200)
        throw new Error(`GET /api/releases${query}: ${res.status} ${JSON.stringify(body)}`);
      const used = process.cpuUsage(cpu);
      return { ms: performance.now() - t, cpuMs: (used.user + used.system) / 1000, body };
    };
    // A token 20 pages deep into webapp's history.
    let deep = '';
    for (let i = 0; i < 20; i++) {
      const { body } = await get(`?target=webapp&limit=50${deep ? `&continuationToken=${deep}` : ''}`);
      deep = encodeURIComponent(body.continuationToken ?? '');
    }
    const cases: [string, string][] = [
      ['first page, target, limit=50', '?target=webapp&limit=50'],
      ['page 21 of the same (continuationToken)', `?target=webapp&limit=50&continuationToken=${deep}`],
      ['no filter, limit=50', '?limit=50'],
      [
        'target + status=Succeeded + created range',
        '?target=api&status=Succeeded&createdFrom=2026-03-01&createdTo=2026-06-01&limit=50',
      ],
      ['status=Queued (none queued)', '?status=Queued&limit=50'],
    ];
    console.log(
      `\nRelease list at ${total.toLocaleString('en')} instances in the task hub (SQLite, over HTTP)`,
    );
    for (const [name, query] of cases) {
      for (let i = 0; i < 5; i++) await get(query); // warm
      const times: number[] = [];
      const cpu: number[] = [];
      let n = 0;
      for (let i = 0; i < 40; i++) {
        const { ms, cpuMs, body } = await get(query);
        times.push(ms);
        cpu.push(cpuMs);
        n = body.releases.length;
      }
      const f = (x: number) => `${x.toFixed(1).padStart(6)} ms`;
      console.log(
        `GET /api/releases ${name.padEnd(43)} n=40  p50 ${f(percentile(times, 0.5))}  p90 ${f(percentile(times, 0.9))}  cpu p50 ${f(percentile(cpu, 0.5))}  (${n} releases)`,
      );
    }
    // The host and the app share this process: its CPU time per request is the work done, whatever the load.
    console.log(`target: p50 <= 50 ms (load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores)`);
  } finally {
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
