/**
 * The local Durable engine. Orchestrations run through durable-functions' own replay (the handler that
 * `df.app.orchestration` registered), fed with history exactly as the extension feeds it (schema V3, a huge
 * maximumShortTimerDuration). The engine keeps the history and turns returned actions into work. An episode delivers
 * one message and the external events queued right behind it (an Azure control-queue batch); events allocate no
 * sequence ids, so the SDK's ids are still reproduced by counting (contracts §3.6). Every step is
 * one store commit: history appended, messages/work consumed and produced, and the instance updated together.
 */
import { randomUUID } from 'node:crypto';
import type { HostClock } from '../clock';
import type { Registry } from '../functionsCore';
import {
  extraInputsFor,
  findFunction,
  invokeRegistered,
  triggerBindingName,
  typedDataToJson,
} from '../invoke';
import { compareVersions } from '../../../src/core/orchestration/version';
import type { VersioningSettings } from '../versioning';
import type {
  CommitBatch,
  CommitResult,
  DurableStore,
  ExecutionState,
  HistoryEvent,
  InstanceFilter,
  InstanceRecord,
  QueuedActivity,
  QueuedMessage,
  QueuedTimer,
  RetryGroup,
  RuntimeStatus,
  WireRetryOptions,
} from './types';
import { EventType, TERMINAL_STATUSES } from './types';

const OUT_OF_PROC_MARKER = '\n\n$OutOfProcData$:';
const ACTION = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;
const ACTION_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(ACTION).map(([k, v]) => [v, k]),
);

/** An action as the SDK serialises it in `OrchestratorState.actions`. */
interface WireAction {
  actionType: number;
  functionName?: string;
  input?: unknown;
  instanceId?: string;
  retryOptions?: WireRetryOptions;
  fireAt?: string;
  isCanceled?: boolean;
  compoundActions?: WireAction[];
  /** Sub-orchestrations: the version asked for (else the host's defaultVersion). */
  version?: string;
}

/** The orchestrator's reply (`OrchestratorState`). */
interface WireOrchestratorState {
  isDone: boolean;
  actions: WireAction[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
}

/** The host's continuation token: opaque to callers (base64url of `{"after": <last instance id>}`). */
function encodeContinuation(after: string): string {
  return Buffer.from(JSON.stringify({ after }), 'utf8').toString('base64url');
}

function decodeContinuation(token: string): string {
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new Error('not base64url');
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string' && parsed.after !== '') return parsed.after;
  } catch {
    // reported below
  }
  throw new DurableEngineError('the continuation token is not one this task hub issued', 400);
}

/** The status payload of the extension's HTTP API (`StatusResponsePayload`). */
export interface StatusPayload {
  name: string;
  instanceId: string;
  runtimeStatus: RuntimeStatus;
  input: unknown;
  customStatus: unknown;
  output: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  historyEvents?: HistoryEvent[];
}

/** One activity invocation, as recorded for tests. */
export interface ActivityRun {
  name: string;
  input: unknown;
  attempt: number;
  instanceId: string;
  taskId: number;
  outcome?: 'completed' | 'failed';
  error?: string;
}

/** An engine error carrying the HTTP status the management API answers with. */
export class DurableEngineError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'DurableEngineError';
  }
}

/** Result of a management operation on an instance. */
export type InstanceOpResult = 'accepted' | 'gone' | 'notFound';

/** Engine construction options. */
export interface DurableEngineOptions {
  store: DurableStore;
  clock: HostClock;
  /** The registry holding the app's orchestrations and activities. */
  registry: () => Registry;
  /** The `durableClient` binding payload for activities that declare one. */
  durableClient?: () => unknown;
  taskHubName?: string;
  maxConcurrentActivities?: number;
  /**
   * Messages one episode may take for an instance (host.json `storageProvider.controlQueueBatchSize`, default 32 as
   * on Azure Storage): the oldest, then the external events queued right behind it. Azure hands an instance every
   * message of its batch in one episode, so an orchestrator that continues as new leaves the events it did not take
   * behind (dropped); batching here makes that show locally. 1 delivers one message per episode.
   */
  controlQueueBatchSize?: number;
  /** Orchestration versioning (host.json defaultVersion, versionMatchStrategy, versionFailureStrategy); default none. */
  versioning?: VersioningSettings;
  /** Where engine errors go (default console.error). */
  logError?: (message: string) => void;
}

/** Turns instances in flight take before one new instance gets its first episode (see `#fresh`). */
const IN_FLIGHT_TURNS = 2;

const isTerminal = (status: RuntimeStatus): boolean => TERMINAL_STATUSES.includes(status);
const iso = (ms: number): string => new Date(ms).toISOString();
/** The extension formats status times as `yyyy-MM-ddTHH:mm:ssZ`. */
const statusTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const parseJson = (text: string | null): unknown => (text === null ? null : JSON.parse(text));
/** JSON text of an activity / continueAsNew input: the SDK already JSON-encoded strings (`Utils.processInput`). */
const processedInputJson = (input: unknown): string | null =>
  input === undefined ? null : typeof input === 'string' ? input : JSON.stringify(input);
/** JSON text of a raw input (sub-orchestrations). */
const rawInputJson = (input: unknown): string | null => (input === undefined ? null : JSON.stringify(input));
const newExecution = (): ExecutionState => ({ nextSeq: 0, leafIds: [], retries: [] });

function event(
  type: number,
  timestamp: number,
  fields: Record<string, unknown> = {},
  eventId = -1,
): HistoryEvent {
  return { EventType: type, EventId: eventId, IsPlayed: false, Timestamp: iso(timestamp), ...fields };
}

function failureFields(error: unknown): { Reason: string; Details: string } {
  if (error instanceof Error) return { Reason: error.message, Details: error.stack ?? '' };
  return { Reason: String(error), Details: '' };
}

/** Durable's failure text for an instance failed by `versionFailureStrategy: Fail` (TaskOrchestrationDispatcher). */
export const VERSION_MISMATCH = 'Orchestration version did not comply with Worker Versioning';

/** Largest custom status the extension accepts, in KB of UTF-16 JSON text. */
export const MAX_CUSTOM_STATUS_KB = 16;

/**
 * The extension's custom status check, as Azure runs it: `DurableOrchestrationContext.SetCustomStatus` serializes
 * the value and `MessagePayloadDataConverter.Serialize(value, 16)` throws when `(int)(UTF-16 bytes / 1024) > 16`
 * (Azure/azure-functions-durable-extension; the out-of-process shim calls it first, see PR #3113). The orchestration
 * then fails with this message. Docs: "The custom status payload is limited to 16 KB of UTF-16 JSON text"
 * (learn.microsoft.com/azure/azure-functions/durable/durable-functions-custom-orchestration-status).
 */
export function customStatusSizeError(json: string): string | undefined {
  // Integer KB truncated, as the extension computes it: anything under 17 KB passes.
  const kb = Math.trunc((json.length * 2) / 1024);
  if (kb <= MAX_CUSTOM_STATUS_KB) return undefined;
  return `The UTF-16 size of the JSON-serialized payload must not exceed ${MAX_CUSTOM_STATUS_KB} KB. The current payload size is ${kb.toLocaleString('en-US')} KB.`;
}

/** Flattens actions depth-first: the order in which the SDK gives atomic tasks their sequence ids. */
function flattenLeaves(actions: WireAction[][]): { leaves: WireAction[]; continueAsNew?: WireAction } {
  const leaves: WireAction[] = [];
  let continueAsNew: WireAction | undefined;
  const walk = (a: WireAction): void => {
    if (a.actionType === ACTION.WhenAll || a.actionType === ACTION.WhenAny) {
      for (const child of a.compoundActions ?? []) walk(child);
    } else if (a.actionType === ACTION.WaitForExternalEvent) {
      // Matched by name, consumes no sequence id.
    } else if (a.actionType === ACTION.ContinueAsNew) {
      continueAsNew = a;
    } else {
      leaves.push(a);
    }
  };
  for (const group of actions) for (const a of group) walk(a);
  return { leaves, continueAsNew };
}

function retryDelay(options: WireRetryOptions, failures: number): number {
  const coefficient = options.backoffCoefficient ?? 1;
  let delay = options.firstRetryIntervalInMilliseconds * Math.pow(coefficient, Math.max(0, failures - 1));
  if (options.maxRetryIntervalInMilliseconds !== undefined && options.maxRetryIntervalInMilliseconds > 0) {
    delay = Math.min(delay, options.maxRetryIntervalInMilliseconds);
  }
  return Math.max(0, Math.round(delay));
}

/** Runs orchestrations and activities on top of a DurableStore. */
export class DurableEngine {
  /** Every activity invocation since this engine started (tests assert on it). */
  readonly activityLog: ActivityRun[] = [];
  readonly taskHubName: string;

  readonly #store: DurableStore;
  readonly #clock: HostClock;
  readonly #registry: () => Registry;
  readonly #durableClient: () => unknown;
  readonly #maxActivities: number;
  readonly #batchSize: number;
  readonly #logError: (message: string) => void;
  readonly #versioning: VersioningSettings;
  /**
   * Instances this host must not run (their version does not match, versionFailureStrategy Reject): their
   * messages stay queued, untouched, for a host that runs them (this one after a restart with a newer version).
   */
  #parked = new Set<string>();

  /** Queued messages per instance, each list in seq order (an instance's turn reads only its own). */
  #messages = new Map<string, QueuedMessage[]>();
  /** The instance of each queued message, by seq (a commit deletes messages by seq). */
  #messageInstance = new Map<number, string>();
  /**
   * Instances with queued messages, in turn order: each gets one episode per round (its oldest message),
   * so a backlog on one instance (a lane flooded with builds) never delays another's events (an alert
   * for a baking release). Azure dispatches instances concurrently and batches each one's messages; one
   * message per turn is the single-threaded equivalent.
   */
  #rotation: string[] = [];
  #inRotation = new Set<string>();
  /**
   * Instances started through the management API that have not run an episode yet, with their own turn order.
   * Azure runs up to `maxConcurrentOrchestratorFunctions` episodes at once, so a burst of new instances (a hook
   * flood's receipts) never holds up the episode of an instance in flight (a baking release's alert); this engine
   * runs one at a time, so instances in flight take their turns first, with one new instance let in after every
   * `IN_FLIGHT_TURNS` of theirs (new instances are never starved).
   */
  #fresh = new Set<string>();
  #freshRotation: string[] = [];
  #inFlightTurns = 0;
  #activities = new Map<number, QueuedActivity>();
  #runningActivities = new Map<number, Promise<void>>();
  #timers = new Map<number, { timer: QueuedTimer; cancel: () => void }>();
  #episode: Promise<void> | undefined;
  #kickScheduled = false;
  #started = false;
  #stopped = false;
  #idleWaiters: (() => void)[] = [];
  #idleCheckScheduled = false;

  constructor(options: DurableEngineOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#registry = options.registry;
    this.#durableClient =
      options.durableClient ??
      (() => {
        throw new Error('durable engine: no durableClient binding is configured for this host');
      });
    this.taskHubName = options.taskHubName ?? 'LocalHub';
    this.#maxActivities = options.maxConcurrentActivities ?? 10;
    this.#batchSize = Math.max(1, options.controlQueueBatchSize ?? 32);
    this.#logError = options.logError ?? ((m) => console.error(m));
    this.#versioning = options.versioning ?? {
      defaultVersion: undefined,
      matchStrategy: 'CurrentOrOlder',
      failureStrategy: 'Reject',
    };
  }

  /** The versioning settings this engine applies. */
  get versioning(): VersioningSettings {
    return this.#versioning;
  }

  /** Instances left queued because their version does not match this host's (versionFailureStrategy Reject). */
  get rejectedInstances(): string[] {
    return [...this.#parked];
  }

  /** The store this engine commits to. */
  get store(): DurableStore {
    return this.#store;
  }

  /** Loads everything queued (after a restart: pending activities re-run, timers re-armed) and starts working. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const { messages, activities, timers } = this.#store.loadQueues();
    this.#queueMessages(messages);
    for (const a of activities) this.#activities.set(a.id, a);
    for (const t of timers) this.#armTimer(t);
    this.#kick();
  }

  /** Stops dispatching, cancels timers and waits for the step in flight; the store stays open. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const { cancel } of this.#timers.values()) cancel();
    this.#timers.clear();
    // A hung activity must not hang shutdown: it stays queued and runs again at the next start.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([this.#episode, ...this.#runningActivities.values()]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 5000);
        timer.unref();
      }),
    ]);
    if (timer) clearTimeout(timer);
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  // ---------------------------------------------------------------- management operations

  /**
   * Starts (or restarts a finished) instance; 409 when it exists and is not finished, 400 for unknown names.
   * The instance gets `version`, else the host's defaultVersion, in its ExecutionStarted event (the client's
   * `startNew(name, { version })` and the extension's default).
   */
  startNew(
    name: string,
    options: { instanceId?: string; input?: unknown; inputJson?: string | null; version?: string } = {},
  ): string {
    const registry = this.#registry();
    const fn = findFunction(registry, name, 'orchestrationTrigger');
    if (!fn) {
      throw new DurableEngineError(
        `start: the function '${name}' doesn't exist, is disabled, or is not an orchestrator function`,
        400,
      );
    }
    const instanceId = options.instanceId ?? randomUUID().replace(/-/g, '');
    if (!instanceId || /[/\\#?]/.test(instanceId) || instanceId.length > 256) {
      throw new DurableEngineError(`start: instance id '${instanceId}' is not valid`, 400);
    }
    const inputJson = options.inputJson !== undefined ? options.inputJson : rawInputJson(options.input);
    const existing = this.#store.getInstance(instanceId);
    if (existing && !isTerminal(existing.status)) {
      throw new DurableEngineError(
        `start: an instance with ID '${instanceId}' already exists and is ${existing.status}`,
        409,
      );
    }
    const now = this.#clock.now();
    const record: InstanceRecord = {
      instanceId,
      name: fn.metadata.name,
      executionId: randomUUID().replace(/-/g, ''),
      status: 'Pending',
      input: inputJson,
      output: null,
      customStatus: null,
      createdTime: now,
      lastUpdatedTime: now,
      parent: null,
      state: newExecution(),
    };
    const version = options.version || this.#versioning.defaultVersion;
    const batch: CommitBatch = {
      putInstances: [record],
      addMessages: [
        { instanceId, executionId: record.executionId, event: this.#startedEvent(record, now, version) },
      ],
    };
    if (existing) {
      batch.clearMessages = [instanceId];
      batch.clearWork = [instanceId];
      batch.resetHistory = [instanceId];
    }
    this.#fresh.add(instanceId);
    this.#commit(batch);
    return instanceId;
  }

  /** Queues an external event; 'gone' for finished instances (the API answers 410). */
  raiseEvent(
    instanceId: string,
    eventName: string,
    data?: unknown,
    dataJson?: string | null,
  ): InstanceOpResult {
    const instance = this.#store.getInstance(instanceId);
    if (!instance) return 'notFound';
    if (isTerminal(instance.status)) return 'gone';
    const input = dataJson !== undefined ? dataJson : rawInputJson(data);
    const fields: Record<string, unknown> = { Name: eventName };
    if (input !== null) fields.Input = input;
    this.#commit({
      addMessages: [
        { instanceId, executionId: null, event: event(EventType.EventRaised, this.#clock.now(), fields) },
      ],
    });
    return 'accepted';
  }

  /** Queues a termination; 'gone' for finished instances. */
  terminate(instanceId: string, reason = ''): InstanceOpResult {
    const instance = this.#store.getInstance(instanceId);
    if (!instance) return 'notFound';
    if (isTerminal(instance.status)) return 'gone';
    this.#commit({
      addMessages: [
        {
          instanceId,
          executionId: null,
          event: event(EventType.ExecutionTerminated, this.#clock.now(), { Input: reason }),
        },
      ],
    });
    return 'accepted';
  }

  /** Deletes an instance with its history and queued work; false when unknown. */
  purge(instanceId: string): boolean {
    if (!this.#store.getInstance(instanceId)) return false;
    this.#commit({ deleteInstances: [instanceId] });
    return true;
  }

  /** Deletes every instance matching the filter; returns how many. */
  purgeBy(filter: InstanceFilter): number {
    const ids = this.#store.listInstances(filter).map((r) => r.instanceId);
    if (ids.length > 0) this.#commit({ deleteInstances: ids });
    return ids.length;
  }

  /** The extension's status payload, or undefined for unknown instances. */
  getStatus(
    instanceId: string,
    options: { showHistory?: boolean; showInput?: boolean } = {},
  ): StatusPayload | undefined {
    const record = this.#store.getInstance(instanceId);
    if (!record) return undefined;
    const payload = this.#toStatus(record, options.showInput !== false);
    if (options.showHistory) payload.historyEvents = this.#store.getHistory(instanceId);
    return payload;
  }

  /** Status payloads of every instance matching the filter. */
  list(filter: InstanceFilter = {}, options: { showInput?: boolean } = {}): StatusPayload[] {
    return this.#store.listInstances(filter).map((r) => this.#toStatus(r, options.showInput !== false));
  }

  /**
   * One page of status payloads matching the filter, in instance id order, as the extension's
   * `GET instances/?top=` answers: `continuationToken` (opaque) when more may follow. An unreadable token
   * throws a 400 `DurableEngineError`.
   */
  query(
    filter: InstanceFilter,
    options: { top: number; continuationToken?: string; showInput?: boolean },
  ): { statuses: StatusPayload[]; continuationToken?: string } {
    const page = this.#queryPage(filter, options);
    return {
      statuses: page.records.map((r) => this.#toStatus(r, options.showInput !== false)),
      ...(page.next !== undefined ? { continuationToken: encodeContinuation(page.next) } : {}),
    };
  }

  /**
   * `query` as the JSON text of its status array: the stored input, output and custom status texts are put in as
   * they are, never parsed and serialised again (what a page of large release documents spent most time on).
   */
  queryJson(
    filter: InstanceFilter,
    options: { top: number; continuationToken?: string; showInput?: boolean },
  ): { json: string; continuationToken?: string } {
    const page = this.#queryPage(filter, options);
    const showInput = options.showInput !== false;
    const text = (r: InstanceRecord): string =>
      `{"name":${JSON.stringify(r.name)},"instanceId":${JSON.stringify(r.instanceId)},` +
      `"runtimeStatus":${JSON.stringify(r.status)},"input":${(showInput ? r.input : null) ?? 'null'},` +
      `"customStatus":${r.customStatus ?? 'null'},"output":${r.output ?? 'null'},` +
      `"createdTime":"${statusTime(r.createdTime)}","lastUpdatedTime":"${statusTime(r.lastUpdatedTime)}"}`;
    return {
      json: `[${page.records.map(text).join(',')}]`,
      ...(page.next !== undefined ? { continuationToken: encodeContinuation(page.next) } : {}),
    };
  }

  #queryPage(
    filter: InstanceFilter,
    options: { top: number; continuationToken?: string; showInput?: boolean },
  ) {
    const after =
      options.continuationToken === undefined ? undefined : decodeContinuation(options.continuationToken);
    return this.#store.queryInstances(filter, {
      top: options.top,
      ...(after ? { after } : {}),
      withInputs: options.showInput !== false,
    });
  }

  /** Full stored history of an instance's current execution. */
  getHistory(instanceId: string): HistoryEvent[] {
    return this.#store.getHistory(instanceId);
  }

  /** Resolves once nothing is runnable: no queued message, no activity queued or running, no due timer. */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idleWaiters.push(resolve);
      this.#scheduleIdleCheck();
    });
  }

  // ---------------------------------------------------------------- dispatching

  #kick(): void {
    if (this.#kickScheduled || this.#stopped || !this.#started) return;
    this.#kickScheduled = true;
    setImmediate(() => {
      this.#kickScheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#stopped) return;
    for (const item of this.#activities.values()) {
      if (this.#runningActivities.size >= this.#maxActivities) break;
      if (this.#runningActivities.has(item.id)) continue;
      const run = this.#runActivity(item)
        .catch((err: unknown) =>
          this.#logError(`durable engine: activity '${item.name}' step failed: ${String(err)}`),
        )
        .finally(() => {
          this.#runningActivities.delete(item.id);
          this.#kick();
          this.#scheduleIdleCheck();
        });
      this.#runningActivities.set(item.id, run);
    }
    const message = this.#episode ? undefined : this.#nextMessage();
    if (message) {
      this.#episode = this.#runEpisode(message)
        .catch((err: unknown) => {
          this.#logError(
            `durable engine: episode of instance '${message.instanceId}' failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
          );
          // Never spin on a poisoned message: drop it so the other instances keep running.
          this.#commitSafe({ deleteMessages: [message.seq] });
        })
        .finally(() => {
          this.#episode = undefined;
          if (this.#messages.has(message.instanceId)) {
            this.#enqueueInstance(message.instanceId);
          }
          this.#kick();
          this.#scheduleIdleCheck();
        });
    }
    this.#scheduleIdleCheck();
  }

  /** The oldest message of the instance whose turn it is (per-instance order is kept, starts first). */
  #nextMessage(): QueuedMessage | undefined {
    if (this.#rotation.length === 0 && this.#freshRotation.length === 0) {
      for (const instanceId of this.#messages.keys())
        if (!this.#parked.has(instanceId)) this.#enqueueInstance(instanceId);
    }
    for (;;) {
      const freshTurn =
        this.#freshRotation.length > 0 &&
        (this.#rotation.length === 0 || this.#inFlightTurns >= IN_FLIGHT_TURNS);
      const instanceId = freshTurn ? this.#freshRotation.shift() : this.#rotation.shift();
      if (instanceId === undefined) return undefined;
      this.#inFlightTurns = freshTurn ? 0 : this.#inFlightTurns + 1;
      this.#inRotation.delete(instanceId);
      if (this.#parked.has(instanceId)) continue;
      // A new execution's start goes first: events raised while the previous one continued-as-new
      // belong to the new one (Azure hands them to it with its start), not before it.
      const own = this.#messages.get(instanceId) ?? [];
      const message = own.find((m) => m.event.EventType === EventType.ExecutionStarted) ?? own[0];
      if (message) {
        this.#fresh.delete(instanceId);
        return message;
      }
    }
  }

  /** Adds stored messages to their instances' queues (seqs only grow, so appending keeps each in order). */
  #queueMessages(messages: QueuedMessage[]): void {
    for (const m of messages) {
      this.#messageInstance.set(m.seq, m.instanceId);
      const list = this.#messages.get(m.instanceId);
      if (!list) this.#messages.set(m.instanceId, [m]);
      else if (list.at(-1)!.seq < m.seq) list.push(m);
      else {
        list.push(m);
        list.sort((a, b) => a.seq - b.seq);
      }
      this.#enqueueInstance(m.instanceId);
    }
  }

  #enqueueInstance(instanceId: string): void {
    if (this.#inRotation.has(instanceId)) return;
    this.#inRotation.add(instanceId);
    (this.#fresh.has(instanceId) ? this.#freshRotation : this.#rotation).push(instanceId);
  }

  #isIdle(): boolean {
    if (this.#kickScheduled || this.#episode) return false;
    for (const instanceId of this.#messages.keys()) if (!this.#parked.has(instanceId)) return false;
    if (this.#activities.size > 0 || this.#runningActivities.size > 0) return false;
    const now = this.#clock.now();
    for (const { timer } of this.#timers.values()) if (timer.fireAt <= now) return false;
    return true;
  }

  #scheduleIdleCheck(): void {
    if (this.#idleCheckScheduled || this.#idleWaiters.length === 0) return;
    this.#idleCheckScheduled = true;
    // setImmediate lets due timers and just-finished promises land before deciding.
    setImmediate(() => {
      this.#idleCheckScheduled = false;
      if (this.#stopped || this.#isIdle()) {
        for (const resolve of this.#idleWaiters.splice(0)) resolve();
      } else if (this.#idleWaiters.length > 0 && !this.#episode && !this.#kickScheduled) {
        // Waiting on activities (I/O) or a due timer: look again shortly.
        setTimeout(() => this.#scheduleIdleCheck(), 2);
      }
    });
  }

  #commit(batch: CommitBatch): CommitResult {
    const result = this.#store.commit(batch);
    this.#mirror(batch, result);
    this.#kick();
    return result;
  }

  #commitSafe(batch: CommitBatch): void {
    try {
      this.#commit(batch);
    } catch (err) {
      this.#logError(`durable engine: commit failed: ${String(err)}`);
    }
  }

  /** Keeps the in-memory queues equal to what the store now holds. */
  #mirror(batch: CommitBatch, result: CommitResult): void {
    const dropInstances = (ids: string[] | undefined, work: boolean, messages: boolean): void => {
      if (!ids || ids.length === 0) return;
      const set = new Set(ids);
      if (work) {
        for (const [id, a] of this.#activities) if (set.has(a.instanceId)) this.#activities.delete(id);
        for (const [id, t] of this.#timers) {
          if (set.has(t.timer.instanceId)) {
            t.cancel();
            this.#timers.delete(id);
          }
        }
      }
      if (messages) {
        for (const id of set) {
          for (const m of this.#messages.get(id) ?? []) this.#messageInstance.delete(m.seq);
          this.#messages.delete(id);
        }
      }
    };
    // A purged or restarted instance starts over: nothing of its old execution is held back any more.
    for (const id of [...(batch.deleteInstances ?? []), ...(batch.clearMessages ?? [])])
      this.#parked.delete(id);
    for (const id of batch.deleteInstances ?? []) this.#fresh.delete(id);
    dropInstances(batch.deleteInstances, true, true);
    dropInstances(batch.clearWork, true, false);
    dropInstances(batch.clearMessages, false, true);
    if (batch.deleteMessages?.length) {
      const set = new Set(batch.deleteMessages);
      const touched = new Set<string>();
      for (const seq of set) {
        const instanceId = this.#messageInstance.get(seq);
        if (instanceId !== undefined) touched.add(instanceId);
        this.#messageInstance.delete(seq);
      }
      for (const instanceId of touched) {
        const kept = (this.#messages.get(instanceId) ?? []).filter((m) => !set.has(m.seq));
        if (kept.length === 0) this.#messages.delete(instanceId);
        else this.#messages.set(instanceId, kept);
      }
    }
    for (const id of batch.deleteActivities ?? []) this.#activities.delete(id);
    for (const id of batch.deleteTimers ?? []) {
      this.#timers.get(id)?.cancel();
      this.#timers.delete(id);
    }
    if (result.messages.length > 0) this.#queueMessages(result.messages);
    for (const a of result.activities) this.#activities.set(a.id, a);
    for (const t of result.timers) this.#armTimer(t);
  }

  #armTimer(timer: QueuedTimer): void {
    if (this.#stopped) return;
    const cancel = this.#clock.schedule(timer.fireAt, () => this.#fireTimer(timer.id));
    this.#timers.set(timer.id, { timer, cancel });
  }

  #fireTimer(id: number): void {
    const entry = this.#timers.get(id);
    if (!entry || this.#stopped) return;
    const { timer } = entry;
    this.#commitSafe({
      deleteTimers: [id],
      addMessages: [
        {
          instanceId: timer.instanceId,
          executionId: timer.executionId,
          event: event(EventType.TimerFired, this.#clock.now(), {
            TimerId: timer.timerId,
            FireAt: iso(timer.fireAt),
          }),
        },
      ],
    });
  }

  // ---------------------------------------------------------------- activities

  async #runActivity(item: QueuedActivity): Promise<void> {
    const input = parseJson(item.input);
    const run: ActivityRun = {
      name: item.name,
      input,
      attempt: item.attempt,
      instanceId: item.instanceId,
      taskId: item.taskId,
    };
    this.activityLog.push(run);
    let completion: HistoryEvent;
    try {
      const registry = this.#registry();
      const fn = findFunction(registry, item.name, 'activityTrigger');
      if (!fn) {
        throw new Error(
          `The function '${item.name}' doesn't exist, is disabled, or is not an activity function.`,
        );
      }
      const response = await invokeRegistered(registry, fn, {
        inputData: [
          { name: triggerBindingName(fn), data: item.input === null ? null : { json: item.input } },
          ...extraInputsFor(fn, this.#durableClient),
        ],
        triggerMetadata: { instanceId: { string: item.instanceId } },
      });
      completion = event(EventType.TaskCompleted, this.#clock.now(), {
        TaskScheduledId: item.taskId,
        Result: typedDataToJson(response.returnValue),
      });
      run.outcome = 'completed';
    } catch (err) {
      const { Reason, Details } = failureFields(err);
      run.outcome = 'failed';
      run.error = Reason;
      completion = event(EventType.TaskFailed, this.#clock.now(), {
        TaskScheduledId: item.taskId,
        Reason: `Activity function '${item.name}' failed: ${Reason}`,
        Details,
      });
    }
    // Cleared meanwhile (instance finished, terminated, purged or restarted): the result has nowhere to go.
    // Stopping: the outcome may be an artefact of the shutdown, so the item stays queued and runs again.
    if (this.#stopped || !this.#activities.has(item.id)) return;
    this.#commit({
      deleteActivities: [item.id],
      addMessages: [{ instanceId: item.instanceId, executionId: item.executionId, event: completion }],
    });
  }

  // ---------------------------------------------------------------- orchestration episodes

  #startedEvent(record: InstanceRecord, now: number, version: string | undefined): HistoryEvent {
    const fields: Record<string, unknown> = {
      Name: record.name,
      Input: record.input ?? undefined,
      OrchestrationInstance: { InstanceId: record.instanceId, ExecutionId: record.executionId },
    };
    // The SDK reads `context.df.version` from here (DurableOrchestrationContext.extractVersionFromHistory).
    if (version) fields.Version = version;
    if (record.parent) {
      fields.ParentInstance = {
        OrchestrationInstance: {
          InstanceId: record.parent.instanceId,
          ExecutionId: record.parent.executionId,
        },
        TaskScheduleId: record.parent.taskId,
      };
    }
    return event(EventType.ExecutionStarted, now, fields);
  }

  /** The external events queued for `head`'s instance right after it, up to the batch size (see `controlQueueBatchSize`). */
  #followers(head: QueuedMessage): QueuedMessage[] {
    if (this.#batchSize <= 1 || head.event.EventType === EventType.ExecutionTerminated) return [];
    const out: QueuedMessage[] = [];
    for (const m of this.#messages.get(head.instanceId) ?? []) {
      if (m.seq === head.seq) continue;
      if (m.event.EventType !== EventType.EventRaised || m.executionId !== null) break;
      out.push(m);
      if (out.length + 1 >= this.#batchSize) break;
    }
    return out;
  }

  async #runEpisode(message: QueuedMessage): Promise<void> {
    const instance = this.#store.getInstance(message.instanceId);
    const ev = message.event;
    const stale =
      !instance ||
      (message.executionId !== null && message.executionId !== instance.executionId) ||
      isTerminal(instance.status) ||
      (ev.EventType === EventType.ExecutionStarted &&
        instance.status !== 'Pending' &&
        instance.status !== 'ContinuedAsNew');
    if (!instance || stale) {
      // Results for finished or replaced executions, duplicate starts: dropped like the extension drops them.
      this.#commit({ deleteMessages: [message.seq] });
      return;
    }
    const stored = this.#store.getHistory(instance.instanceId);
    // The execution's version: its ExecutionStarted, stored or being delivered now.
    const startedWith = stored.find((e) => e.EventType === EventType.ExecutionStarted) ?? ev;
    const version = typeof startedWith.Version === 'string' ? startedWith.Version : undefined;
    // Durable checks the version before anything of the work item runs, a termination included
    // (TaskOrchestrationDispatcher.OnProcessWorkItemAsync).
    const mismatch = this.#versionMismatch(version);
    if (mismatch && this.#versioning.failureStrategy === 'Reject') {
      if (!this.#parked.has(instance.instanceId)) {
        this.#parked.add(instance.instanceId);
        this.#logError(
          `durable engine: instance '${instance.instanceId}' (${instance.name}) has orchestration version '${version ?? ''}', which ${mismatch} this host's defaultVersion '${this.#versioning.defaultVersion}' (versionMatchStrategy ${this.#versioning.matchStrategy}): left queued for a host that runs it (versionFailureStrategy Reject)`,
        );
      }
      return;
    }
    if (!mismatch && ev.EventType === EventType.ExecutionTerminated) {
      this.#terminateNow(instance, message);
      return;
    }

    let now = this.#clock.now();
    for (const e of stored) {
      if (e.EventType === EventType.OrchestratorStarted) now = Math.max(now, Date.parse(e.Timestamp));
    }
    const started = event(EventType.OrchestratorStarted, now);
    const delivered: HistoryEvent = { ...ev, IsPlayed: false };
    // The external events queued right behind it come in the same episode, as from an Azure control-queue batch.
    // Only events: their delivery allocates no sequence ids, so counting the SDK's leaves stays exact.
    const followers = mismatch ? [] : this.#followers(message);
    const batchEvents: HistoryEvent[] = [
      delivered,
      ...followers.map((m) => ({ ...m.event, IsPlayed: false })),
    ];
    const state: ExecutionState = structuredClone(instance.state);
    const batch: Required<Pick<CommitBatch, 'addActivities' | 'addTimers' | 'addMessages' | 'deleteTimers'>> &
      CommitBatch = {
      deleteMessages: [message.seq, ...followers.map((m) => m.seq)],
      addActivities: [],
      addTimers: [],
      addMessages: [],
      deleteTimers: [],
      putInstances: [],
    };
    const scheduled: HistoryEvent[] = [];
    const ctx = { instance, state, batch, scheduled, now, version };

    // Retries first: the SDK allocates their ids while processing the delivered event, before user code resumes.
    if (!mismatch) this.#retryBookkeeping(ctx, delivered);

    const registry = this.#registry();
    const fn = findFunction(registry, instance.name, 'orchestrationTrigger');
    let reply: WireOrchestratorState | undefined;
    let failure: string | undefined;
    if (mismatch) {
      // versionFailureStrategy Fail: the orchestrator does not run; the instance fails with Durable's text.
      failure = VERSION_MISMATCH;
    } else if (!fn) {
      failure = `The function '${instance.name}' doesn't exist, is disabled, or is not an orchestrator function.`;
    } else {
      const trigger = {
        history: [...stored.map((e) => ({ ...e, IsPlayed: true })), started, ...batchEvents],
        input: parseJson(instance.input),
        instanceId: instance.instanceId,
        isReplaying: false,
        parentInstanceId: instance.parent?.instanceId ?? null,
        upperSchemaVersion: 1,
        upperSchemaVersionNew: 2,
        // Azure Storage values for the long-timer interval; the short-timer cap is huge so timers never split.
        longRunningTimerIntervalDuration: '3.00:00:00',
        maximumShortTimerDuration: '3650.00:00:00',
        defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
      };
      try {
        const response = await invokeRegistered(registry, fn, {
          inputData: [{ name: triggerBindingName(fn), data: { string: JSON.stringify(trigger) } }],
          triggerMetadata: {},
        });
        const json = response.returnValue?.json;
        if (typeof json !== 'string') throw new Error('the orchestrator returned no OrchestratorState');
        reply = JSON.parse(json) as WireOrchestratorState;
      } catch (err) {
        // Uncaught orchestrator errors carry the state after a marker (OrchestrationFailureError).
        // The SDK passes `orchestratorReturned` as the error, so the text before the marker is "false": the real
        // message is the state's `error`.
        const text = err instanceof Error ? err.message : String(err);
        const marker = text.indexOf(OUT_OF_PROC_MARKER);
        failure = marker >= 0 ? text.slice(0, marker) : text;
        if (marker >= 0) {
          try {
            const partial = JSON.parse(
              text.slice(marker + OUT_OF_PROC_MARKER.length),
            ) as WireOrchestratorState;
            if (typeof partial.error === 'string' && partial.error) failure = partial.error;
            if (partial.customStatus !== undefined) {
              const json = JSON.stringify(partial.customStatus);
              const tooLarge = customStatusSizeError(json);
              if (tooLarge) failure = tooLarge;
              else instance.customStatus = json;
            }
          } catch {
            // Unparseable state: keep the text before the marker.
          }
        }
        failure = `Orchestrator function '${instance.name}' failed: ${failure}`;
      }
    }

    // The extension sets the custom status before it schedules anything: one over the cap fails the episode,
    // the previous custom status stays and nothing this episode asked for runs.
    const statusJson = reply?.customStatus !== undefined ? JSON.stringify(reply.customStatus) : undefined;
    const statusTooLarge = statusJson !== undefined ? customStatusSizeError(statusJson) : undefined;
    if (reply && statusTooLarge) {
      failure = `Orchestrator function '${instance.name}' failed: ${statusTooLarge}`;
      reply = undefined;
    }

    let status: RuntimeStatus = 'Running';
    let continueAsNew: WireAction | undefined;
    if (reply) {
      instance.customStatus = statusJson ?? null;
      const flat = flattenLeaves(reply.actions ?? []);
      continueAsNew = flat.continueAsNew;
      try {
        this.#scheduleLeaves(ctx, flat.leaves);
      } catch (err) {
        failure = `Orchestrator function '${instance.name}' failed: ${err instanceof Error ? err.message : String(err)}`;
      }
      if (!failure && reply.isDone) status = continueAsNew ? 'ContinuedAsNew' : 'Completed';
    }
    if (failure) status = 'Failed';

    // Commit only if the instance was not purged or restarted while the orchestrator ran (nothing awaits below).
    const current = this.#store.getInstance(instance.instanceId);
    if (!current || current.executionId !== instance.executionId) {
      this.#commit({ deleteMessages: batch.deleteMessages });
      return;
    }

    const updated: InstanceRecord = { ...instance, state, status, lastUpdatedTime: this.#clock.now() };
    const historyEvents: HistoryEvent[] = [started, ...batchEvents, ...scheduled];
    if (status === 'Running') {
      historyEvents.push(event(EventType.OrchestratorCompleted, now));
      batch.appendHistory = [{ instanceId: instance.instanceId, events: historyEvents }];
      batch.putInstances!.push(updated);
      this.#commit(batch);
      return;
    }

    // The execution ends: its leftover work (losing timers, unfinished activities) goes with it.
    const own = (x: { instanceId: string }): boolean => x.instanceId !== instance.instanceId;
    batch.addActivities = batch.addActivities.filter(own);
    batch.addTimers = batch.addTimers.filter(own);
    batch.clearWork = [...(batch.clearWork ?? []), instance.instanceId];

    if (status === 'ContinuedAsNew' && continueAsNew) {
      // A fresh execution with the new input; events buffered but not consumed are dropped (extension default).
      updated.executionId = randomUUID().replace(/-/g, '');
      updated.input = processedInputJson(continueAsNew.input);
      updated.output = null;
      updated.state = newExecution();
      batch.resetHistory = [instance.instanceId];
      batch.addMessages.push({
        instanceId: instance.instanceId,
        executionId: updated.executionId,
        // The new execution keeps the version (DTFx: `NewVersion ?? runtimeState.Version`; the SDK's
        // ContinueAsNew action names none).
        event: this.#startedEvent(updated, now, version),
      });
      batch.putInstances!.push(updated);
      this.#commit(batch);
      return;
    }

    if (status === 'Completed') {
      updated.output = reply?.output === undefined ? 'null' : JSON.stringify(reply.output);
      historyEvents.push(event(EventType.OrchestratorCompleted, now));
      historyEvents.push(
        event(EventType.ExecutionCompleted, now, {
          OrchestrationStatus: 'Completed',
          Result: updated.output,
        }),
      );
      if (instance.parent) {
        batch.addMessages.push({
          instanceId: instance.parent.instanceId,
          executionId: instance.parent.executionId,
          event: event(EventType.SubOrchestrationInstanceCompleted, now, {
            TaskScheduledId: instance.parent.taskId,
            Result: updated.output,
          }),
        });
      }
    } else {
      const reason = failure ?? 'unknown failure';
      updated.output = JSON.stringify(reason);
      historyEvents.push(event(EventType.OrchestratorCompleted, now));
      historyEvents.push(
        event(EventType.ExecutionFailed, now, { OrchestrationStatus: 'Failed', Result: reason }),
      );
      if (instance.parent) {
        batch.addMessages.push({
          instanceId: instance.parent.instanceId,
          executionId: instance.parent.executionId,
          event: event(EventType.SubOrchestrationInstanceFailed, now, {
            TaskScheduledId: instance.parent.taskId,
            Reason: reason,
            Details: '',
          }),
        });
      }
    }
    batch.appendHistory = [{ instanceId: instance.instanceId, events: historyEvents }];
    batch.putInstances!.push(updated);
    this.#commit(batch);
  }

  /**
   * Why this host must not run an execution of `version`, or undefined when it may: `versionMatchStrategy`
   * against the host's defaultVersion, as DTFx compares them (Strict: the same string; CurrentOrOlder: not
   * newer, by `compareVersions`). A host without a defaultVersion checks nothing, as the Durable Task SDKs do.
   */
  #versionMismatch(version: string | undefined): string | undefined {
    const { defaultVersion, matchStrategy } = this.#versioning;
    if (defaultVersion === undefined || matchStrategy === 'None') return undefined;
    if (matchStrategy === 'Strict') return (version ?? '') === defaultVersion ? undefined : 'does not match';
    return compareVersions(version, defaultVersion) > 0 ? 'is newer than' : undefined;
  }

  #terminateNow(instance: InstanceRecord, message: QueuedMessage): void {
    const now = this.#clock.now();
    const reason = typeof message.event.Input === 'string' ? message.event.Input : '';
    const batch: CommitBatch = {
      deleteMessages: [message.seq],
      clearWork: [instance.instanceId],
      appendHistory: [
        {
          instanceId: instance.instanceId,
          events: [{ ...message.event, IsPlayed: false }],
        },
      ],
      putInstances: [
        { ...instance, status: 'Terminated', output: JSON.stringify(reason), lastUpdatedTime: now },
      ],
      addMessages: [],
    };
    if (instance.parent) {
      batch.addMessages!.push({
        instanceId: instance.parent.instanceId,
        executionId: instance.parent.executionId,
        event: event(EventType.SubOrchestrationInstanceFailed, now, {
          TaskScheduledId: instance.parent.taskId,
          Reason: `Sub-orchestration '${instance.instanceId}' was terminated: ${reason}`,
          Details: '',
        }),
      });
    }
    this.#commit(batch);
  }

  #retryBookkeeping(ctx: EpisodeContext, delivered: HistoryEvent): void {
    const { state } = ctx;
    const type = delivered.EventType;
    if (type === EventType.TaskFailed || type === EventType.SubOrchestrationInstanceFailed) {
      const group = state.retries.find(
        (g) => !g.done && g.timerId === null && g.taskId === delivered.TaskScheduledId,
      );
      if (!group) return;
      group.attempt += 1;
      // After every failure the SDK tracks a retry timer (id = seq++), even after the last attempt.
      const timerId = state.nextSeq++;
      group.timerId = timerId;
      const fireAt = ctx.now + retryDelay(group.options, group.attempt - 1);
      ctx.scheduled.push(event(EventType.TimerCreated, ctx.now, { FireAt: iso(fireAt) }, timerId));
      ctx.batch.addTimers.push({
        instanceId: ctx.instance.instanceId,
        executionId: ctx.instance.executionId,
        timerId,
        fireAt,
      });
    } else if (type === EventType.TimerFired) {
      const group = state.retries.find((g) => !g.done && g.timerId === delivered.TimerId);
      if (!group) return;
      group.timerId = null;
      if (group.attempt > group.options.maxNumberOfAttempts) {
        group.done = true;
        return;
      }
      const taskId = state.nextSeq++;
      group.taskId = taskId;
      this.#scheduleWork(
        ctx,
        group.kind,
        taskId,
        group.name,
        group.input,
        group.instanceId,
        group.attempt,
        group.version ?? undefined,
      );
    } else if (type === EventType.TaskCompleted || type === EventType.SubOrchestrationInstanceCompleted) {
      const group = state.retries.find((g) => !g.done && g.taskId === delivered.TaskScheduledId);
      if (group) group.done = true;
    }
  }

  #scheduleLeaves(ctx: EpisodeContext, leaves: WireAction[]): void {
    const { state } = ctx;
    leaves.forEach((leaf, index) => {
      if (index < state.leafIds.length) {
        // Already scheduled: only a cancelled timer (Task.any loser) needs attention; its timer is dropped.
        if (leaf.actionType === ACTION.CreateTimer && leaf.isCanceled) {
          const timerId = state.leafIds[index];
          for (const { timer } of this.#timers.values()) {
            if (
              timer.instanceId === ctx.instance.instanceId &&
              timer.executionId === ctx.instance.executionId &&
              timer.timerId === timerId
            ) {
              ctx.batch.deleteTimers.push(timer.id);
            }
          }
        }
        return;
      }
      const id = state.nextSeq++;
      state.leafIds.push(id);
      switch (leaf.actionType) {
        case ACTION.CallActivity:
        case ACTION.CallActivityWithRetry: {
          const input = processedInputJson(leaf.input);
          const name = String(leaf.functionName);
          if (leaf.actionType === ACTION.CallActivityWithRetry && leaf.retryOptions) {
            state.retries.push(this.#retryGroup('activity', name, input, null, leaf.retryOptions, id));
          }
          this.#scheduleWork(ctx, 'activity', id, name, input, null, 1);
          break;
        }
        case ACTION.CallSubOrchestrator:
        case ACTION.CallSubOrchestratorWithRetry: {
          const input = rawInputJson(leaf.input);
          const name = String(leaf.functionName);
          const childId = leaf.instanceId ?? null;
          const version = leaf.version || undefined;
          if (leaf.actionType === ACTION.CallSubOrchestratorWithRetry && leaf.retryOptions) {
            const group = this.#retryGroup('subOrchestration', name, input, childId, leaf.retryOptions, id);
            if (version) group.version = version;
            state.retries.push(group);
          }
          this.#scheduleWork(ctx, 'subOrchestration', id, name, input, childId, 1, version);
          break;
        }
        case ACTION.CreateTimer: {
          const fireAt = Date.parse(String(leaf.fireAt));
          ctx.scheduled.push(event(EventType.TimerCreated, ctx.now, { FireAt: iso(fireAt) }, id));
          if (!leaf.isCanceled) {
            ctx.batch.addTimers.push({
              instanceId: ctx.instance.instanceId,
              executionId: ctx.instance.executionId,
              timerId: id,
              fireAt,
            });
          }
          break;
        }
        default:
          throw new Error(
            `the local Durable host does not support ${ACTION_NAMES[leaf.actionType] ?? `action type ${leaf.actionType}`} (entities and callHttp are not emulated)`,
          );
      }
    });
  }

  #retryGroup(
    kind: RetryGroup['kind'],
    name: string,
    input: string | null,
    instanceId: string | null,
    options: WireRetryOptions,
    taskId: number,
  ): RetryGroup {
    return { kind, name, input, instanceId, options, attempt: 1, taskId, timerId: null, done: false };
  }

  #scheduleWork(
    ctx: EpisodeContext,
    kind: RetryGroup['kind'],
    taskId: number,
    name: string,
    input: string | null,
    childInstanceId: string | null,
    attempt: number,
    version?: string,
  ): void {
    const { instance, batch, scheduled, now } = ctx;
    if (kind === 'activity') {
      scheduled.push(event(EventType.TaskScheduled, now, { Name: name, Input: input ?? undefined }, taskId));
      batch.addActivities.push({
        instanceId: instance.instanceId,
        executionId: instance.executionId,
        taskId,
        name,
        input,
        attempt,
      });
      return;
    }
    // The extension's default sub-orchestration id is derived from the parent; ours: `<parent>:<seq 4 digits>`.
    const childId = childInstanceId ?? `${instance.instanceId}:${String(taskId).padStart(4, '0')}`;
    // A sub-orchestration gets the version asked for, else this host's defaultVersion (not its parent's).
    const childVersion = version ?? this.#versioning.defaultVersion;
    scheduled.push(
      event(
        EventType.SubOrchestrationInstanceCreated,
        now,
        {
          Name: name,
          InstanceId: childId,
          Input: input ?? undefined,
          ...(childVersion ? { Version: childVersion } : {}),
        },
        taskId,
      ),
    );
    const fn = findFunction(this.#registry(), name, 'orchestrationTrigger');
    const existing = this.#store.getInstance(childId);
    const pendingChild = batch.putInstances?.some((r) => r.instanceId === childId);
    let refusal: string | undefined;
    if (!fn)
      refusal = `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`;
    else if (pendingChild || (existing && !isTerminal(existing.status))) {
      refusal = `Sub-orchestration instance '${childId}' already exists and is ${existing?.status ?? 'Pending'}.`;
    }
    if (refusal) {
      batch.addMessages.push({
        instanceId: instance.instanceId,
        executionId: instance.executionId,
        event: event(EventType.SubOrchestrationInstanceFailed, now, {
          TaskScheduledId: taskId,
          Reason: refusal,
          Details: '',
        }),
      });
      return;
    }
    const child: InstanceRecord = {
      instanceId: childId,
      name: fn!.metadata.name,
      executionId: randomUUID().replace(/-/g, ''),
      status: 'Pending',
      input,
      output: null,
      customStatus: null,
      createdTime: now,
      lastUpdatedTime: now,
      parent: { instanceId: instance.instanceId, executionId: instance.executionId, taskId },
      state: newExecution(),
    };
    if (existing) {
      batch.clearMessages = [...(batch.clearMessages ?? []), childId];
      batch.clearWork = [...(batch.clearWork ?? []), childId];
      batch.resetHistory = [...(batch.resetHistory ?? []), childId];
    }
    batch.putInstances!.push(child);
    batch.addMessages.push({
      instanceId: childId,
      executionId: child.executionId,
      event: this.#startedEvent(child, now, childVersion),
    });
  }

  #toStatus(record: InstanceRecord, showInput: boolean): StatusPayload {
    return {
      name: record.name,
      instanceId: record.instanceId,
      runtimeStatus: record.status,
      input: showInput ? parseJson(record.input) : null,
      customStatus: parseJson(record.customStatus),
      output: parseJson(record.output),
      createdTime: statusTime(record.createdTime),
      lastUpdatedTime: statusTime(record.lastUpdatedTime),
    };
  }
}

/** What an episode is building. */
interface EpisodeContext {
  instance: InstanceRecord;
  state: ExecutionState;
  batch: Required<Pick<CommitBatch, 'addActivities' | 'addTimers' | 'addMessages' | 'deleteTimers'>> &
    CommitBatch;
  scheduled: HistoryEvent[];
  now: number;
  /** The running execution's orchestration version, if it has one. */
  version: string | undefined;
}
