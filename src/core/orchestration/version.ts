/**
 * Orchestration versions: how orchestrator code changes without breaking releases in flight.
 *
 * Durable Functions stamps every new orchestration (and sub-orchestration) with `host.json`
 * `extensions.durableTask.defaultVersion` when it is created; the instance keeps that version for life
 * (`context.df.version`), and a worker only runs instances whose version is not newer than its own
 * (`versionMatchStrategy: CurrentOrOlder`). So a change is gated on the instance's version: instances
 * created before it keep replaying the old steps, new ones take the new steps.
 * https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-orchestration-versioning
 *
 * To change orchestrator code: add a version below, make it `CURRENT_ORCHESTRATION_VERSION`, set the same string
 * as `defaultVersion` in host.json (a test keeps them equal), and gate the change with `atLeast`. Never edit
 * the old path; delete it once no running instance has an older version (README, "Changing orchestrator code").
 */
import type { OrchestrationContext } from 'durable-functions';

/** Each version that changed what an orchestrator does, oldest first, with what changed. */
export const OrchestrationVersions = {
  /** The first versioned code; instances without a version (started before versioning) run the same steps. */
  Initial: '1.0',
  /** The release sends a `swapped` notification between the swap and the bake. */
  SwappedNotice: '2.0',
  /** The release deploys through DeployChunk sub-orchestrations (a sliding window) instead of batches. */
  DeployChunks: '3.0',
  /** The release reads its target's freeze before the swap (ReadFreeze) and holds the swap while it is frozen. */
  FreezeHold: '3.1',
  /** After a swap's bake (and after a rollback) the release records when clients followed (ObserveCutover). */
  CutoverObserved: '3.2',
  /** A release takes `CancelRequested` before its swap (deploy, verify, approval stop on it) and ends Cancelled. */
  Cancel: '3.3',
} as const;

/** The version new instances get: host.json `defaultVersion` must be this. */
export const CURRENT_ORCHESTRATION_VERSION: string = OrchestrationVersions.Cancel;

/** `System.Version.TryParse`: 2 to 4 dot-separated non-negative 32-bit integers. */
function parseDotNetVersion(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length < 2 || parts.length > 4) return undefined;
  const numbers: number[] = [];
  for (const part of parts) {
    if (!/^\s*\+?\d+\s*$/.test(part)) return undefined;
    const n = Number(part.trim());
    if (n > 2_147_483_647) return undefined;
    numbers.push(n);
  }
  return numbers;
}

/**
 * Durable Task's version comparison (`VersioningSettings.CompareVersions`), the one the runtime applies to
 * `versionMatchStrategy`: empty versions are equal and older than any defined one; two `System.Version`
 * strings (`1.0`, `2.1.3`) compare numerically, a missing build or revision before a present one; anything
 * else compares as text, ignoring case. Negative: `a` is older.
 */
export function compareVersions(a: string | null | undefined, b: string | null | undefined): number {
  const emptyA = !a || a.trim() === '';
  const emptyB = !b || b.trim() === '';
  if (emptyA && emptyB) return 0;
  if (emptyA) return -1;
  if (emptyB) return 1;
  const va = parseDotNetVersion(a);
  const vb = parseDotNetVersion(b);
  if (va && vb) {
    for (let i = 0; i < 4; i++) {
      // System.Version leaves an absent build/revision at -1, so 1.0 < 1.0.0.
      const x = va[i] ?? -1;
      const y = vb[i] ?? -1;
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  }
  const ua = a.toUpperCase();
  const ub = b.toUpperCase();
  return ua === ub ? 0 : ua < ub ? -1 : 1;
}

/** True when this instance was created at `version` or later: it takes the code paths that version added. */
export function atLeast(context: OrchestrationContext, version: string): boolean {
  return compareVersions(context.df.version, version) >= 0;
}

/**
 * For orchestrations that live by `continueAsNew` (the lane): Durable keeps the instance's version across
 * `continueAsNew`, so `atLeast` would hold such an instance on its first version for ever. Each generation starts
 * from an empty history, though, so it may take new code as soon as it begins: pass the version of the code that
 * wrote this generation's input (`CURRENT_ORCHESTRATION_VERSION`, stored in the state handed to `continueAsNew`).
 * True when the instance or the generation is at `version` or later.
 */
export function generationAtLeast(
  context: OrchestrationContext,
  writtenBy: string | undefined,
  version: string,
): boolean {
  return atLeast(context, version) || compareVersions(writtenBy, version) >= 0;
}
