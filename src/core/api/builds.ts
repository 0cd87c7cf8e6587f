import type { BuildInfo, RerunInfo, TargetConfig, TargetFreeze } from '../domain';
import { Events, InstanceIds, Orchestrations } from '../names';
import type { AcceptedBuild, BuildRequest, LaneState, LaneStatus } from '../orchestration/contracts';
import type { Clock } from '../ports/clock';
import { urgentFirst } from '../concurrency';
import { ACTIVE_STATES, type ReleaseClient } from './client';

/** What happened to a delivered build. */
export interface SubmitResult {
  id: string;
  /** `started` when it was handed to the lane now, `duplicate` for a redelivery. */
  outcome: 'started' | 'duplicate';
  /** The release that was running when this build arrived, if any (it is superseded or queued behind). */
  behind?: string;
  /**
   * The target's freeze: for a new build, when it arrived (it waits in the lane until the target is unfrozen);
   * for a redelivery, the one in force now (read from the lane's status, or seen there moments ago).
   */
  frozen?: TargetFreeze;
}

/** Ids remembered as accepted per app instance; a miss only costs the durable lookup. */
const ACCEPTED_REMEMBERED = 10_000;

/**
 * New builds one app instance hands to lanes at once. Each hand-over's raise lands in its lane's queue, and the
 * lane takes what is queued in one episode, so more at once means bigger lane batches and less work per build
 * (host CPU per build 8.4–12 ms at 2, 3.5–5.5 ms at 16, `node dist/bench/intake.js`). The alert under a flood took as long at 2, 8 and 16
 * (median 51–60 ms, `node dist/bench/latency.js 5`): urgent work and the engine's in-flight-first turns keep
 * it ahead, not this bound, which now only keeps a flood of deliveries from filling the Durable client.
 */
const MAX_CONCURRENT_SUBMISSIONS = 16;

/**
 * How long a lane's freeze, as this instance last read it, answers a redelivery known from memory (ms): a flood of
 * redeliveries costs at most one lane read per target per this, and an answer is this much late at most.
 */
export const FREEZE_SEEN_MS = 5_000;

/**
 * What one app instance remembers about deliveries, in memory: those in progress (a concurrent
 * redelivery waits for the first, then is a duplicate) and ids known to be accepted (a redelivery is
 * answered without any Durable call but a read of the lane's freeze, at most one per target per
 * `FREEZE_SEEN_MS`). Acceptance is permanent, so the memory can be stale only by missing an id, never by
 * claiming one: correctness rests on the durable receipt alone (the freeze an answer names is information).
 */
export class IntakeMemory {
  readonly inFlight = new Map<string, Promise<unknown>>();
  readonly #accepted = new Set<string>();
  /** Per target, its lane's freeze (undefined: none) as last read, and when (epoch ms). */
  readonly #freezes = new Map<string, { frozen: TargetFreeze | undefined; atMs: number }>();
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  /**
   * `maxConcurrent`: new builds handed over at once. A bulkhead: a flood of new builds queues here, in
   * memory, instead of filling the Durable client and the task hub, so an alert arriving meanwhile
   * finds them nearly idle.
   */
  constructor(readonly maxConcurrent = MAX_CONCURRENT_SUBMISSIONS) {}

  /** Runs `work` when one of the `maxConcurrent` places is free. */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.maxConcurrent) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }

  knows(id: string): boolean {
    return this.#accepted.has(id);
  }

  /** Records the freeze a read of the target's lane found at `atMs` (undefined: not frozen). */
  sawFreeze(target: string, frozen: TargetFreeze | undefined, atMs: number): void {
    this.#freezes.set(target, { frozen, atMs });
  }

  /** Forgets the target's freeze seen: this instance just froze or unfroze it, so the next redelivery reads the lane. */
  forgetFreeze(target: string): void {
    this.#freezes.delete(target);
  }

  /** The target's freeze as read within `FREEZE_SEEN_MS` before `nowMs`: `{ frozen }`, or undefined (read again). */
  freezeSeen(target: string, nowMs: number): { frozen: TargetFreeze | undefined } | undefined {
    const seen = this.#freezes.get(target);
    return seen && nowMs - seen.atMs < FREEZE_SEEN_MS ? { frozen: seen.frozen } : undefined;
  }

  remember(id: string): void {
    this.#accepted.add(id);
    if (this.#accepted.size > ACCEPTED_REMEMBERED) {
      this.#accepted.delete(this.#accepted.values().next().value!);
    }
  }
}

const memories = new WeakMap<object, IntakeMemory>();

/** The intake memory of an app instance, keyed by an object that lives as long as it (its dependencies). */
export function intakeMemoryOf(owner: object): IntakeMemory {
  let memory = memories.get(owner);
  if (!memory) {
    memory = new IntakeMemory();
    memories.set(owner, memory);
  }
  return memory;
}

function laneStatus(s: { customStatus?: unknown } | undefined): LaneStatus | undefined {
  const c = s?.customStatus as LaneStatus | undefined;
  return c && typeof c === 'object' && 'target' in c ? c : undefined;
}

/**
 * Hands a build to its target's lane, once. The release id is derived from target and build; a build is
 * a duplicate when its release exists (running, finished or superseded) or its receipt does (queued): then
 * nothing is raised, so a flood of redeliveries never wakes the lane or the running release. A new build
 * is raised to the lane, then its receipt is written (a crash in between only lets one redelivery through
 * to the lane, which drops it by id). The lane, not the hook, tells its running release of the newer build:
 * only the lane knows for sure which release runs.
 */
export async function submitBuild(
  client: ReleaseClient,
  clock: Clock,
  target: TargetConfig,
  build: BuildInfo,
  memory: IntakeMemory = new IntakeMemory(),
  rerun?: RerunInfo,
): Promise<SubmitResult> {
  // A re-run is another attempt of the build, under its own id (`<first release>-r<attempt>`).
  const id = rerun
    ? InstanceIds.rerun(rerun.base, rerun.attempt)
    : InstanceIds.release(target.name, build.id);
  if (memory.knows(id)) return redelivered(id, await freezeOf(client, clock, target, memory));
  const pending = memory.inFlight.get(id);
  if (pending) {
    // A failed first delivery is retried by the caller's own redelivery, as for any 503.
    const first = await pending.then(
      (r) => r as SubmitResult,
      () => undefined,
    );
    // The first delivery read the lane a moment ago: its freeze is the one in force.
    if (first) return redelivered(id, first.frozen);
  }
  // Queued behind the bulkhead, a hand-over yields again once it has its place: an alert that arrived meanwhile
  // goes first (a flood holds many hand-overs queued past the hook's own yield).
  const work = memory.exclusive(async () => {
    await urgentFirst.yieldToUrgent();
    return accept(client, clock, target, build, id, memory, rerun);
  });
  memory.inFlight.set(id, work);
  try {
    const result = await work;
    memory.remember(id);
    return result;
  } finally {
    if (memory.inFlight.get(id) === work) memory.inFlight.delete(id);
  }
}

/** A redelivery's answer: the target's freeze in force, when it is frozen (as a first delivery's answer has it). */
function redelivered(id: string, frozen: TargetFreeze | undefined): SubmitResult {
  return { id, outcome: 'duplicate', ...(frozen ? { frozen } : {}) };
}

/** The target's freeze for a redelivery known from memory: as seen moments ago, else read from its lane. */
async function freezeOf(
  client: ReleaseClient,
  clock: Clock,
  target: TargetConfig,
  memory: IntakeMemory,
): Promise<TargetFreeze | undefined> {
  const nowMs = clock.now().getTime();
  const seen = memory.freezeSeen(target.name, nowMs);
  if (seen) return seen.frozen;
  const frozen =
    laneStatus(await client.get(InstanceIds.lane(target.name), { withInput: false }))?.frozen ?? undefined;
  memory.sawFreeze(target.name, frozen, nowMs);
  return frozen;
}

async function accept(
  client: ReleaseClient,
  clock: Clock,
  target: TargetConfig,
  build: BuildInfo,
  id: string,
  memory: IntakeMemory,
  rerun?: RerunInfo,
): Promise<SubmitResult> {
  const laneId = InstanceIds.lane(target.name);
  // The lane is read with the others: a redelivery's answer carries its freeze, a new build needs it anyway.
  // Existence and the lane's custom status are all the hook reads: no inputs (the lane's is its whole state).
  const bare = { withInput: false };
  const [release, receipt, found] = await Promise.all([
    client.get(id, bare),
    client.get(InstanceIds.accepted(id), bare),
    client.get(laneId, bare),
  ]);
  const seen = laneStatus(found)?.frozen ?? undefined;
  memory.sawFreeze(target.name, seen, clock.now().getTime());
  if (release || receipt) return redelivered(id, seen);

  let lane = found;
  if (!lane || !ACTIVE_STATES.has(lane.runtimeStatus)) {
    const state: LaneState = { target: target.name, recent: [] };
    try {
      await client.start(Orchestrations.Lane, laneId, state);
    } catch (err) {
      // Another delivery started it a moment ago; anything else is a real failure.
      lane = await client.get(laneId, bare);
      if (!lane || !ACTIVE_STATES.has(lane.runtimeStatus)) throw err;
    }
  }
  const status = laneStatus(lane);
  const current = status?.current ?? null;
  // Read with the lane's status the hook reads anyway: a freeze applied after this read still queues the build.
  const frozen = status?.frozen ?? undefined;
  if (current === id) return redelivered(id, frozen);

  const receivedAt = clock.now().toISOString();
  const request: BuildRequest = { releaseId: id, build, target, receivedAt, ...(rerun ? { rerun } : {}) };
  await client.raise(laneId, Events.BuildArrived, request);
  const accepted: AcceptedBuild = {
    releaseId: id,
    target: target.name,
    build,
    receivedAt,
    ...(current ? { behind: current } : {}),
    ...(rerun ? { rerun } : {}),
    ...(frozen ? { frozen } : {}),
  };
  try {
    await client.start(Orchestrations.Accepted, InstanceIds.accepted(id), accepted);
  } catch (err) {
    // A concurrent delivery on another instance wrote it first: the build is accepted either way.
    if (!(await client.get(InstanceIds.accepted(id), { withInput: false }))) throw err;
  }
  return {
    id,
    outcome: 'started',
    ...(current ? { behind: current } : {}),
    ...(frozen ? { frozen } : {}),
  };
}
