/** Inputs and outputs exchanged between orchestrations, activities and handlers (plain JSON). */
import type { AlertDelivery } from '../alerts/policy';
import type { CutoverObservation, CutoverQuery } from '../ports/cutover';
import type { NotificationKind } from '../ports/notifier';
import type { TrafficConfig } from '../ports/traffic';
import type {
  AlertAuditRecord,
  AlertBrief,
  BuildInfo,
  CutoverObserved,
  EndedFreeze,
  InstanceProbe,
  InstanceRef,
  ReleaseView,
  RerunInfo,
  RunResult,
  SlotConfig,
  TargetConfig,
  TargetFreeze,
} from '../domain';
import type { Activities, Events, Orchestrations } from '../names';

export type { EndedFreeze };

/** A build handed to a target's lane by the service hook. */
export interface BuildRequest {
  releaseId: string;
  build: BuildInfo;
  /** Snapshot of the target's configuration when the hook arrived: replays never see a config change. */
  target: TargetConfig;
  receivedAt: string;
  /** Set when this build is a re-run of an earlier release (its id is `<base>-r<attempt>`). */
  rerun?: RerunInfo;
}

/** The last succeeded release of a lane, which a manual rollback may still swap back. */
export interface LastSucceeded {
  releaseId: string;
  /** Target name and build, for the rollback's notifications. */
  target?: string;
  build?: BuildInfo;
  /** The slot that served before that release: the one a rollback re-enables. */
  previousSlot: string;
  /** The slot that release made live. */
  liveSlot: string;
  /** The target's traffic provider then (a rollback moves traffic where the release moved it). */
  traffic: TrafficConfig;
}

/** What a lane runs now: one release or one manual rollback, each its own orchestration instance. */
export type LaneWork =
  | {
      kind: 'release';
      /** The release's instance id (= its release id). */
      instanceId: string;
      /** Whether the lane already told it about a newer build (once is enough: phases only move forward). */
      newerSent?: boolean;
      /** When the lane last read its status (to notice an end it was never told of), ISO 8601. */
      checkedAt?: string;
      /**
       * The lane's `lastSucceeded` when this release started: its rollback target again if the release ends
       * without having touched its staging slot (cancelled or superseded before its deploy, failed before it).
       */
      previous?: LastSucceeded;
    }
  | { kind: 'rollback'; instanceId: string; releaseId: string };

/** State a lane carries across `continueAsNew`: everything it knows, so each execution stays a few events. */
export interface LaneState {
  target: string;
  lastSucceeded?: LastSucceeded;
  /** Release IDs the lane already took, newest last: a redelivered hook never runs twice. */
  recent: string[];
  /** Normalised IDs of alerts that acted on this target, newest last (bounded): an alert acts once, ever. */
  actedAlerts?: string[];
  /** The release or rollback running now. */
  running?: LaneWork;
  /** The newest build waiting for `running` to end. */
  queued?: BuildRequest;
  /** Release ids of older builds it replaced, oldest first: they end Superseded by the build that starts. */
  waiting?: string[];
  /** Work decided by the previous execution, done (idempotently) at the start of this one. */
  effects?: LaneEffects;
  /** Set while the target is frozen: no release starts (builds queue), safety actions still run. */
  frozen?: LaneFreeze;
  /** The freeze that ended last, with who or what ended it. */
  lastFreeze?: EndedFreeze;
  /** The last freeze or unfreeze request the lane applied (the API waits to see its own), and if it changed anything. */
  freezeApplied?: FreezeApplied;
  /** From lanes started before `running`/`queued` existed: the build to run first. */
  next?: BuildRequest;
  /** From those lanes too: builds queued behind `next`, which end Superseded by it. */
  superseded?: BuildRequest[];
}

/** One instance to start: an orchestration by name, with the input that orchestration takes. */
export type StartRequest = {
  [N in OrchestrationName]: { orchestration: N; instanceId: string; input: OrchestrationInput<N> };
}[OrchestrationName];

/** What the lane asks its effects activity to do, every part idempotent (the activity may run twice). */
export interface LaneEffects {
  /** Instances to start; one that already exists is left alone (never restarted). */
  start?: StartRequest[];
  /**
   * Builds that end Superseded by `by`: each release started from its receipt (only accepted builds have
   * one), by a SupersedeQueued orchestration so the lane does not wait for the batch (`inline` in it).
   */
  supersede?: { releaseIds: string[]; by: string; target: TargetConfig; inline?: boolean };
  /** The running release to tell about a newer build, if it can still be superseded. */
  newer?: { releaseId: string; event: NewerBuildEvent };
  /** The instance the lane believes runs: read, so an end the lane was never told of (terminated) is seen. */
  check?: string;
  /** The running release to tell that the target was unfrozen (a swap held by the freeze goes ahead). */
  unfrozen?: string;
}

/** What the effects activity found. */
export interface LaneEffectsResult {
  /** The checked instance has ended (its end report may also be on its way; the lane takes the first). */
  ended?: WorkEnded;
}

/** A release or manual rollback run by a lane has ended: raised into the lane (event `WorkEnded`). */
export interface WorkEnded {
  instanceId: string;
  /** For a release: what the lane keeps of its final view (the rollback target and the alerts that acted). */
  release?: {
    status: ReleaseView['status'];
    target: string;
    build: BuildInfo;
    traffic: TrafficConfig;
    productionSlot?: string;
    stagingSlot?: string;
    actedAlerts?: string[];
    /**
     * `false` only when the release started no deploy on its staging slot (the slots are as it found them);
     * absent (it did, or may have, or an older report): treated as touched.
     */
    stagingTouched?: false;
  };
}

/** What a lane shows as custom status; the hook, the alert hook and the rollback API read it. */
export interface LaneStatus {
  target: string;
  /** The release (or `<id>-rollback`) running now. */
  current: string | null;
  lastSucceeded: string | null;
  /**
   * The last succeeded release before `current` (absent from older lanes): `lastSucceeded` again if `current`
   * ends without touching its staging slot, so retention keeps it.
   */
  heldSucceeded?: string | null;
  /** The newest build waiting behind `current`. */
  queued?: string | null;
  /** The freeze in force, or null (absent from lanes older than freezing). */
  frozen?: LaneFreeze | null;
  lastFreeze?: EndedFreeze | null;
  freezeApplied?: FreezeApplied | null;
}

/** A freeze or unfreeze request a lane applied: false `changed` for an unfreeze of a target that was not frozen. */
export interface FreezeApplied {
  requestId: string;
  changed: boolean;
}

/** A freeze or unfreeze of a target, from the API (event `FreezeRequested` of its lane). */
export interface FreezeRequest {
  /** Unique per HTTP request: the lane publishes the last one it applied. */
  requestId: string;
  action: 'freeze' | 'unfreeze';
  /** The signed-in identity, else `function key`. */
  by: string;
  /** True when `by` is an identity App Service authentication signed in. */
  authenticated: boolean;
  requestedAt: string;
  /** Freeze only: why (required, bounded by the API). */
  reason?: string;
  /** Freeze only: when it ends by itself, ISO 8601 (absent: until unfrozen). */
  until?: string;
}

/** A freeze in force, as the lane keeps it. */
export type LaneFreeze = TargetFreeze;

/** ReadFreeze input: the target whose lane is read. */
export interface ReadFreezeInput {
  target: string;
}

/** What the receipt of an accepted build records (its input and output). */
export interface AcceptedBuild {
  releaseId: string;
  target: string;
  build: BuildInfo;
  receivedAt: string;
  /** The release that was running when the build arrived. */
  behind?: string;
  /** Set for a re-run. */
  rerun?: RerunInfo;
  /** The target's freeze when the build arrived: it waits for the unfreeze. */
  frozen?: LaneFreeze;
}

/** Input of one release orchestration. */
export interface ReleaseInput extends BuildRequest {
  /** The lane that started it, told when it ends (absent for a release superseded while queued). */
  lane?: string;
  /** Set when a newer queued build replaced this one before it started: it ends `Superseded` at once. */
  supersededBy?: string;
  /** Alerts that already acted on this target (from the lane): they never act again. */
  actedAlerts?: string[];
  /** Set when it was cancelled while queued (its cancel record existed when it started): it ends `Cancelled` at once. */
  cancelled?: CancelRequest;
}

/** Input of a cancel record: the request, and the view to notify when the build was queued (nothing else tells). */
export interface CancelRecord {
  request: CancelRequest;
  notice?: ReleaseView;
}

/** A request to cancel a release before its swap, from the API: raised into the release, and recorded durably. */
export interface CancelRequest {
  releaseId: string;
  requestedBy: string;
  reason: string;
  requestedAt: string;
}

/** A request to roll back, from the API. */
export interface RollbackRequest {
  releaseId: string;
  requestedBy: string;
  reason?: string;
  requestedAt: string;
}

/** Input of a manual rollback run by the lane after a release succeeded. */
export interface ManualRollbackInput {
  request: RollbackRequest;
  last: LastSucceeded;
  /** The lane that started it, told when it ends. */
  lane?: string;
}

/** Output of a manual rollback (and, with `phase`, its custom status while it runs). */
export interface ManualRollbackResult extends CutoverObserved {
  releaseId: string;
  ok: boolean;
  requestedBy: string;
  /** Why the rollback was asked for, as the request said. */
  reason?: string;
  requestedAt: string;
  trafficBackAt?: string;
  error?: string;
  /** While running: `rolling-back`. */
  phase?: 'rolling-back';
  /** Attempts made so far (failed ones while running; all of them once done). */
  attempts?: number;
  lastError?: string;
  nextAttemptAt?: string;
  restored?: string;
}

/** An approve/reject decision raised into a release by the approval endpoint. */
export interface ApprovalDecisionEvent {
  /** Unique per HTTP request: the release records which request decided, so the caller learns if it won. */
  requestId: string;
  decision: 'approve' | 'reject';
  /** The approval round the token was issued for. */
  round: string;
  approver: string;
  /** True when `approver` is the principal App Service authentication signed in (not a typed name). */
  authenticated?: boolean;
  /** The signed-in approver's Entra object id and display name, when given. */
  approverId?: string;
  approverDisplayName?: string;
  comment?: string;
  at: string;
  /** IDs of the firing alerts the approver acknowledged (the swap goes ahead despite them). */
  acknowledgedAlerts?: string[];
}

/** An alert delivery raised into a baking release by the alert hook: the alert and what it is about. */
export type AlertFiredEvent = AlertDelivery;

/** A newer build of the same target, raised into the running release. */
export interface NewerBuildEvent {
  releaseId: string;
  build: BuildInfo;
  receivedAt: string;
}

/** Input of one deploy chunk (and of each of its `continueAsNew` generations). */
export interface DeployChunkInput {
  releaseId: string;
  target: TargetConfig;
  build: BuildInfo;
  slot: string;
  /** The instances this chunk still has to deploy, in order. */
  instances: InstanceRef[];
  /** Failures this chunk may see before it stops: its share of what the release still tolerates. */
  budget: number;
  /** Results of the chunk's earlier generations. */
  results?: RunResult[];
}

/** What a deploy chunk returns: a result per instance it deployed (a prefix of its instances, in order). */
export interface DeployChunkResult {
  results: RunResult[];
  /** Set when it stopped before the end: on `StopDeploy`, or because its failures exceeded its budget. */
  stopped?: 'stop-event' | 'budget';
}

/** A deploy chunk's custom status: its progress and its newest results. */
export interface DeployChunkStatus {
  done: number;
  failed: number;
  /** Instances it has not started yet. */
  left: number;
  results: RunResult[];
}

/** StopDeploys input: the release's chunks that may still be running; PurgeDeployChunks: its finished ones. */
export interface StopDeploysInput {
  releaseId: string;
  instanceIds: string[];
}

// ---- activities ----

/** ResolveSlots input. */
export interface ResolveSlotsInput {
  target: TargetConfig;
}

/** Roles read from the traffic provider: the enabled endpoint is production, the disabled one staging. */
export interface ResolvedSlots {
  production: string;
  staging: string;
  /** Endpoint targets (host names or IPs) by slot name. */
  endpointTargets: Record<string, string | undefined>;
}

/** ListInstances input. */
export interface ListInstancesInput {
  target: TargetConfig;
  slot: string;
}

/** DeployInstance input. */
export interface DeployInstanceInput {
  releaseId: string;
  target: TargetConfig;
  build: BuildInfo;
  slot: string;
  instance: InstanceRef;
}

/** VerifySlot input. */
export interface VerifySlotInput {
  releaseId: string;
  target: TargetConfig;
  build: BuildInfo;
  slot: SlotConfig;
  endpointTarget?: string;
}

/** VerifySlot output. */
export interface VerifyResult {
  url: string;
  /** Healthy and reporting the expected version. */
  ok: boolean;
  /** Answered 2xx, whatever version it reported. */
  healthy?: boolean;
  version?: string;
  detail: string;
}

/** VerifyInstances input: the staging instances to probe, each on its own address. */
export interface VerifyInstancesInput {
  releaseId: string;
  target: TargetConfig;
  build: BuildInfo;
  slot: string;
  instances: InstanceRef[];
}

/** Why traffic moves: a swap onto the new slot, a rollback to the previous one, a restore after a failed swap. */
export type SwapMode = 'swap' | 'rollback' | 'restore';

/** SwapTraffic input: enable one endpoint (the one that must serve), disable the other. */
export interface SwapInput {
  releaseId: string;
  /** The target's traffic provider and resource. */
  traffic: TrafficConfig;
  enable: string;
  disable: string;
  /** Default `swap`. */
  mode?: SwapMode;
  /** 1 for the first attempt; a later attempt may find what an earlier one's write left. */
  attempt?: number;
}

/** SwapTraffic output: the wanted state was read back. */
export interface SwapResult {
  changed: boolean;
  /** Wall-clock time when the read-back confirmed the wanted state. */
  confirmedAt: string;
  /** Wall-clock time of this attempt's first write (what clients follow); absent when it wrote nothing. */
  writtenAt?: string;
  /** Set when zero endpoints were found enabled and `enable` was re-enabled: what was found. */
  restored?: string;
}

/** SwapTraffic answer: success, or the failure as data (so the orchestrator sees transient and Retry-After). */
export type SwapOutcome =
  | ({ ok: true } & SwapResult)
  | {
      ok: false;
      error: string;
      /** A later attempt may succeed (429, 5xx, timeouts, network). */
      transient: boolean;
      /** ARM asked not to be called before this instant (Retry-After), ISO 8601. */
      retryNotBefore?: string;
    };

/** What ObserveCutover answers for one move: the observer's answer, or its failure. */
export type CutoverAnswer = CutoverObservation | { state: 'error'; detail: string };

/** ObserveCutover input: traffic moves of one release whose cutover is still unknown. */
export interface ObserveCutoverInput {
  releaseId: string;
  /** Target name. */
  target: string;
  moves: CutoverQuery[];
}

/** FiringAlerts input. */
export interface FiringAlertsInput {
  target: TargetConfig;
}

/** IssueApprovalLinks input. */
export interface IssueLinksInput {
  releaseId: string;
  round: string;
  expiresAt: string;
}

/** IssueApprovalLinks output. */
export interface ApprovalLinks {
  approveUrl: string;
  rejectUrl: string;
}

/** Notify input. */
export interface NotifyInput {
  kind: NotificationKind;
  release: ReleaseView;
}

export type { RunResult };

/** State the alert journal carries across `continueAsNew`: recent deliveries, oldest first (bounded). */
export interface AlertJournalState {
  records: AlertAuditRecord[];
}

/** LaneEffects and SupersedeQueued input: the effects, and the lane they are done for. */
export type LaneEffectsInput = LaneEffects & { lane: string };

/** ReportToLane input: the end to raise into the lane. */
export interface ReportToLaneInput {
  lane: string;
  ended: WorkEnded;
}

/** StopDeploy event: start no further deploys. */
export interface StopDeployEvent {
  releaseId: string;
}

// ---- the Durable boundary: what crosses it, by name ----
// The orchestrations (through src/core/orchestration/calls.ts), the activity handlers (typed from
// `ActivityMessages`) and the API (through ReleaseClient) all read these maps, so a message changed on one
// side fails to compile on the other instead of arriving as the wrong shape.

/** Each activity's input and output, by activity name. */
export interface ActivityMessages {
  [Activities.ResolveSlots]: { input: ResolveSlotsInput; output: ResolvedSlots };
  [Activities.ListInstances]: { input: ListInstancesInput; output: InstanceRef[] };
  [Activities.DeployInstance]: { input: DeployInstanceInput; output: RunResult };
  [Activities.VerifySlot]: { input: VerifySlotInput; output: VerifyResult };
  [Activities.VerifyInstances]: { input: VerifyInstancesInput; output: InstanceProbe[] };
  [Activities.SwapTraffic]: { input: SwapInput; output: SwapOutcome };
  [Activities.FiringAlerts]: { input: FiringAlertsInput; output: AlertBrief[] };
  /** One answer per move, in order; an observer's failure is an answer too (`error`), never a throw. */
  [Activities.ObserveCutover]: { input: ObserveCutoverInput; output: CutoverAnswer[] };
  [Activities.IssueApprovalLinks]: { input: IssueLinksInput; output: ApprovalLinks };
  [Activities.Notify]: { input: NotifyInput; output: void };
  [Activities.LaneEffects]: { input: LaneEffectsInput; output: LaneEffectsResult };
  [Activities.ReportToLane]: { input: ReportToLaneInput; output: void };
  /** The freeze in force on the target, or null. */
  [Activities.ReadFreeze]: { input: ReadFreezeInput; output: TargetFreeze | null };
  /** Returns how many chunks the event reached. */
  [Activities.StopDeploys]: { input: StopDeploysInput; output: number };
  /** Returns how many chunks were deleted. */
  [Activities.PurgeDeployChunks]: { input: StopDeploysInput; output: number };
}

/** Each external event's payload, by event name. */
export interface EventMessages {
  [Events.BuildArrived]: BuildRequest;
  [Events.RollbackRequested]: RollbackRequest;
  [Events.WorkEnded]: WorkEnded;
  [Events.FreezeRequested]: FreezeRequest;
  /** No payload: the release reads the freeze again. */
  [Events.TargetUnfrozen]: Record<string, never>;
  [Events.NewerBuild]: NewerBuildEvent;
  [Events.CancelRequested]: CancelRequest;
  [Events.ApprovalDecision]: ApprovalDecisionEvent;
  [Events.AlertFired]: AlertFiredEvent;
  [Events.StopDeploy]: StopDeployEvent;
  [Events.AlertRecorded]: AlertAuditRecord;
}

/** Each orchestration's input and output, by orchestration name. */
export interface OrchestrationMessages {
  [Orchestrations.Lane]: { input: LaneState; output: void };
  [Orchestrations.Release]: { input: ReleaseInput; output: ReleaseView };
  [Orchestrations.ManualRollback]: { input: ManualRollbackInput; output: ManualRollbackResult };
  [Orchestrations.Accepted]: { input: AcceptedBuild; output: AcceptedBuild };
  [Orchestrations.CancelRecorded]: { input: CancelRecord; output: CancelRequest };
  [Orchestrations.SupersedeQueued]: { input: LaneEffectsInput; output: void };
  [Orchestrations.AlertJournal]: { input: AlertJournalState; output: void };
  [Orchestrations.DeployChunk]: { input: DeployChunkInput; output: DeployChunkResult };
}

export type ActivityName = keyof ActivityMessages;
export type ActivityInput<N extends ActivityName> = ActivityMessages[N]['input'];
export type ActivityOutput<N extends ActivityName> = ActivityMessages[N]['output'];
export type EventName = keyof EventMessages;
export type EventPayload<N extends EventName> = EventMessages[N];
export type OrchestrationName = keyof OrchestrationMessages;
export type OrchestrationInput<N extends OrchestrationName> = OrchestrationMessages[N]['input'];
export type OrchestrationOutput<N extends OrchestrationName> = OrchestrationMessages[N]['output'];
