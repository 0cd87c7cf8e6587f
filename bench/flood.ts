/**
 * Alert → traffic back while Azure DevOps floods the service hook: redeliveries of the baking build and
 * of builds queued behind it, mixed with new builds, sent by a bounded pool of loopback clients.
 */
import { deliverBuild, liveSlot } from '../local/client';
import type { Stack } from '../local/stack';

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
  floodMs: number;
  /** Release id of the newest new build: it runs after the baking release ends. */
  newest: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Floods the hook while `fireAlert` rolls the baking release back; returns once traffic is on `before` and the flood has ended. */
export async function alertUnderFlood(
  stack: Stack,
  baking: { buildId: number; number: string },
  before: string,
  fireAlert: () => Promise<unknown>,
  options: FloodOptions,
): Promise<FloodResult> {
  // Jobs: every sixth is a new build; the rest redeliver a build already sent (deterministic choice).
  type Job = { id: number; number: string };
  const sent: { id: number; number: string }[] = [{ id: baking.buildId, number: baking.number }];
  const jobs: Job[] = [];
  let fresh = 0;
  let again = 0;
  for (let k = 0; fresh < options.distinct || again < options.redeliveries; k++) {
    if ((k % 6 === 0 && fresh < options.distinct) || again >= options.redeliveries) {
      const id = options.firstBuildId + fresh++;
      const build = { id, number: `4.0.${id}` };
      sent.push(build);
      jobs.push(build);
    } else {
      jobs.push(sent[(k * 7919) % sent.length]!);
      again++;
    }
  }

  const result: FloodResult = {
    alertToBackMs: NaN,
    started: 0,
    duplicates: 0,
    failed: 0,
    floodMs: 0,
    newest: `webapp-b${options.firstBuildId + options.distinct - 1}`,
  };
  const alertAfter = Math.floor(jobs.length * options.alertAt);
  let next = 0;
  let alerted: Promise<void> | undefined;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const index = next++;
      if (index === alertAfter) alerted = measureAlert();
      const job = jobs[index]!;
      const answer = await deliverBuild(stack, job.id, job.number).catch(() => undefined);
      if (!answer || answer.status !== 202) result.failed++;
      else if (answer.body.duplicate) result.duplicates++;
      else result.started++;
    }
  };
  const measureAlert = async (): Promise<void> => {
    const t = performance.now();
    await fireAlert();
    while (liveSlot(stack) !== before) {
      if (performance.now() - t > 60_000) throw new Error('no rollback within 60 s under the flood');
      await sleep(2);
    }
    result.alertToBackMs = performance.now() - t;
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  result.floodMs = performance.now() - t0;
  await alerted;
  return result;
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
