import type {
  BuildInfo,
  EndedFreeze,
  ReleasePhase,
  ReleaseStatus,
  ReleaseView,
  TargetConfig,
  TargetFreeze,
} from '../domain';
import { InstanceIds, Orchestrations } from '../names';
import type { LaneStatus } from '../orchestration/contracts';
import type { Clock } from '../ports/clock';
import type { TrafficRouters } from '../ports/traffic';
import type { InstanceStatus, ReleaseClient } from './client';
import { readRelease, releaseView } from './views';

/** One slot of a target: the build its last deploy put there, and by which release. */
export interface SlotView {
  name: string;
  /** null when no release on record deployed to it. */
  build: BuildInfo | null;
  release: string | null;
}

/** The release a target's lane runs now. */
export interface RunningView {
  id: string;
  status: ReleaseStatus;
  phase: ReleasePhase;
  build: BuildInfo;
}

/** A target as the console shows it. */
export interface TargetView {
  name: string;
  /** The slot whose endpoint is enabled at the traffic provider, read now; null when not exactly one is. */
  liveSlot: string | null;
  /** Why `liveSlot` is null: the profile's state or the read's error. */
  liveSlotProblem?: string;
  slots: SlotView[];
  running: RunningView | null;
  /** True while the target is frozen (`freeze` says who, when, why, until when). */
  frozen: boolean;
  /** The freeze in force, or null. */
  freeze: TargetFreeze | null;
  /** The freeze that ended last (who or what ended it, when), when there was one. */
  lastFreeze?: EndedFreeze;
}

/** How far back the slots' builds are looked for, widening until every slot has one (days; last: all). */
const LOOKBACK_DAYS = [1, 7, 30, undefined] as const;

/** The enabled slot of the profile, read only. */
async function liveSlotOf(
  traffic: TrafficRouters,
  target: TargetConfig,
): Promise<Pick<TargetView, 'liveSlot' | 'liveSlotProblem'>> {
  try {
    const profile = await traffic(target.traffic).read();
    const enabled = target.slots.filter((s) =>
      profile.endpoints.some((e) => e.enabled && e.name.toLowerCase() === s.name.toLowerCase()),
    );
    if (enabled.length === 1) return { liveSlot: enabled[0]!.name };
    const state = enabled.length === 0 ? 'no slot endpoint is enabled' : 'both slot endpoints are enabled';
    return { liveSlot: null, liveSlotProblem: `${state} in ${target.traffic.resource}` };
  } catch (err) {
    const cause = err instanceof Error ? err.message : String(err);
    return { liveSlot: null, liveSlotProblem: `reading ${target.traffic.resource}: ${cause}` };
  }
}

/** Releases of the target created since `from` (all without it), newest first. */
async function releasesSince(
  client: ReleaseClient,
  target: string,
  from: Date | undefined,
): Promise<ReleaseView[]> {
  const found: InstanceStatus[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await client.query({
      instanceIdPrefix: InstanceIds.release(target, ''),
      ...(from ? { createdTimeFrom: from } : {}),
      pageSize: 100,
      ...(continuationToken ? { continuationToken } : {}),
    });
    found.push(...page.instances.filter((s) => s.name === Orchestrations.Release));
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return found
    .map((s) => releaseView(s))
    .filter((v) => v.target === target)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** Per slot, the newest release that ran its deploy there (whatever it ended as). */
async function slotsOf(client: ReleaseClient, clock: Clock, target: TargetConfig): Promise<SlotView[]> {
  let slots: SlotView[] = target.slots.map((s) => ({ name: s.name, build: null, release: null }));
  for (const days of LOOKBACK_DAYS) {
    const from = days === undefined ? undefined : new Date(clock.now().getTime() - days * 86_400_000);
    const releases = await releasesSince(client, target.name, from);
    slots = target.slots.map((s) => {
      const last = releases.find(
        (v) => v.stagingSlot === s.name && v.timeline.some((t) => t.step === 'deploy'),
      );
      return { name: s.name, build: last?.build ?? null, release: last?.id ?? null };
    });
    if (slots.every((s) => s.build)) break;
  }
  return slots;
}

/** The lane's current release (a manual rollback shows as the release it rolls back). */
async function runningOf(client: ReleaseClient, lane: LaneStatus | undefined): Promise<RunningView | null> {
  if (!lane?.current) return null;
  let id = lane.current;
  const current = await client.get(id);
  if (current?.name === Orchestrations.ManualRollback) id = id.slice(0, -'-rollback'.length);
  const view = await readRelease(client, id);
  if (!view) return null;
  return { id: view.id, status: view.status, phase: view.phase, build: view.build };
}

/**
 * Every configured target with its live slot (the traffic provider, read now, never written), the build on
 * each slot (from its releases, newest first), the release its lane runs, and whether it is frozen.
 */
export async function listTargets(
  client: ReleaseClient,
  clock: Clock,
  traffic: TrafficRouters,
  targets: readonly TargetConfig[],
): Promise<TargetView[]> {
  return Promise.all(
    targets.map(async (target) => {
      const lane = (await client.get(InstanceIds.lane(target.name)))?.customStatus as LaneStatus | undefined;
      const [live, slots, running] = await Promise.all([
        liveSlotOf(traffic, target),
        slotsOf(client, clock, target),
        runningOf(client, lane),
      ]);
      return {
        name: target.name,
        ...live,
        slots,
        running,
        // Lanes of code older than freezing publish no freeze: not frozen.
        frozen: Boolean(lane?.frozen),
        freeze: lane?.frozen ?? null,
        ...(lane?.lastFreeze ? { lastFreeze: lane.lastFreeze } : {}),
      };
    }),
  );
}
