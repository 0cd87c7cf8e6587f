/** Inputs and outputs exchanged between orchestrations, activities and handlers (plain JSON). */
import type { AlertDelivery } from '../alerts/policy';
import type { NotificationKind } from '../ports/notifier';
import type {
  AlertAuditRecord,
  BuildInfo,
  InstanceRef,
  ReleaseView,
  RunResult,
  SlotConfig,
  TargetConfig,
} from '../domain';

/** A build handed to a target's lane by the service hook. */
export interface BuildRequest {
  releaseId: string;
  build: BuildInfo;
  /** Snapshot of the target's configuration when the hook arrived: replays never see a config change. */
  target: TargetConfig;
  receivedAt: string;
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
  profileId: string;
}

/** State a lane carries across `continueAsNew`. */
export interface LaneState {
  target: string;
  next?: BuildRequest;
  lastSucceeded?: LastSucceeded;
  /** Release IDs the lane already ran, newest last: a redelivered hook never runs twice. */
  recent: string[];
  /** Builds queued behind `next` that end Superseded by it when this execution starts. */
  superseded?: BuildRequest[];
  /** Normalised IDs of alerts that acted on this target, newest last (bounded): an alert acts once, ever. */
  actedAlerts?: string[];
}

/** What a lane shows as custom status; the hook reads it to supersede and to dedupe. */
export interface LaneStatus {
  target: string;
  current: string | null;
  lastSucceeded: string | null;
}

/** What the receipt of an accepted build records (its input and output). */
export interface AcceptedBuild {
  releaseId: string;
  target: string;
  build: BuildInfo;
  receivedAt: string;
  /** The release that was running when the build arrived. */
  behind?: string;
}

/** Input of one release orchestration. */
export interface ReleaseInput extends BuildRequest {
  /** Set when a newer queued build replaced this one before it started: it ends `Superseded` at once. */
  supersededBy?: string;
  /** Alerts that already acted on this target (from the lane): they never act again. */
  actedAlerts?: string[];
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
}

/** Output of a manual rollback (and, with `phase`, its custom status while it runs). */
export interface ManualRollbackResult {
  releaseId: string;
  ok: boolean;
  requestedBy: string;
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

/** Roles read from Traffic Manager: enabled endpoint is production, the disabled one staging. */
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
  profileId: string;
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
