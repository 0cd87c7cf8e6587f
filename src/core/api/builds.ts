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
  /** The target's freeze when the build arrived: it waits in the lane until the target is unfrozen. */
  frozen?: TargetFreeze;
}

/** Ids remembered as accepted per app instance; a miss only costs the durable lookup. */
const ACCEPTED_REMEMBERED = 10_000;

/** New builds one app instance hands to lanes at once. */
const MAX_CONCURRENT_SUBMISSIONS = 2;

/**
 * What one app instance remembers about deliveries, in memory: those in progress (a concurrent
 * redelivery waits for the first, then is a duplicate) and ids known to be accepted (a redelivery is
 * answered without any Durable call). Acceptance is permanent, so the memory can be stale only by
 * missing an id, never by claiming one: correctness rests on the durable receipt alone.
 */
export class IntakeMemory {
  readonly inFlight = new Map<string, Promise<unknown>>();
  readonly #accepted = new Set<string>();
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
  if (memory.knows(id)) return { id, outcome: 'duplicate' };
  const pending = memory.inFlight.get(id);
  if (pending) {
    // A failed first delivery is retried by the caller's own redelivery, as for any 503.
    if (await pending.then(() => true).catch(() => false)) return { id, outcome: 'duplicate' };
  }
  // Queued behind the bulkhead, a hand-over yields again once it has its place: an alert that arrived meanwhile
  // goes first (a flood holds many hand-overs queued past the hook's own yield).
  const work = memory.exclusive(async () => {
    await urgentFirst.yieldToUrgent();
    return accept(client, clock, target, build, id, rerun);
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

async function accept(
  client: ReleaseClient,
  clock: Clock,
  target: TargetConfig,
  build: BuildInfo,
  id: string,
  rerun?: RerunInfo,
): Promise<SubmitResult> {
  // Existence and the lane's custom status are all the hook reads: no inputs (the lane's is its whole state).
  const bare = { withInput: false };
  const [release, receipt] = await Promise.all([
    client.get(id, bare),
    client.get(InstanceIds.accepted(id), bare),
  ]);
  if (release || receipt) return { id, outcome: 'duplicate' };

  const laneId = InstanceIds.lane(target.name);
  let lane = await client.get(laneId, bare);
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
  if (current === id) return { id, outcome: 'duplicate' };
  // Read with the lane's status the hook reads anyway: a freeze applied after this read still queues the build.
  const frozen = status?.frozen ?? undefined;

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
    if (!(await client.get(InstanceIds.accepted(id)))) throw err;
  }
  return {
    id,
    outcome: 'started',
    ...(current ? { behind: current } : {}),
    ...(frozen ? { frozen } : {}),
  };
}
