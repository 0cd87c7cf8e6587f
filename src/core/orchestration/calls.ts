/**
 * The typed Durable boundary of the orchestrators: every activity call, sub-orchestration and event wait goes
 * through these, typed by name from the message maps in `contracts.ts` (which the activity handlers and the API
 * implement too). They call the SDK exactly as the orchestrators did before (same names, same inputs), so
 * histories replay unchanged; the only casts from the SDK's `unknown` to a message type are in this file. What
 * comes back from a history that an earlier app version may have written in an older shape (inputs, a few events
 * and results) passes `upgradeLegacy`, so it reaches the orchestrators in today's shape.
 */
import type { OrchestrationContext, RetryOptions, Task } from 'durable-functions';
import { upgradeLegacy } from '../legacy';
import { Activities, Events, type Orchestrations } from '../names';
import type {
  ActivityInput,
  ActivityName,
  ActivityOutput,
  EventName,
  EventPayload,
  OrchestrationInput,
  OrchestrationName,
  OrchestrationOutput,
} from './contracts';

/** A Durable task whose result (once completed) is a `T`. */
export type TypedTask<T> = Task & { readonly result?: T };

/**
 * The messages an earlier app version may have written in an older shape (they carry a target or a lane report):
 * their results pass `upgradeLegacy`. Others are left alone, so a large result (500 probes) is not walked at
 * every replay.
 */
const MAY_BE_LEGACY: ReadonlySet<string> = new Set([
  Events.BuildArrived,
  Events.WorkEnded,
  Activities.LaneEffects,
]);
const legacyTasks = new WeakSet<Task>();

function typed<T>(name: string, task: Task): TypedTask<T> {
  if (MAY_BE_LEGACY.has(name)) legacyTasks.add(task);
  return task as TypedTask<T>;
}

function upgraded<T>(task: Task, value: T): T {
  return legacyTasks.has(task) ? upgradeLegacy(value) : value;
}

/** Fails to compile when a name registered in `names.ts` has no entry in its message map. */
type Covers<Map, Names> = Exclude<Names, keyof Map> extends never ? true : never;
const _covered: [
  Covers<Record<ActivityName, unknown>, (typeof Activities)[keyof typeof Activities]>,
  Covers<Record<EventName, unknown>, (typeof Events)[keyof typeof Events]>,
  Covers<Record<OrchestrationName, unknown>, (typeof Orchestrations)[keyof typeof Orchestrations]>,
] = [true, true, true];
void _covered;

/** Schedules activity `name` with its input. */
export function callActivity<N extends ActivityName>(
  ctx: OrchestrationContext,
  name: N,
  input: ActivityInput<N>,
): TypedTask<ActivityOutput<N>> {
  return typed(name, ctx.df.callActivity(name, input));
}

/** Schedules activity `name` with its input, retried by the Durable extension per `retry`. */
export function callActivityWithRetry<N extends ActivityName>(
  ctx: OrchestrationContext,
  name: N,
  retry: RetryOptions,
  input: ActivityInput<N>,
): TypedTask<ActivityOutput<N>> {
  return typed(name, ctx.df.callActivityWithRetry(name, retry, input));
}

/** Starts orchestration `name` as a sub-orchestration with its input (and a derived instance id). */
export function callSubOrchestrator<N extends OrchestrationName>(
  ctx: OrchestrationContext,
  name: N,
  input: OrchestrationInput<N>,
  instanceId: string,
): TypedTask<OrchestrationOutput<N>> {
  return typed(name, ctx.df.callSubOrchestrator(name, input, instanceId));
}

/** A wait for external event `name`, whose result is that event's payload. */
export function waitForEvent<N extends EventName>(
  ctx: OrchestrationContext,
  name: N,
): TypedTask<EventPayload<N>> {
  return typed(name, ctx.df.waitForExternalEvent(name));
}

/** This orchestration's input, typed by the orchestration's name. */
export function inputOf<N extends OrchestrationName>(
  ctx: OrchestrationContext,
  _name: N,
): OrchestrationInput<N> {
  return upgradeLegacy(ctx.df.getInput<OrchestrationInput<N>>());
}

/** Yields `task` and returns its result: `const x = yield* awaited(task)`. */
export function* awaited<T>(task: TypedTask<T>): Generator<Task, T, unknown> {
  return upgraded(task, (yield task) as T);
}

/** Yields `Task.all` of `tasks` and returns their results in order. */
export function* awaitAll<T>(
  ctx: OrchestrationContext,
  tasks: TypedTask<T>[],
): Generator<Task, T[], unknown> {
  return (yield ctx.df.Task.all(tasks)) as T[];
}

/** The result of a task known to have completed (the winner of a `Task.any`, or part of a completed `Task.all`). */
export function resultOf<T>(task: TypedTask<T>): T {
  return upgraded(task, task.result as T);
}

/** `HistoryEventType.EventRaised` of durable-functions (and DTFx): an external event delivered to the instance. */
export const EVENT_RAISED = 15;

/**
 * How many events named `names` this execution has been delivered so far, taken or not: every `EventRaised` of
 * them in its history, including those of the current episode the replay has not reached yet. Azure hands an
 * instance a batch of messages per episode, and durable-functions for Node continues as new with
 * `preserveUnprocessedEvents = false`, so an orchestrator that continues as new while this exceeds what it took
 * drops the rest: it must take them first (`untakenEvents`).
 *
 * The history is the SDK's `context.df.state` (not in its typings; `version` is read from it the same way). The
 * count is deterministic where it is used: only to decide whether to end the execution, and an execution that
 * decides to end never replays again, while one that goes on would count the same events in any later replay
 * (a history only grows).
 */
export function eventsReceived(ctx: OrchestrationContext, names: readonly string[]): number {
  const history: unknown = Reflect.get(ctx.df, 'state');
  if (!Array.isArray(history)) {
    // Fail the episode loudly rather than drop events: a durable-functions upgrade moved the history.
    throw new Error('durable-functions no longer exposes the history as context.df.state: see calls.ts');
  }
  let n = 0;
  for (const e of history as unknown[]) {
    if (typeof e !== 'object' || e === null) continue;
    const { EventType: type, Name: name } = e as { EventType?: unknown; Name?: unknown };
    if (type === EVENT_RAISED && typeof name === 'string' && names.includes(name)) n++;
  }
  return n;
}

/** Events named `names` this execution was delivered beyond the `taken` it acted on (see `eventsReceived`). */
export function untakenEvents(ctx: OrchestrationContext, names: readonly string[], taken: number): number {
  return Math.max(0, eventsReceived(ctx, names) - taken);
}
