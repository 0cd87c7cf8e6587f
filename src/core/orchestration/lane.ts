import type { OrchestrationContext, Task } from 'durable-functions';
import * as df from 'durable-functions';
import { rememberActed } from '../alerts/policy';
import { Activities, Events, InstanceIds, Orchestrations } from '../names';
import type {
  BuildRequest,
  FreezeRequest,
  LaneEffects,
  LaneEffectsResult,
  LaneState,
  LaneStatus,
  ManualRollbackInput,
  ReleaseInput,
  RollbackRequest,
  WorkEnded,
} from './contracts';
import { awaited, callActivityWithRetry, inputOf, resultOf, untakenEvents, waitForEvent } from './calls';

/** Release IDs a lane remembers, to drop redelivered hooks. */
const RECENT_LIMIT = 100;

/** Builds kept waiting behind the queued one (ids only), to supersede when it starts. */
const MAX_WAITING = 200;

/** While a build waits, the running instance's status is read at least this often (a terminated one never reports). */
const CHECK_EVERY_MS = 60_000;

/** Events an execution that ran no activity takes after its first, before it restarts. */
const DRAIN_CAP = 8;

/** The events the lane waits for (every one it takes counts against what its history was delivered). */
const LANE_EVENTS: readonly string[] = [
  Events.BuildArrived,
  Events.RollbackRequested,
  Events.WorkEnded,
  Events.FreezeRequested,
];

/** When effects could not be done (the task hub unreachable), the lane tries again after this long. */
const EFFECTS_RETRY_MS = 30_000;

/** The effects activity is retried at once a few times (its parts are idempotent). */
const EFFECTS_RETRY = new df.RetryOptions(1_000, 4);

/**
 * A freeze ending far ahead is waited for a day at a time: the lane wakes, finds it not due, restarts (an empty
 * history either way), so no timer of the lane is longer than this.
 */
const FREEZE_WAKE_MAX_MS = 86_400_000;

/** One event the lane acts on. */
type LaneEvent =
  | { kind: 'build'; request: BuildRequest }
  | { kind: 'rollback'; request: RollbackRequest }
  | { kind: 'ended'; ended: WorkEnded }
  | { kind: 'freeze'; request: FreezeRequest }
  /** The lane's timer fired at `at`: a freeze whose end time has come ends. */
  | { kind: 'freeze-due'; at: Date };

/**
 * One per target: runs its releases one at a time, and manual rollbacks of the last succeeded release.
 * Each release and rollback is its own orchestration, which the lane starts (through an activity) and
 * which tells the lane when it ends; so the lane never waits on a child and can restart itself with
 * `continueAsNew` after every few events, carrying only its state (its history stays bounded however many
 * builds arrive). A build arriving while one runs is queued, newest kept: those it replaces end
 * Superseded by the one that starts, and the running release is told (`NewerBuild`) by the lane, which
 * knows exactly which release runs. An execution: do the effects the previous one decided, publish, take one event,
 * take whatever else is buffered, restart.
 *
 * A frozen target's lane starts no release: builds queue as behind a running one (newest kept) until an unfreeze
 * request or the freeze's end time (a durable timer), then the newest starts. Rollbacks still run.
 */
export function* laneOrchestrator(context: OrchestrationContext): Generator<Task, void, unknown> {
  const now = context.df.currentUtcDateTime;
  let state = upgraded(inputOf(context, Orchestrations.Lane), now);
  // A freeze whose end time passed while events kept the lane busy (its timer never won) ends now.
  if (freezeDue(state, now)) state = apply(state, { kind: 'freeze-due', at: now }, now);

  // Effects first: publishing `current` before they run, so the hook and the alert hook see it at once.
  publish(context, state);
  let effectsFailed = false;
  let effectsRan = false;
  for (let round = 0; state.effects && round < 3; round++) {
    const effects: LaneEffects = state.effects;
    let result: LaneEffectsResult;
    effectsRan = true;
    try {
      result = yield* awaited(
        callActivityWithRetry(context, Activities.LaneEffects, EFFECTS_RETRY, {
          lane: context.df.instanceId,
          ...effects,
        }),
      );
    } catch {
      // The task hub is unreachable: keep the effects and try again shortly (after taking events meanwhile).
      effectsFailed = true;
      break;
    }
    state = { ...state, effects: undefined };
    // The running instance ended without telling (terminated by an operator): the lane goes on.
    if (result.ended) state = apply(state, { kind: 'ended', ended: result.ended }, now);
    publish(context, state);
  }

  // One event, waiting if need be. A timer too when effects are pending (retry them), or when a build waits
  // behind a release (read its status now and then: a terminated release never reports). Fresh waits
  // every time: an event goes to the newest wait for its name, so an abandoned one never swallows it.
  const running = state.running;
  const checkAt =
    state.queued && running?.kind === 'release' && running.checkedAt
      ? Math.max(now.getTime(), Date.parse(running.checkedAt) + CHECK_EVERY_MS)
      : undefined;
  const wakeAt = earliest(effectsFailed ? now.getTime() + EFFECTS_RETRY_MS : checkAt, freezeWake(state, now));
  const retry = wakeAt !== undefined ? context.df.createTimer(new Date(wakeAt)) : undefined;
  const first = yield* nextEvent(context, retry);
  const firedAt = context.df.currentUtcDateTime;
  if (first) state = apply(state, first, now);
  else if (freezeDue(state, firedAt)) {
    // The freeze's end time has come: the lane unfreezes by itself (and the newest queued build starts).
    state = apply(state, { kind: 'freeze-due', at: firedAt }, now);
  } else if (!effectsFailed && running?.kind === 'release') {
    state = {
      ...state,
      running: { ...running, checkedAt: now.toISOString() },
      effects: { ...state.effects, check: running.instanceId },
    };
  }
  // Then whatever is buffered (arrived while the effects ran; continueAsNew would drop it) and whatever
  // is already queued: until a timer due now has fired. Events after that go to the next execution.
  // With no activity run in this execution nothing can be buffered (each event found a wait): then the
  // drain may stop after a few events, which bounds the history when the lane lags behind a flood.
  const ranEffects = effectsRan;
  const drains: Task[] = [];
  let taken = first ? 1 : 0;
  while (first && !drains.some((t) => t.isCompleted) && (ranEffects || drains.length < DRAIN_CAP)) {
    const drain = context.df.createTimer(context.df.currentUtcDateTime);
    drains.push(drain);
    const more = yield* nextEvent(context, drain);
    if (!more) break;
    taken++;
    state = apply(state, more, now);
  }
  // Azure hands the lane a batch of messages per episode, and continueAsNew drops the events of it the execution
  // did not take (durable-functions for Node preserves none): take every event already delivered first, past the
  // drain cap too (they are in this episode's history, so they are bounded by the batch size). Each wins over a
  // timer due now, which only guards against a miscount. The history is the whole run's, so one count suffices.
  for (let left = untakenEvents(context, LANE_EVENTS, taken); left > 0; left--) {
    const more = yield* nextEvent(context, context.df.createTimer(context.df.currentUtcDateTime));
    if (!more) break;
    state = apply(state, more, now);
  }
  context.df.continueAsNew(state);
}

/** The next event, or undefined when `timer` fires first. */
function* nextEvent(
  context: OrchestrationContext,
  timer: (Task & { cancel(): void }) | undefined,
): Generator<Task, LaneEvent | undefined, unknown> {
  const build = waitForEvent(context, Events.BuildArrived);
  const rollback = waitForEvent(context, Events.RollbackRequested);
  const ended = waitForEvent(context, Events.WorkEnded);
  // A new event name: lanes of older code never raised it, so their histories replay the same (no gate).
  const freeze = waitForEvent(context, Events.FreezeRequested);
  const waits = [build, rollback, ended, freeze];
  const winner = yield context.df.Task.any(timer ? [...waits, timer] : waits);
  if (winner === timer) return undefined;
  timer?.cancel();
  if (winner === build) return { kind: 'build', request: resultOf(build) };
  if (winner === rollback) return { kind: 'rollback', request: resultOf(rollback) };
  if (winner === freeze) return { kind: 'freeze', request: resultOf(freeze) };
  return { kind: 'ended', ended: resultOf(ended) };
}

/**
 * The lane's decisions, pure: the next state and the effects it needs. Every event is either acted on or
 * knowingly dropped (a redelivery, a stale rollback request, an end report already taken).
 */
export function apply(state: LaneState, event: LaneEvent, now: Date): LaneState {
  switch (event.kind) {
    case 'build':
      return takeBuild(state, event.request, now);
    case 'rollback':
      return takeRollback(state, event.request);
    case 'ended':
      return takeEnded(state, event.ended);
    case 'freeze':
      return takeFreeze(state, event.request);
    case 'freeze-due':
      return freezeDue(state, event.at) ? unfreeze(state, 'schedule', event.at.toISOString()) : state;
  }
}

function takeBuild(state: LaneState, request: BuildRequest, now: Date): LaneState {
  const id = request.releaseId;
  const known =
    state.recent.includes(id) ||
    state.queued?.releaseId === id ||
    state.running?.instanceId === id ||
    (state.waiting ?? []).includes(id);
  if (known) return state; // a redelivery that got past the hook (a crash between its two writes)
  // Frozen: the build queues even with nothing running, as it would behind a release.
  if (!state.running && !state.frozen) return startRelease(state, request);
  const effects: LaneEffects = { ...state.effects };
  let running = state.running;
  if (running && (running.kind !== 'release' || !running.checkedAt)) {
    // The first build behind it: read what runs (it may have been terminated); later ones rely on the timer.
    effects.check = running.instanceId;
    if (running.kind === 'release') running = { ...running, checkedAt: now.toISOString() };
  }
  let waiting = state.waiting ?? [];
  if (state.queued) {
    // The build it replaces never runs; it ends Superseded when the newest starts, by that one (so a
    // status never names a build that never ran). Past the limit the oldest ends Superseded now.
    waiting = [...waiting, state.queued.releaseId];
    const over = waiting.slice(0, Math.max(0, waiting.length - MAX_WAITING));
    waiting = waiting.slice(over.length);
    if (over.length > 0) effects.supersede = supersede(effects, over, request);
  }
  if (running?.kind === 'release' && !running.newerSent) {
    effects.newer = {
      releaseId: running.instanceId,
      event: { releaseId: id, build: request.build, receivedAt: request.receivedAt },
    };
    running = { ...running, newerSent: true };
  }
  const changed = Object.keys(effects).length > 0;
  return {
    ...state,
    ...(running ? { running } : {}),
    queued: request,
    waiting: waiting.length ? waiting : undefined,
    effects: changed ? effects : undefined,
  };
}

/** Adds release ids that end Superseded by `by` (one batch per execution: `by` is the newest). */
function supersede(effects: LaneEffects, releaseIds: string[], by: BuildRequest): LaneEffects['supersede'] {
  return {
    releaseIds: [...(effects.supersede?.releaseIds ?? []), ...releaseIds],
    by: by.releaseId,
    target: by.target,
  };
}

function startRelease(state: LaneState, request: BuildRequest): LaneState {
  // The alerts that acted on this target so far never act again (the release adds what acts in it).
  const input: ReleaseInput = {
    ...request,
    actedAlerts: state.actedAlerts ?? [],
    lane: InstanceIds.lane(state.target),
  };
  const effects: LaneEffects = {
    ...state.effects,
    start: [
      ...(state.effects?.start ?? []),
      { orchestration: Orchestrations.Release, instanceId: request.releaseId, input },
    ],
  };
  const waiting = state.waiting ?? [];
  if (waiting.length > 0) effects.supersede = supersede(effects, waiting, request);
  let recent = state.recent;
  for (const w of waiting) recent = remember(recent, w);
  // This release may deploy over the slot a rollback of the last one would re-enable: that rollback is off until
  // it ends, and back on if it ends having touched nothing (the lane holds the target meanwhile).
  const previous = state.lastSucceeded;
  return {
    ...state,
    lastSucceeded: undefined,
    running: { kind: 'release', instanceId: request.releaseId, ...(previous ? { previous } : {}) },
    queued: undefined,
    waiting: undefined,
    recent: remember(recent, request.releaseId),
    effects,
  };
}

function takeRollback(state: LaneState, request: RollbackRequest): LaneState {
  const last = state.lastSucceeded;
  // Stale (a later build took the lane, or another rollback runs): the API answered from the lane's status. A
  // build queued by a freeze has deployed nothing: the rollback runs (a freeze never blocks a safety action).
  const queuedBehindWork = state.queued && !state.frozen;
  if (state.running || queuedBehindWork || !last || last.releaseId !== request.releaseId) return state;
  const instanceId = InstanceIds.manualRollback(last.releaseId);
  const input: ManualRollbackInput = { request, last, lane: InstanceIds.lane(state.target) };
  return {
    ...state,
    lastSucceeded: undefined,
    running: { kind: 'rollback', instanceId, releaseId: last.releaseId },
    effects: {
      ...state.effects,
      start: [
        ...(state.effects?.start ?? []),
        { orchestration: Orchestrations.ManualRollback, instanceId, input },
      ],
    },
  };
}

function takeEnded(state: LaneState, ended: WorkEnded): LaneState {
  if (state.running?.instanceId !== ended.instanceId) return state; // already taken (report and check both)
  let next: LaneState = { ...state, running: undefined };
  if (state.effects?.check === ended.instanceId) {
    const { check: _done, ...rest } = state.effects;
    next.effects = Object.keys(rest).length ? rest : undefined;
  }
  const view = ended.release;
  if (view) {
    next.actedAlerts = rememberActed(state.actedAlerts ?? [], view.actedAlerts ?? []);
    if (view.status === 'Succeeded' && view.productionSlot && view.stagingSlot) {
      next.lastSucceeded = {
        releaseId: ended.instanceId,
        target: view.target,
        build: view.build,
        previousSlot: view.productionSlot,
        liveSlot: view.stagingSlot,
        traffic: view.traffic,
      };
    }
  }
  const held = state.running.kind === 'release' ? state.running.previous : undefined;
  if (held && !next.lastSucceeded && stagingUntouched(ended)) next.lastSucceeded = held;
  if (next.queued && !next.frozen) next = startRelease(next, next.queued);
  return next;
}

/**
 * Whether the ended release says it started no deploy on its staging slot. Anything else counts as touched: a
 * report without a view (failed or terminated), one from older code without the fact, a release that succeeded.
 */
function stagingUntouched(ended: WorkEnded): boolean {
  const view = ended.release;
  return (
    view !== undefined &&
    view.stagingTouched === false &&
    view.status !== 'Succeeded' &&
    view.status !== 'RolledBack'
  );
}

/**
 * Freeze: recorded (a freeze of a frozen target takes the new reason and end time, and keeps `since`). Unfreeze:
 * the freeze ends; an unfreeze of a target that is not frozen changes nothing. Either way the request's id is
 * published, so the API can tell its caller it was applied.
 */
function takeFreeze(state: LaneState, request: FreezeRequest): LaneState {
  const changed = request.action === 'freeze' || state.frozen !== undefined;
  const applied: LaneState = { ...state, freezeApplied: { requestId: request.requestId, changed } };
  if (request.action === 'unfreeze') return unfreeze(applied, request.by, request.requestedAt);
  return {
    ...applied,
    frozen: {
      by: request.by,
      authenticated: request.authenticated,
      at: request.requestedAt,
      since: state.frozen?.since ?? request.requestedAt,
      reason: request.reason ?? '',
      ...(request.until ? { until: request.until } : {}),
    },
  };
}

/** Ends the freeze: the newest queued build starts, or a release whose swap waits is told. */
function unfreeze(state: LaneState, by: string, at: string): LaneState {
  if (!state.frozen) return state;
  const { frozen, ...rest } = state;
  let next: LaneState = { ...rest, lastFreeze: { ...frozen, endedAt: at, endedBy: by } };
  if (next.running?.kind === 'release') {
    next = { ...next, effects: { ...next.effects, unfrozen: next.running.instanceId } };
  } else if (!next.running && next.queued) {
    next = startRelease(next, next.queued);
  }
  return next;
}

/** True when the freeze has an end time and it has come. */
function freezeDue(state: LaneState, at: Date): boolean {
  const until = state.frozen?.until;
  return until !== undefined && Date.parse(until) <= at.getTime();
}

/** When the lane must wake for the freeze's end (at most a day ahead), or undefined. */
function freezeWake(state: LaneState, now: Date): number | undefined {
  const until = state.frozen?.until;
  if (until === undefined) return undefined;
  return Math.max(now.getTime(), Math.min(Date.parse(until), now.getTime() + FREEZE_WAKE_MAX_MS));
}

function earliest(...times: (number | undefined)[]): number | undefined {
  const set = times.filter((t): t is number => t !== undefined);
  return set.length ? Math.min(...set) : undefined;
}

function remember(recent: string[], id: string): string[] {
  return [...recent, id].slice(-RECENT_LIMIT);
}

/** A lane started by an earlier version (state `next` / `superseded`) continues as this one. */
function upgraded(input: LaneState, now: Date): LaneState {
  const { next, superseded, ...state } = input;
  let s: LaneState = state;
  for (const older of superseded ?? []) {
    const input: ReleaseInput = { ...older, supersededBy: next?.releaseId ?? older.releaseId };
    s = {
      ...s,
      recent: remember(s.recent, older.releaseId),
      effects: {
        ...s.effects,
        start: [
          ...(s.effects?.start ?? []),
          { orchestration: Orchestrations.Release, instanceId: older.releaseId, input },
        ],
      },
    };
  }
  return next ? takeBuild(s, next, now) : s;
}

function publish(context: OrchestrationContext, state: LaneState): void {
  const status: LaneStatus = {
    target: state.target,
    current: state.running?.instanceId ?? null,
    lastSucceeded: state.lastSucceeded?.releaseId ?? null,
    heldSucceeded: (state.running?.kind === 'release' && state.running.previous?.releaseId) || null,
    queued: state.queued?.releaseId ?? null,
    frozen: state.frozen ?? null,
    lastFreeze: state.lastFreeze ?? null,
    freezeApplied: state.freezeApplied ?? null,
  };
  context.df.setCustomStatus(status);
}
