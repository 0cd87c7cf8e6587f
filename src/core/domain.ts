/** Domain types shared by the whole core: targets, builds, releases and their status view. */
import type { TrafficConfig } from './ports/traffic';

/** How a slot's compute is found: a scale set, listed VMs, or VMs selected by tag in a resource group. */
export type SlotCompute =
  | { kind: 'vmss'; resourceId: string }
  | { kind: 'vms'; resourceIds: string[] }
  | { kind: 'vmTag'; resourceGroupId: string; tagName: string; tagValue: string };

/** One of the two slots of a target; `name` is its endpoint name at the traffic provider. */
export interface SlotConfig {
  name: string;
  compute: SlotCompute;
  /** Base URL that reaches this slot directly for health checks; default `http://<endpoint target>`. */
  healthBaseUrl?: string;
}

/** How staging is checked after deploy: the version it reports proves the right build is live. */
export interface HealthConfig {
  path: string;
  /** Response header carrying the version, e.g. `x-app-version`. */
  versionHeader?: string;
  /** JSON body field carrying the version (dot path), e.g. `version`. */
  versionField?: string;
  /** Expected version, a template over the build placeholders; default `{number}`. */
  expectVersion: string;
  attempts: number;
  intervalSeconds: number;
  timeoutSeconds: number;
  /** Port of each instance's own health endpoint, probed on the instance's private address. Default 80. */
  instancePort: number;
}

/** Approval policy of a target. */
export interface ApprovalConfig {
  required: boolean;
  timeoutSeconds: number;
  /**
   * When set, only these signed-in principals may decide (user principal name / e-mail or Entra object id,
   * case-insensitive); a typed name never counts for such a target.
   */
  approvers?: string[];
  /** Distinct approvers needed to approve (a quorum); one reject ends the release. Default 1. */
  minApprovers: number;
  /** Whether the build's requester may approve it. Default false. */
  allowSelfApproval: boolean;
}

/**
 * A person as App Service authentication (Entra ID) identified them, from the headers the platform sets; the
 * local host's development sign-in sets the same headers.
 */
export interface Identity {
  /** `X-MS-CLIENT-PRINCIPAL-NAME`: the user principal name or e-mail. */
  name: string;
  /** `X-MS-CLIENT-PRINCIPAL-ID`: the Entra object id, when given. */
  id?: string;
  /** `X-MS-CLIENT-PRINCIPAL-IDP`: the identity provider (`aad` for Entra ID). */
  idp: string;
  /** The `name` claim (display name), when given. */
  displayName?: string;
}

/** How the deploy script runs on each instance. */
export interface DeployConfig {
  scriptKind: 'linux' | 'windows';
  /** Extra script parameters (service name, install root, ...). */
  parameters: Record<string, string>;
  maxParallel: number;
  /** How many instances may fail before the release fails. */
  maxFailures: number;
  timeoutSeconds: number;
}

/** Which alerts belong to a target: by the alert's target resource IDs and/or its rule names. */
export interface AlertScope {
  resourceIds: string[];
  ruleNames: string[];
}

/** Azure Monitor alert severities, Sev0 the most severe. */
export type AlertSeverity = 'Sev0' | 'Sev1' | 'Sev2' | 'Sev3' | 'Sev4';

/** What kind of monitor raised an alert, as the alert policy tells them apart. */
export type AlertSourceKind =
  | 'metric'
  | 'log'
  | 'availability'
  | 'smart-detection'
  | 'activity-log-administrative'
  | 'activity-log'
  | 'resource-health'
  | 'service-health'
  | 'other';

/** A target's alert policy: which alerts belong to it (the scope) and which of them may act. */
export interface AlertPolicy extends AlertScope {
  /** Least severe level that acts (Sev0 is the most severe); less severe alerts are recorded only. */
  minSeverity: AlertSeverity;
  /** Sources whose alerts act; alerts from other sources are recorded only. */
  sources: AlertSourceKind[];
  /** During the bake, alerts fired up to this long before the swap still count (clocks differ). */
  clockSkewSeconds: number;
}

/** Optional filters: with none, every successful build delivered to the target's hook releases. */
export interface BuildFilters {
  pipelines?: string[];
  branches?: string[];
}

/** A release target: two slots, each behind one endpoint of the target's traffic provider. */
export interface TargetConfig {
  name: string;
  /** The traffic provider and its resource, whose endpoints are named after the slots. */
  traffic: TrafficConfig;
  slots: [SlotConfig, SlotConfig];
  /** Package URL template; placeholders `{id}`, `{number}`, `{pipeline}`, `{commit}`, `{branch}`. */
  artifactUrlTemplate: string;
  deploy: DeployConfig;
  health: HealthConfig;
  approval: ApprovalConfig;
  bakeSeconds: number;
  alerts: AlertPolicy;
  filters: BuildFilters;
}

/** Which Azure DevOps event a build came from. */
export type BuildSource = 'build.complete' | 'run-state-changed' | 'deployment-completed';

/** The build a release deploys, as read from the service hook. */
export interface BuildInfo {
  id: string;
  number: string;
  pipeline: string;
  pipelineId?: string;
  branch?: string;
  commit?: string;
  project?: string;
  requestedBy?: string;
  /** The requester's unique name (Azure DevOps `uniqueName`: their e-mail / UPN), for the self-approval rule. */
  requestedByUniqueName?: string;
  url?: string;
  source: BuildSource;
}

/** Final and running states of a release. */
export type ReleaseStatus =
  | 'Queued'
  | 'Running'
  | 'Succeeded'
  | 'Failed'
  | 'RolledBack'
  | 'Rejected'
  | 'Expired'
  | 'Superseded'
  /** Stopped on request before its swap (production untouched), or cancelled while queued. */
  | 'Cancelled';

/** Where a running release is. */
export type ReleasePhase =
  | 'queued'
  | 'deploying'
  | 'verifying'
  | 'awaiting-approval'
  | 'swapping'
  | 'baking'
  | 'rolling-back'
  | 'done';

/** A VM or scale-set VM a deploy runs on. */
export interface InstanceRef {
  /** ARM resource ID of the VM or scale-set VM. */
  id: string;
  name: string;
  kind: 'vm' | 'vmssVm';
  /** Private IP address of its primary NIC, which verify probes directly; absent when it could not be read. */
  address?: string;
}

/** What a direct health probe of one staging instance saw. */
export interface InstanceProbe {
  instance: string;
  address?: string;
  /** Healthy and reporting the expected version. */
  ok: boolean;
  version?: string;
  detail: string;
}

/** What one run command returned. */
export interface RunResult {
  instance: string;
  exitCode: number;
  succeeded: boolean;
  /** Last lines of stdout and stderr, trimmed to a few hundred characters. */
  outputTail: string;
}

/** One step of a release, with its timing. */
export interface TimelineEntry extends CutoverObserved {
  step: string;
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  outcome?: 'ok' | 'failed' | 'skipped' | 'rejected' | 'expired' | 'superseded' | 'cancelled';
  detail?: string;
}

/** How a traffic move reached clients, as the cutover observer saw it (after the move, never delaying it). */
export interface CutoverRecord {
  /** The slot the move sent traffic to. */
  slot: string;
  /** The app's write that moved traffic (the first write of the move). */
  writtenAt: string;
  /**
   * `observing` while the release waits for it; `reached`: at least 99% of the observed requests land on `slot`
   * from `reachedAt` on; `not-reached`: not by the deadline or the next move; `not-measured`: no observer, or it
   * could not tell (`detail` says why).
   */
  state: 'observing' | 'reached' | 'not-reached' | 'not-measured';
  reachedAt?: string;
  detail?: string;
}

/** What a swap's or a rollback's record carries about the cutover clients see. */
export interface CutoverObserved {
  /** From the app's write until at least 99% of client requests reach the new slot (when `cutover` is `reached`). */
  cutoverObservedMs?: number;
  cutover?: CutoverRecord;
}

/** An Azure Monitor alert as the app sees it, from a webhook or from the alerts API. */
export interface FiredAlert {
  alertId: string;
  rule: string;
  severity?: string;
  targetResourceIds: string[];
  firedAt: string;
  description?: string;
  /** The monitor that raised it, as Azure names it (`monitoringService`), e.g. `Platform`, `Resource Health`. */
  monitoringService?: string;
  /** The source as the alert policy classifies it. */
  source?: AlertSourceKind;
}

/** An alert as the policy judged it for one target: what it is about, whether it acts, and why (not). */
export interface AlertBrief {
  alertId: string;
  rule: string;
  severity?: string;
  source: AlertSourceKind;
  monitoringService?: string;
  firedAt: string;
  /** The slots whose own resources it is about; empty when it is about the target's shared resources only. */
  slots: string[];
  /** Whether it acts (during a bake: rolls back; before the swap: needs acknowledging). */
  acts: boolean;
  reason: string;
}

/** A decision on one alert delivery during a bake. */
export interface AlertDecisionRecord extends AlertBrief {
  /** Unique per webhook delivery: the hook finds its own answer by it. */
  deliveryId: string;
  monitorCondition: 'Fired' | 'Resolved';
  receivedAt: string;
}

/** What the alert policy saw and did during one release (shown in the status and on the approval page). */
export interface ReleaseAlertsView {
  /** Alerts firing on the target when the swap was asked for (newest check), at most a few shown. */
  firing?: AlertBrief[];
  /** How many firing alerts the check found in all (`firing` may show fewer). */
  firingTotal?: number;
  checkedAt?: string;
  /** Set when the firing alerts could not be listed: then the swap needs acknowledging too. */
  checkError?: string;
  /** Set when an approver swapped with the firing alerts acknowledged. */
  acknowledged?: { by: string; alertIds: string[]; at: string };
  /** Decisions on alerts delivered during the bake, newest last (bounded). */
  decisions?: AlertDecisionRecord[];
  /** Alert IDs that acted during this release (the lane remembers them: an alert acts once per target). */
  acted?: string[];
  /** The bake's times: alerts count from `swapAt` (less the clock-skew tolerance); latency only inside the bake. */
  bake?: { swapAt: string; startedAt: string; endsAt: string };
  /** Set when an alert called for a rollback but the previous slot had alerts firing: traffic stayed. */
  rollbackHeld?: { alertId: string; rule: string; reason: string; at: string };
}

/** One alert delivery as the audit log keeps it: the alert and the decision for every target it belongs to. */
export interface AlertAuditRecord {
  alertId: string;
  rule: string;
  severity?: string;
  monitorCondition: 'Fired' | 'Resolved';
  source: AlertSourceKind;
  monitoringService?: string;
  firedAt: string;
  receivedAt: string;
  targets: AlertTargetDecision[];
}

/** What the alert hook decided for one target an alert belongs to. */
export interface AlertTargetDecision {
  target: string;
  release?: string;
  slots: string[];
  acted: boolean;
  reason: string;
  /** True while the release has not recorded its decision yet (the hook stopped waiting). */
  pending?: boolean;
}

/** What made a release roll back (`alert-at-bake-start` is no longer produced; older releases may show it). */
export interface RollbackInfo {
  trigger: 'alert' | 'alert-at-bake-start' | 'manual';
  alert?: FiredAlert;
  requestedBy?: string;
  requestedAt: string;
  /** Why it was asked for (manual rollbacks). */
  reason?: string;
  /** When traffic was back on the previous production slot. */
  trafficBackAt?: string;
  /** From the alert firing (or the request) to traffic back, in ms; only when the alert fired inside the bake. */
  latencyMs?: number;
  /** From the app receiving the alert to traffic back, in ms: the app's own reaction time. */
  reactionMs?: number;
  /** Attempts of the swap back: failed ones while it retries, all of them once traffic is back. */
  attempts?: number;
  /** The last failed attempt's error, while retrying (and kept afterwards for the record). */
  lastError?: string;
  /** When the next attempt runs, while retrying. */
  nextAttemptAt?: string;
}

/** One approval counted towards a quorum. */
export interface ApprovalVote {
  /** Who approved (the signed-in principal's name, or a typed name on targets without approvers). */
  by: string;
  /** Their Entra object id, when signed in. */
  id?: string;
  /** True when the name comes from App Service authentication, not typed. */
  authenticated: boolean;
  at: string;
  comment?: string;
  /** The request that cast it: the approval API finds its answer by it. */
  requestId: string;
}

/**
 * Approval state of a release: who may decide and the approvals so far while waiting, the decision afterwards.
 * The live links are never part of it: they go to the notifier only (`approveUrl`/`rejectUrl` are set on the
 * copy a notification carries).
 */
export interface ApprovalView {
  required: boolean;
  /** True while the release waits for a decision. */
  pending?: boolean;
  /** The current approval round (the links of other rounds are refused). Not a secret: links are signed. */
  round?: string;
  /** Set on notifications only, never in the status. */
  approveUrl?: string;
  /** Set on notifications only, never in the status. */
  rejectUrl?: string;
  expiresAt?: string;
  /** Who may decide (the target's `approval.approvers`); absent: anyone with a link, naming themselves. */
  approvers?: string[];
  /** Distinct approvals needed. */
  minApprovers?: number;
  allowSelfApproval?: boolean;
  /** Approvals counted so far in this round, oldest first. */
  approvals?: ApprovalVote[];
  /** Approvals still needed (while pending). */
  needed?: number;
  decision?: 'approved' | 'rejected' | 'expired' | 'auto-approved' | 'superseded' | 'cancelled';
  approver?: string;
  comment?: string;
  decidedAt?: string;
  /** The request whose decision counted (the first one): later requests are told they lost. */
  decisionId?: string;
}

/** A freeze of a target in force: who asked last, when and why, until when, since when it has been frozen. */
export interface TargetFreeze {
  /** The signed-in identity that asked, else `function key`. */
  by: string;
  /** True when `by` is an identity App Service authentication signed in. */
  authenticated: boolean;
  /** When the last freeze request (the one whose reason and end apply) was made, ISO 8601. */
  at: string;
  /** When the target became frozen (freezing a frozen target keeps it). */
  since: string;
  reason: string;
  /** When it ends by itself, ISO 8601; absent: until someone unfreezes it. */
  until?: string;
}

/** A freeze that has ended: by an unfreeze (`endedBy` who asked) or at its end time (`endedBy: 'schedule'`). */
export interface EndedFreeze extends TargetFreeze {
  endedAt: string;
  endedBy: string;
}

/** Where and why a release failed: the step, the resource and the cause. */
export interface ReleaseError {
  step: string;
  resource: string;
  message: string;
}

/** A condition a release went on with, shown on the approval page and in every notification. */
export interface ReleaseWarning {
  code: string;
  message: string;
  instances?: string[];
}

/** Who cancelled a release, when and why (`POST /api/releases/{id}/cancel`). */
export interface CancelInfo {
  requestedBy: string;
  reason: string;
  requestedAt: string;
  /** Where the release was when it stopped (`queued` for a build cancelled before its release started). */
  phase?: ReleasePhase;
  /** When the release stopped (deploys in flight finished first). */
  cancelledAt?: string;
}

/** A release that re-runs the build of an earlier one (`POST /api/releases/{id}/rerun`): who asked, why, which attempt. */
export interface RerunInfo {
  /** The release re-run (the previous attempt). */
  of: string;
  /** The build's first release, whose id every attempt's id extends (`<base>-r<attempt>`). */
  base: string;
  /** 2 for the first re-run, and so on. */
  attempt: number;
  /** When the base release was created: builds that went live after it make a re-run move production back. */
  since: string;
  requestedBy: string;
  reason: string;
  requestedAt: string;
  /** Set when the caller forced it past a newer build that is live or running. */
  forced?: { newer: string };
}

/** The status document of a release, as the API returns it. */
export interface ReleaseView {
  id: string;
  target: string;
  status: ReleaseStatus;
  phase: ReleasePhase;
  build: BuildInfo;
  productionSlot?: string;
  stagingSlot?: string;
  /** The slot serving traffic as this release last saw it. */
  liveSlot?: string;
  approval?: ApprovalView;
  rollback?: RollbackInfo;
  /**
   * Deploy results. A running release's status may list only some `instances` (failures kept) when the fleet is
   * large; `total` then says how many ran, and the full list is served once the release has ended.
   * While deploying, `round` and `chunks` name the deploy chunks running (`<id>:deploy:<round>:<i>`), whose
   * results so far the status API merges into `instances` (`running`: deploys in flight, one per chunk).
   */
  deploy?: {
    instances: RunResult[];
    failed: number;
    tolerated: number;
    total?: number;
    round?: number;
    chunks?: number;
    running?: number;
  };
  /** Verification: the slot's own URL, and every staging instance probed directly (`instances`, failures last). */
  verify?: {
    url: string;
    version?: string;
    attempts: number;
    ok: boolean;
    detail?: string;
    instances?: InstanceProbe[];
  };
  /** Conditions the release went on with (e.g. `mixed-versions`). */
  warnings?: ReleaseWarning[];
  /** Set while the swap waits because the target is frozen (approved, or needing no approval). */
  freeze?: TargetFreeze;
  supersededBy?: string;
  /** Set when it was cancelled: who, when, why, and where it stopped. */
  cancellation?: CancelInfo;
  /**
   * `false` on a release that ended without starting any deploy on its staging slot (both slots as it found them,
   * so the previous release can still be rolled back); absent otherwise.
   */
  stagingTouched?: false;
  /** Set when it re-runs an earlier release's build. */
  rerun?: RerunInfo;
  /** The alert policy's view of this release: alerts firing before the swap, decisions during the bake. */
  alerts?: ReleaseAlertsView;
  error?: ReleaseError;
  timeline: TimelineEntry[];
  /**
   * The orchestration version the release runs (host.json `defaultVersion` when it started): which code path it
   * takes for life. Absent for releases started before versioning.
   */
  orchestrationVersion?: string;
  createdAt: string;
  updatedAt: string;
}
