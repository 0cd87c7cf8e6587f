/**
 * End-to-end harness: the whole local stack (fleet, HTTPS ARM stand-in, the built app on the local
 * Functions host in a child process), driven through HTTP only, as Azure DevOps, an approver and Azure
 * Monitor would drive it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { approvalLinks, freePort } from '../../local/client';
import { localTarget, startStack, type Stack } from '../../local/stack';
import type { CliIo } from '../../src/cli/release';
import type { ReleaseView } from '../../src/core/domain';
import { aBuildCompletePayload } from '../builders/payloads';

export { freePort } from '../../local/client';

async function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * A fleet network octet near `preferred` whose slot addresses are free: each file prefers its own
 * octet, and a second jest run on the same machine (another terminal, CI) moves on to the next free one.
 */
export async function freeNetwork(preferred: number): Promise<number> {
  for (let k = 0; k < 16; k++) {
    const n = 20 + ((preferred - 20 + 5 * k) % 80);
    const free = await Promise.all(
      [1, 2].flatMap((slot) => [1, 10, 11, 12].map((host) => canListen(`127.${n}.${slot}.${host}`, 8080))),
    );
    if (free.every(Boolean)) return n;
  }
  throw new Error(`no free fleet network near 127.${preferred}.x.x (port 8080 taken everywhere)`);
}

/** An HTTP answer with its parsed JSON body (undefined when it was not JSON). */
export interface Answer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
}

/** Options of an end-to-end stack. */
export interface E2eOptions {
  /**
   * Preferred second octet of the fleet's addresses (20..24: one per test file, so parallel workers never
   * collide); the next free one in 20..99 is taken when another run holds it.
   */
  network: number;
  /** Deep-merged into the `webapp` target (short bake, approval timeout, health interval...). */
  targetOverrides?: Record<string, unknown>;
  trafficAndAlerts?: boolean;
  /** The profile's DNS TTL the traffic generator's clients honour; default 2 s (tests do not wait for 30). */
  dnsTtlSeconds?: number;
  /** The `webapp` target's traffic provider (default the Traffic Manager profile). */
  trafficProvider?: 'trafficManager' | 'frontDoor';
  /** Front Door write → edge delay of the stand-in, ms. */
  frontDoorPropagationMs?: number;
}

/** A running stack and the HTTP calls the tests make against it. */
export interface E2e {
  stack: Stack;
  /** Any request to the app; `path` starts with `/api/`; the function key is added. */
  call<T = Record<string, unknown>>(path: string, init?: RequestInit): Promise<Answer<T>>;
  /** Delivers a `build.complete` service hook for target `webapp`. */
  hook(build: { id: number; number: string }): Promise<Answer>;
  /**
   * Delivers the hook of `build`, expects it accepted (202) and waits until its release (`releaseIdOf`) satisfies
   * `predicate`.
   */
  hookAndWait(
    build: { id: number; number: string },
    predicate: (v: ReleaseView) => boolean,
    timeoutMs: number,
  ): Promise<ReleaseView>;
  /**
   * Delivers the hook of `build` with the first instance's run command answered 4 s late, and waits until the
   * release is deploying: it is mid-deploy for those seconds (with `deploy.maxParallel: 1`, the other instances
   * have not started).
   */
  hookMidDeploy(build: { id: number; number: string }): Promise<ReleaseView>;
  release(id: string): Promise<ReleaseView>;
  /** Polls the release until `predicate` holds; fails with the last view and the host log otherwise. */
  waitFor(id: string, predicate: (v: ReleaseView) => boolean, timeoutMs: number): Promise<ReleaseView>;
  /** POSTs a decision as a script does (JSON) to the link the status shows. */
  decide(view: ReleaseView, decision: 'approve' | 'reject', approver: string): Promise<Answer>;
  /** Approves (expects the link to answer 202) and waits until the release satisfies `predicate`. */
  approve(
    view: ReleaseView,
    approver: string,
    predicate: (v: ReleaseView) => boolean,
    timeoutMs: number,
  ): Promise<ReleaseView>;
  /** Instances the ARM stand-in ran the release's deploy run command on, one name per run command. */
  deployRuns(releaseId: string): string[];
  /** The links the notifier sent for the release's current approval round (the fleet's inbox). */
  links(view: ReleaseView): Promise<{ approveUrl: string; rejectUrl: string }>;
  /** The `x-app-version` a slot's load balancer (its Traffic Manager endpoint target) serves. */
  servedVersion(slot: string): Promise<string | null>;
  /** Names of the profile's enabled endpoints in the ARM stand-in. */
  enabled(): string[];
  /** The host's captured output, for failure messages. */
  hostLog(): string;
  close(): Promise<void>;
}

/** Release id the app gives a build of target `webapp` (see submitBuild). */
export function releaseIdOf(buildId: number): string {
  return `webapp-b${buildId}`;
}

/** A release at its approval step (maybe before its round is open), or one that ended before it got there. */
export function atApprovalOrDone(v: ReleaseView): boolean {
  return v.phase === 'awaiting-approval' || v.phase === 'done';
}

/** A release waiting for a decision (its approval round open), or one that ended before it got there. */
export function approvalPendingOrDone(v: ReleaseView): boolean {
  return (v.phase === 'awaiting-approval' && !!v.approval?.pending) || v.phase === 'done';
}

/** The timeline of a release that went through every step and succeeded: `[step, outcome]`. */
export const ALL_STEPS_OK: [string, string][] = [
  ['resolve-slots', 'ok'],
  ['list-instances', 'ok'],
  ['deploy', 'ok'],
  ['verify', 'ok'],
  ['approval', 'ok'],
  ['swap', 'ok'],
  ['bake', 'ok'],
];

async function answer<T>(res: Response): Promise<Answer<T>> {
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: body as T };
}

/**
 * Starts a stack before the file's tests and closes it after them (jest's beforeAll and afterAll, registered
 * here). The handle forwards to the running stack, so it is for use inside tests and hooks.
 */
export function useE2e(options: E2eOptions): E2e {
  let live: E2e | undefined;
  beforeAll(async () => {
    live = await startE2e(options);
  });
  afterAll(async () => {
    await live?.close();
  });
  return new Proxy({} as E2e, {
    get(_target, key) {
      if (!live) throw new Error(`e2e stack not started (${String(key)} read outside a test or hook)`);
      return live[key as keyof E2e];
    },
  });
}

/** Starts a stack on free ports and a fresh data folder; `close()` stops it and removes the folder. */
export async function startE2e(options: E2eOptions): Promise<E2e> {
  const network = await freeNetwork(options.network);
  const dataDir = mkdtempSync(join(tmpdir(), `e2e-${network}-`));
  let stack: Stack;
  try {
    stack = await startStack({
      dataDir,
      hostPort: await freePort(),
      armPort: 0,
      artifactPort: 0,
      controlPort: 0,
      dnsPort: 0,
      edgePort: 0,
      dnsTtlSeconds: options.dnsTtlSeconds ?? 2,
      network,
      targetOverrides: options.targetOverrides ?? {},
      trafficAndAlerts: options.trafficAndAlerts ?? false,
      hostOutput: 'capture',
      ...(options.trafficProvider ? { trafficProvider: options.trafficProvider } : {}),
      ...(options.frontDoorPropagationMs !== undefined
        ? { frontDoorPropagationMs: options.frontDoorPropagationMs }
        : {}),
    });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const s = stack;
  const key = encodeURIComponent(s.functionKey);
  const hostLog = (): string => s.hostLog.join('').split('\n').slice(-80).join('\n');

  const call = async <T>(path: string, init?: RequestInit): Promise<Answer<T>> => {
    const url = `${s.hostUrl}${path}${path.includes('?') ? '&' : '?'}code=${key}`;
    return answer<T>(await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) }));
  };

  const release = async (id: string): Promise<ReleaseView> => {
    const res = await call<ReleaseView>(`/api/releases/${encodeURIComponent(id)}`);
    if (res.status !== 200) throw new Error(`GET release ${id}: ${res.status} ${res.text}`);
    return res.body;
  };

  const waitFor = async (
    id: string,
    predicate: (v: ReleaseView) => boolean,
    timeoutMs: number,
  ): Promise<ReleaseView> => {
    const deadline = Date.now() + timeoutMs;
    let last: ReleaseView | undefined;
    let lastError: unknown;
    for (;;) {
      try {
        last = await release(id);
        if (predicate(last)) return last;
      } catch (err) {
        // 404 until the orchestration has written its first status; a restarting host refuses connections.
        lastError = err;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `release ${id}: condition not reached within ${timeoutMs} ms; last view:\n` +
            `${JSON.stringify(last ?? String(lastError), null, 2)}\nhost log (tail):\n${hostLog()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  const hook = (build: { id: number; number: string }): Promise<Answer> =>
    call('/api/hooks/devops/webapp', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`devops:${s.serviceHookSecret}`).toString('base64')}`,
      },
      body: JSON.stringify(aBuildCompletePayload({ id: build.id, buildNumber: build.number })),
    });

  const hookAndWait = async (
    build: { id: number; number: string },
    predicate: (v: ReleaseView) => boolean,
    timeoutMs: number,
  ): Promise<ReleaseView> => {
    expect((await hook(build)).status).toBe(202);
    return waitFor(releaseIdOf(build.id), predicate, timeoutMs);
  };

  const decide = async (
    view: ReleaseView,
    decision: 'approve' | 'reject',
    approver: string,
  ): Promise<Answer> => {
    // The links reach people through the notifier only (here the fleet's inbox), never the status API.
    const links = await approvalLinks(s, view);
    const link = decision === 'approve' ? links.approveUrl : links.rejectUrl;
    // The link is the credential: no function key.
    const res = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ approver }),
      signal: AbortSignal.timeout(15_000),
    });
    return answer(res);
  };

  return {
    stack: s,
    call,
    hook,
    hookAndWait,
    async hookMidDeploy(build) {
      s.arm.control.addFault({
        method: 'PUT',
        path: `/runCommands/deploy-${releaseIdOf(build.id)}$`,
        count: 1,
        delayMs: 4000,
      });
      return hookAndWait(
        build,
        (v) => v.phase === 'deploying' && v.timeline.at(-1)?.step === 'deploy',
        30_000,
      );
    },
    release,
    waitFor,
    links: (view) => approvalLinks(s, view),
    decide,
    async approve(view, approver, predicate, timeoutMs) {
      expect((await decide(view, 'approve', approver)).status).toBe(202);
      return waitFor(view.id, predicate, timeoutMs);
    },
    deployRuns: (releaseId) =>
      s.arm.control
        .runCommands()
        .filter((r) => r.name === `deploy-${releaseId}`)
        .map((r) => r.instanceName),
    async servedVersion(slot) {
      const t = s.fleet.topology.slots.find((x) => x.name === slot);
      if (!t) throw new Error(`no slot ${slot}`);
      const res = await fetch(`http://${t.endpointTarget}:${t.port}/health`, {
        signal: AbortSignal.timeout(5_000),
      });
      await res.arrayBuffer();
      return res.headers.get('x-app-version');
    },
    enabled: () =>
      s.arm.control
        .profile()
        .properties.endpoints.filter((e) => e.properties.endpointStatus === 'Enabled')
        .map((e) => e.name)
        .sort(),
    hostLog,
    async close() {
      try {
        await s.close();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** ARM requests that wrote an endpoint of the profile: `[endpoint, endpointStatus]` in arrival order. */
export function endpointWrites(stack: Stack, sinceSeq = 0): [string, string][] {
  return stack.arm.control
    .requests(sinceSeq)
    .filter((r) => /\/(azureEndpoints|externalEndpoints|nestedEndpoints)\//i.test(r.path))
    .filter((r) => r.method === 'PATCH' || r.method === 'PUT')
    .filter((r) => r.status < 300)
    .map((r) => {
      const body = r.body as { properties?: { endpointStatus?: string } } | undefined;
      return [r.path.split('/').pop() ?? '', body?.properties?.endpointStatus ?? '?'];
    });
}

/** ARM requests that wrote a Front Door origin: `[origin, enabledState]` in arrival order. */
export function originWrites(stack: Stack, sinceSeq = 0): [string, string][] {
  return stack.arm.control
    .requests(sinceSeq)
    .filter((r) => /\/originGroups\/[^/]+\/origins\/[^/]+$/i.test(r.path))
    .filter((r) => r.method === 'PATCH' || r.method === 'PUT')
    .filter((r) => r.status < 300)
    .map((r) => {
      const body = r.body as { properties?: { enabledState?: string } } | undefined;
      return [r.path.split('/').pop() ?? '', body?.properties?.enabledState ?? '?'];
    });
}

/** Successful run command PUTs per fleet instance (what the app asked ARM to run). */
export function runCommandPuts(stack: Stack, sinceSeq = 0): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of stack.arm.control.requests(sinceSeq)) {
    const m = /virtualMachineScaleSets\/([^/]+)\/virtualMachines\/([^/]+)\/runCommands\/[^/]+$/i.exec(r.path);
    if (!m || r.method !== 'PUT' || r.status >= 300) continue;
    const name = `${m[1]}_${m[2]}`;
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

/** Highest request sequence number so far, to look only at what a scenario caused. */
export function lastSeq(stack: Stack): number {
  const all = stack.arm.control.requests();
  return all.length ? all[all.length - 1]!.seq : 0;
}

/**
 * Changes app settings (`undefined` removes one) and restarts the app on the same durable state, as Azure
 * restarts a function app on a settings change or a deployment.
 */
export async function restartWithSettings(
  e2e: E2e,
  settings: Record<string, string | undefined>,
): Promise<void> {
  for (const [name, value] of Object.entries(settings)) {
    if (value === undefined) delete e2e.stack.appEnv[name];
    else e2e.stack.appEnv[name] = value;
  }
  await e2e.stack.killHost('SIGTERM');
  await e2e.stack.startHost();
}

/**
 * Changes the `webapp` target as an operator changes the app setting RELEASE_TARGETS, and restarts the
 * app (Azure restarts a function app on a settings change). Releases already running keep the target
 * they started with; new ones get this one.
 */
export async function restartWithTarget(e2e: E2e, overrides: Record<string, unknown>): Promise<void> {
  await restartWithSettings(e2e, {
    RELEASE_TARGETS: JSON.stringify([localTarget(e2e.stack.fleet, overrides)]),
  });
}

/** A CLI io that keeps what the CLI prints (not a terminal; real time). */
export function capturedCliIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
    isTTY: false,
    now: () => new Date(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
}

/** Asserts every instance of the slot ran the deploy once since `sinceSeq`: asked once, executed once. */
export function expectOneRunPerInstance(stack: Stack, sinceSeq: number, slot: string): void {
  const names = stack.fleet.topology.slots
    .find((s) => s.name === slot)!
    .instances.map((i) => i.name)
    .sort();
  expect(runCommandPuts(stack, sinceSeq)).toEqual(Object.fromEntries(names.map((n) => [n, 1])));
  expect(
    stack.arm.control
      .runCommands()
      .filter((r) => names.includes(r.instanceName))
      .map((r) => [r.instanceName, r.executions])
      .sort(),
  ).toEqual(names.map((n) => [n, 1]));
}
