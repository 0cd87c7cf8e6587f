/** Durable engine data: history events (DTFx wire shape), instances, queued work, and the store contract. */

/** DTFx history event types (`HistoryEventType`). */
export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
} as const;

/** A history event as Newtonsoft serialises DTFx events (PascalCase); extra fields per type. */
export interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  [field: string]: unknown;
}

/** Runtime status names, as the extension reports them. */
export type RuntimeStatus =
  'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Canceled' | 'Terminated' | 'Suspended';

/** Statuses after which an instance never runs again (unless restarted). */
export const TERMINAL_STATUSES: readonly RuntimeStatus[] = ['Completed', 'Failed', 'Terminated', 'Canceled'];

/** Retry options as the SDK serialises them on CallActivityWithRetry / CallSubOrchestratorWithRetry. */
export interface WireRetryOptions {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

/** A task scheduled with retry options: the host mirrors the SDK's RetryableTask id allocation. */
export interface RetryGroup {
  kind: 'activity' | 'subOrchestration';
  name: string;
  /** Activity: JSON of the decoded input; sub-orchestration: JSON of the raw input. */
  input: string | null;
  /** Sub-orchestration instance id given by the orchestrator, if any. */
  instanceId: string | null;
  /** Sub-orchestration version asked for, if any (else the host's defaultVersion). */
  version?: string | null;
  options: WireRetryOptions;
  /** SDK `attemptNumber`: 1 + failures so far. */
  attempt: number;
  /** Sequence id of the attempt in flight (or last failed). */
  taskId: number;
  /** Sequence id of the retry timer in flight, if waiting. */
  timerId: number | null;
  done: boolean;
}

/** Engine bookkeeping of one execution (reset by continueAsNew). */
export interface ExecutionState {
  /** The SDK's next sequence number. */
  nextSeq: number;
  /** Sequence id of each non-event leaf action, in the SDK's depth-first order. */
  leafIds: number[];
  retries: RetryGroup[];
}

/** Link from a sub-orchestration to the parent task waiting for it. */
export interface ParentLink {
  instanceId: string;
  executionId: string;
  taskId: number;
}

/** One orchestration instance. */
export interface InstanceRecord {
  instanceId: string;
  name: string;
  executionId: string;
  status: RuntimeStatus;
  /** JSON text of the input, or null. */
  input: string | null;
  /** JSON text of the output, or null. */
  output: string | null;
  /** JSON text of the custom status, or null. */
  customStatus: string | null;
  createdTime: number;
  lastUpdatedTime: number;
  parent: ParentLink | null;
  state: ExecutionState;
}

/** A message waiting to become a history event of an instance (one per episode). */
export interface QueuedMessage {
  seq: number;
  instanceId: string;
  /** Execution the message belongs to; null = whatever execution is current (raised events, terminate). */
  executionId: string | null;
  event: HistoryEvent;
}

/** An activity invocation to run (at least once). */
export interface QueuedActivity {
  id: number;
  instanceId: string;
  executionId: string;
  taskId: number;
  name: string;
  /** JSON text of the decoded input, or null for none. */
  input: string | null;
  attempt: number;
}

/** A durable timer (mirrors a TimerCreated event). */
export interface QueuedTimer {
  id: number;
  instanceId: string;
  executionId: string;
  timerId: number;
  fireAt: number;
}

/** Filter for listing instances. */
export interface InstanceFilter {
  createdTimeFrom?: number;
  createdTimeTo?: number;
  runtimeStatus?: RuntimeStatus[];
  instanceIdPrefix?: string;
}

/** One page of an instance query: at most `top` instances after the instance id `after`, in id order. */
export interface InstancePageRequest {
  top: number;
  /** The last instance id of the previous page (exclusive). */
  after?: string;
  /** False: the records' inputs are not read (null), for a query with `showInput=false`. */
  withInputs?: boolean;
}

/** A page of instances, in instance id order (as the Azure Storage provider's Instances table lists them). */
export interface InstancePage {
  records: InstanceRecord[];
  /** The last id of this page when more instances may match, else undefined. */
  next?: string;
}

/** Everything one step changes, applied atomically (deletions first, then writes). */
export interface CommitBatch {
  /** Removes instances with their history and every queued item. */
  deleteInstances?: string[];
  /** Removes queued activities and timers of these instances. */
  clearWork?: string[];
  /** Removes queued messages of these instances. */
  clearMessages?: string[];
  resetHistory?: string[];
  deleteMessages?: number[];
  deleteActivities?: number[];
  deleteTimers?: number[];
  putInstances?: InstanceRecord[];
  appendHistory?: { instanceId: string; events: HistoryEvent[] }[];
  addMessages?: Omit<QueuedMessage, 'seq'>[];
  addActivities?: Omit<QueuedActivity, 'id'>[];
  addTimers?: Omit<QueuedTimer, 'id'>[];
}

/** The rows a commit added, with their assigned ids. */
export interface CommitResult {
  messages: QueuedMessage[];
  activities: QueuedActivity[];
  timers: QueuedTimer[];
}

/** Durable state storage: synchronous, every commit atomic. */
export interface DurableStore {
  getInstance(instanceId: string): InstanceRecord | undefined;
  listInstances(filter?: InstanceFilter): InstanceRecord[];
  /** One page of the instances matching the filter, in instance id order, answered from the store's indexes. */
  queryInstances(filter: InstanceFilter, page: InstancePageRequest): InstancePage;
  getHistory(instanceId: string): HistoryEvent[];
  /** Everything queued, for the engine to resume after a restart. */
  loadQueues(): { messages: QueuedMessage[]; activities: QueuedActivity[]; timers: QueuedTimer[] };
  commit(batch: CommitBatch): CommitResult;
  close(): void;
}

/** Applies the filter to one instance (shared by the stores). */
export function matchesFilter(record: InstanceRecord, filter: InstanceFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.createdTimeFrom !== undefined && record.createdTime < filter.createdTimeFrom) return false;
  if (filter.createdTimeTo !== undefined && record.createdTime > filter.createdTimeTo) return false;
  if (
    filter.runtimeStatus &&
    filter.runtimeStatus.length > 0 &&
    !filter.runtimeStatus.includes(record.status)
  ) {
    return false;
  }
  if (filter.instanceIdPrefix && !record.instanceId.startsWith(filter.instanceIdPrefix)) return false;
  return true;
}
