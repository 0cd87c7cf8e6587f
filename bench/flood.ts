/**
 * Alert → traffic back while Azure DevOps floods the service hook: redeliveries of the baking build and
 * of builds queued behind it, mixed with new builds, sent by a bounded pool of loopback clients in a child process.
 */
import { fork } from 'node:child_process';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { deliverBuild, liveSlot } from '../local/client';
import type { Stack } from '../local/stack';
import { packageRoot } from '../src/adapters/scripts';
import type { FloodDelivery, FloodJob, FloodReport } from './floodWorker';

/** Size of the flood. */
export interface FloodOptions {
  redeliveries: number;
  distinct: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Build id of the first new build (the next ones follow). */
  firstBuildId: number;
  /** Fire the alert once this share of the flood has been sent. */
  alertAt: number;
}

/** What one flood measured and how the hook answered it. */
export interface FloodResult {
  alertToBackMs: number;
  /** Answers that started a release (must equal the new builds: each starts once, whichever delivery came first). */
  started: number;
  /** Answers `duplicate: true` (must equal the redeliveries). */
  duplicates: number;
  failed: number;
  /** 202s that named another release or statusUrl than the build's own (must be 0). */
  wrong: number;
  floodMs: number;
  /** Release id of the newest new build: it runs after the baking release ends. */
  newest: string;
}

/**
 * Alert -> traffic back, timed the same way in every condition: from just before `fire` posts the alert to the
 * moment the ARM stand-in applies the write after which only `before` is enabled (it reports each change as it
 * applies it: no polling, and the alert webhook's own answer is not waited for).
 */
export async function timeRollback(
  stack: Pick<Stack, 'arm'>,
  before: string,
  fire: () => Promise<unknown>,
  timeoutMs = 60_000,
): Promise<number> {
  const t0 = performance.now();
  let stop = (): void => undefined;
  const back = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no rollback to ${before} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const unsubscribe = stack.arm.control.onChange(() => {
      if (liveSlot(stack) === before) {
        const ms = performance.now() - t0;
        stop();
        resolve(ms);
      }
    });
    stop = () => {
      clearTimeout(timer);
      unsubscribe();
    };
  });
  try {
    const [ms] = await Promise.all([back, fire()]);
    return ms;
  } finally {
    stop();
  }
}

/**
 * Floods the hook while `fireAlert` rolls the baking release back; returns once traffic is on `before` and the flood
 * has ended. The flood comes from a child process (bench/floodWorker.ts), so its clients never compete with the
 * host's answers, the ARM stand-in or the timing on one event loop.
 */
export async function alertUnderFlood(
  stack: Stack,
  baking: { buildId: number; number: string },
  before: string,
  fireAlert: () => Promise<unknown>,
  options: FloodOptions,
): Promise<FloodResult> {
  // Jobs: every sixth is a new build; the rest redeliver a build already sent (deterministic choice).
  const sent: FloodDelivery[] = [{ id: baking.buildId, number: baking.number }];
  const deliveries: FloodDelivery[] = [];
  let fresh = 0;
  let again = 0;
  for (let k = 0; fresh < options.distinct || again < options.redeliveries; k++) {
    if ((k % 6 === 0 && fresh < options.distinct) || again >= options.redeliveries) {
      const id = options.firstBuildId + fresh++;
      const build = { id, number: `4.0.${id}` };
      sent.push(build);
      deliveries.push(build);
    } else {
      deliveries.push(sent[(k * 7919) % sent.length]!);
      again++;
    }
  }
  const job: FloodJob = {
    hook: {
      hostUrl: stack.hostUrl,
      functionKey: stack.functionKey,
      serviceHookSecret: stack.serviceHookSecret,
    },
    releasePrefix: 'webapp-b',
    statusBase: `${stack.appEnv.PUBLIC_BASE_URL ?? stack.hostUrl}/api/releases/`,
    deliveries,
    concurrency: options.concurrency,
    alertAfter: Math.floor(deliveries.length * options.alertAt),
  };

  // The compiled worker, also when this file runs from source (jest): like the host, it runs from dist/.
  const child = fork(join(packageRoot(__dirname), 'dist', 'bench', 'floodWorker.js'), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let measured: Promise<number> | undefined;
  const done = new Promise<Extract<FloodReport, { kind: 'done' }>>((resolve, reject) => {
    child.on('message', (m: FloodReport) => {
      if (m.kind === 'alert') measured = timeRollback(stack, before, fireAlert);
      else resolve(m);
    });
    child.once('exit', (code) => reject(new Error(`flood generator exited with ${code} before reporting`)));
  });
  // Azure DevOps never runs on the app's CPU: the generator takes what the host and the stand-ins leave.
  if (child.pid !== undefined) setPriority(child.pid, 10);
  child.send(job);
  try {
    const report = await done;
    if (!measured) throw new Error('the flood generator never reached the alert');
    const alertToBackMs = await measured;
    return {
      alertToBackMs,
      started: report.started,
      duplicates: report.duplicates,
      failed: report.failed,
      wrong: report.wrong,
      floodMs: report.floodMs,
      newest: `webapp-b${options.firstBuildId + options.distinct - 1}`,
    };
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

/** How fast the hook takes in new builds. */
export interface IntakeResult {
  builds: number;
  ms: number;
  perSecond: number;
  failed: number;
  duplicates: number;
  /** Build id of the last build answered 202 (the last raised to the lane, but for a race among those in flight). */
  lastAnswered?: number;
}

/** Delivers `count` new builds (ids from `firstBuildId`), `concurrency` in flight; times the answers. */
export async function intake(
  stack: Stack,
  count: number,
  firstBuildId: number,
  concurrency: number,
): Promise<IntakeResult> {
  let next = 0;
  let failed = 0;
  let duplicates = 0;
  let lastAnswered: number | undefined;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      const id = firstBuildId + next++;
      const answer = await deliverBuild(stack, id, `5.0.${id}`).catch(() => undefined);
      if (!answer || answer.status !== 202) failed++;
      else if (answer.body.duplicate) duplicates++;
      else lastAnswered = id;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ms = performance.now() - t0;
  return {
    builds: count,
    ms,
    perSecond: (count * 1000) / ms,
    failed,
    duplicates,
    ...(lastAnswered !== undefined ? { lastAnswered } : {}),
  };
}
