import type { OrchestrationContext, Task } from 'durable-functions';
import { expectedVersion } from '../../activities/parameters';
import type { InstanceProbe, ReleaseWarning, RunResult } from '../../domain';
import { Activities } from '../../names';
import { callActivity, resultOf, type TypedTask } from '../calls';
import type { ReleaseInput, VerifyInstancesInput, VerifyResult, VerifySlotInput } from '../contracts';
import type { ReleaseTracker } from '../tracker';
import type { DeployOutcome } from './deploy';
import type { NewerBuildWatch } from './supersede';

/** Longest wait between two health probes. */
const MAX_BACKOFF_SECONDS = 60;

/**
 * Probes the staging slot's own URL and every staging instance directly on its private address until each
 * is healthy and reports the new version, with exponential backoff on durable timers (a crash between attempts
 * resumes the count). An instance that failed to deploy, never reports the new version or cannot be reached
 * counts against `deploy.maxFailures`; more than that fails the release. Going on with some of them adds a
 * `mixed-versions` warning, which the approval page and every notification show.
 */
export function* verify(
  ctx: OrchestrationContext,
  input: ReleaseInput,
  r: ReleaseTracker,
  deployed: DeployOutcome,
  watch: NewerBuildWatch,
): Generator<Task, boolean | 'superseded', unknown> {
  const { target, build, releaseId } = input;
  const { slots, instances } = deployed;
  const slot = target.slots.find((s) => s.name === slots.staging)!;
  const { attempts, intervalSeconds } = target.health;
  const { maxFailures } = target.deploy;
  const expected = expectedVersion(target, build);
  const deployFailed = new Set(
    (r.view.deploy?.instances ?? []).filter((x) => !x.succeeded).map((x) => x.instance),
  );
  r.phase('verifying', 'verify', `slot ${slot.name} and its ${instances.length} instance(s)`);

  const probes = new Map<string, InstanceProbe>();
  // Instances that failed to deploy are probed once, to say what they still serve; the others until they pass.
  let pending = instances;
  let slotResult: VerifyResult | undefined;
  let attempt = 0;
  for (attempt = 1; attempt <= attempts; attempt++) {
    // Scheduled in this order (slot, then instances), as before: the history depends on it.
    let slotTask: TypedTask<VerifyResult> | undefined;
    let instancesTask: TypedTask<InstanceProbe[]> | undefined;
    if (!slotResult?.ok) {
      const slotInput: VerifySlotInput = {
        releaseId,
        target,
        build,
        slot,
        endpointTarget: slots.endpointTargets[slot.name],
      };
      slotTask = callActivity(ctx, Activities.VerifySlot, slotInput);
    }
    if (pending.length > 0) {
      const instancesInput: VerifyInstancesInput = {
        releaseId,
        target,
        build,
        slot: slot.name,
        instances: pending,
      };
      instancesTask = callActivity(ctx, Activities.VerifyInstances, instancesInput);
    }
    const tasks = [slotTask, instancesTask].filter((t): t is NonNullable<typeof t> => t !== undefined);
    // A newer build stops verifying at once: the probes are reads, nothing waits for them.
    const probing = ctx.df.Task.all(tasks);
    if ((yield ctx.df.Task.any([probing, watch.wait()])) !== probing || watch.arrived()) {
      return stopVerifying(r, watch);
    }
    // `probing` completed, so each of its tasks did.
    if (!slotResult?.ok) slotResult = resultOf(slotTask!);
    if (instancesTask) for (const p of resultOf(instancesTask)) probes.set(p.instance, p);

    pending = instances.filter((i) => !deployFailed.has(i.name) && !probes.get(i.name)?.ok);
    const bad = badInstances(instances, probes, deployFailed);
    const slotOk = slotPasses(slotResult, bad, probes, maxFailures);
    r.view.verify = verifyView(slotResult, attempt, slotOk && bad.length <= maxFailures, instances, probes);
    r.publish();
    if (slotOk && pending.length === 0) break;
    if (attempt < attempts) {
      const delay = Math.min(intervalSeconds * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS);
      const timer = ctx.df.createTimer(new Date(r.nowMs() + delay * 1000));
      if ((yield ctx.df.Task.any([timer, watch.wait()])) !== timer) {
        timer.cancel();
        return stopVerifying(r, watch);
      }
    }
  }
  const tries = Math.min(attempt, attempts);
  const bad = badInstances(instances, probes, deployFailed);
  const slotOk = !!slotResult && slotPasses(slotResult, bad, probes, maxFailures);

  if (!slotOk) {
    r.fail({
      step: 'verify',
      resource: slotResult?.url ?? `slot ${slot.name}`,
      message: `staging did not pass its health check after ${tries} attempt(s): ${slotResult?.detail ?? 'no probe ran'}`,
    });
    return false;
  }
  const summary = versionSummary(instances.length, expected, bad, probes);
  if (bad.length > maxFailures) {
    r.fail({
      step: 'verify',
      resource: `slot ${slot.name}`,
      message:
        `${bad.length} instance(s) not on ${expected} after ${tries} attempt(s), ${maxFailures} tolerated: ${summary}; ` +
        bad.map((name) => `${name} (${badReason(name, probes, r.view.deploy?.instances)})`).join(', '),
    });
    return false;
  }
  if (bad.length > 0) {
    const warning: ReleaseWarning = { code: 'mixed-versions', message: summary, instances: bad };
    r.view.warnings = [...(r.view.warnings ?? []).filter((w) => w.code !== warning.code), warning];
    r.end('ok', `${summary} (${bad.length} tolerated) after ${tries} attempt(s)`);
    return true;
  }
  r.end(
    'ok',
    `healthy, version ${expected} on all ${instances.length} instance(s) after ${tries} attempt(s)`,
  );
  return true;
}

/** Closes the verify step for a newer build; the release ends Superseded. */
function stopVerifying(r: ReleaseTracker, watch: NewerBuildWatch): 'superseded' {
  r.end('skipped', `stopped: superseded by ${watch.arrived()!.releaseId}`);
  return 'superseded';
}

/**
 * The slot's own URL passes when it reports the new version, or, while the old instances are within the
 * tolerance, when it landed on one of them: healthy and reporting a version one of those instances reports.
 */
function slotPasses(
  slot: VerifyResult,
  bad: string[],
  probes: Map<string, InstanceProbe>,
  maxFailures: number,
): boolean {
  if (slot.ok) return true;
  if (slot.healthy !== true || slot.version === undefined || bad.length > maxFailures) return false;
  return bad.some((name) => probes.get(name)?.version === slot.version);
}

/** Instances not verified on the new version: failed to deploy, wrong version, unhealthy or unreachable. */
function badInstances(
  instances: { name: string }[],
  probes: Map<string, InstanceProbe>,
  deployFailed: Set<string>,
): string[] {
  return instances.map((i) => i.name).filter((name) => deployFailed.has(name) || !probes.get(name)?.ok);
}

/** "5 of 6 instances on 2.0.1; 1 still on 1.9.7" (plus those that answered no version). */
export function versionSummary(
  total: number,
  expected: string,
  bad: string[],
  probes: Map<string, InstanceProbe>,
): string {
  const byVersion = new Map<string, number>();
  let silent = 0;
  for (const name of bad) {
    const p = probes.get(name);
    // A failed deploy that still reports the new version is not counted as on it: its install is suspect.
    const version = p?.version !== undefined && p.version !== expected ? p.version : undefined;
    if (version === undefined) silent++;
    else byVersion.set(version, (byVersion.get(version) ?? 0) + 1);
  }
  const parts = [...byVersion.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([v, n]) => `${n} still on ${v}`);
  if (silent > 0) parts.push(`${silent} not verified`);
  const good = total - bad.length;
  return `${good} of ${total} instance${total === 1 ? '' : 's'} on ${expected}${parts.length ? `; ${parts.join(', ')}` : ''}`;
}

function badReason(name: string, probes: Map<string, InstanceProbe>, runs: RunResult[] | undefined): string {
  const run = runs?.find((x) => x.instance === name);
  const probe = probes.get(name);
  const parts = [];
  if (run && !run.succeeded) parts.push(`deploy exit ${run.exitCode}`);
  if (probe) parts.push(probe.detail);
  return parts.join('; ') || 'not probed';
}

/** The verify part of the status: the slot's probe and each instance's, failures last. */
function verifyView(
  slot: VerifyResult,
  attempts: number,
  ok: boolean,
  instances: { name: string }[],
  probes: Map<string, InstanceProbe>,
) {
  const list = instances.map((i) => probes.get(i.name)).filter((p): p is InstanceProbe => p !== undefined);
  return {
    url: slot.url,
    ...(slot.version !== undefined ? { version: slot.version } : {}),
    attempts,
    ok,
    detail: slot.detail,
    instances: [...list.filter((p) => p.ok), ...list.filter((p) => !p.ok)],
  };
}
