/** Every Function, orchestration, activity and event name the app registers or raises, in one place. */

/** Orchestration function names. */
export const Orchestrations = {
  /** One per target: serialises releases and manual rollbacks of that target. */
  Lane: 'TargetLane',
  /** One per build: deploy, verify, approve, swap, bake, and roll back if needed. */
  Release: 'Release',
  /** A rollback asked for after a release has succeeded, run by the lane. */
  ManualRollback: 'ManualRollback',
  /** A build's durable receipt, written by the hook: redeliveries find it, and its status URL answers `Queued`. */
  Accepted: 'BuildAccepted',
  /** A cancel request's durable record: a queued build that has it is started Cancelled; it completes at once. */
  CancelRecorded: 'CancelRecorded',
  /** Marks a lane's replaced queued builds Superseded, off the lane (a large batch never holds it up). */
  SupersedeQueued: 'SupersedeQueued',
  /** One for the app: keeps recent alert deliveries and their decisions, for `GET /api/alerts`. */
  AlertJournal: 'AlertJournal',
  /** Part of a release's deploy: one window slot, deploying its share of the instances one after another. */
  DeployChunk: 'DeployChunk',
} as const;

/** Activity function names: every Azure call runs in one of these. */
export const Activities = {
  ResolveSlots: 'ResolveSlots',
  ListInstances: 'ListInstances',
  DeployInstance: 'DeployInstance',
  VerifySlot: 'VerifySlot',
  VerifyInstances: 'VerifyInstances',
  SwapTraffic: 'SwapTraffic',
  /** Asks the cutover observer when clients followed a release's traffic moves (read-only). */
  ObserveCutover: 'ObserveCutover',
  FiringAlerts: 'FiringAlerts',
  IssueApprovalLinks: 'IssueApprovalLinks',
  Notify: 'Notify',
  /** A lane's side effects: start its releases and rollbacks, tell the running one of a newer build. */
  LaneEffects: 'LaneEffects',
  /** A release or manual rollback tells its lane that it ended. */
  ReportToLane: 'ReportToLane',
  /** Raises `StopDeploy` to a release's running deploy chunks (needs the Durable client). */
  StopDeploys: 'StopDeploys',
  /** Deletes a release's finished deploy chunks from the task hub (needs the Durable client). */
  PurgeDeployChunks: 'PurgeDeployChunks',
  /** Reads the freeze of a release's target from its lane, before the swap (needs the Durable client). */
  ReadFreeze: 'ReadFreeze',
} as const;

/** External event names raised into orchestrations. */
export const Events = {
  /** Lane: a new build of the target arrived. */
  BuildArrived: 'BuildArrived',
  /** Lane: roll back the target's last succeeded release. */
  RollbackRequested: 'RollbackRequested',
  /** Lane: the release or manual rollback it started has ended. */
  WorkEnded: 'WorkEnded',
  /** Lane: freeze or unfreeze the target (from the API). */
  FreezeRequested: 'FreezeRequested',
  /** Release: its target was unfrozen (a swap held by the freeze reads the freeze again). */
  TargetUnfrozen: 'TargetUnfrozen',
  /** Release: a newer build of the same target arrived (supersedes a release awaiting approval). */
  NewerBuild: 'NewerBuild',
  /** Release: stop before the swap and end Cancelled (production untouched). */
  CancelRequested: 'CancelRequested',
  /** Release: an approve or reject decision from an approval link. */
  ApprovalDecision: 'ApprovalDecision',
  /** Release: an Azure Monitor alert fired on the target while baking. */
  AlertFired: 'AlertFired',
  /** Deploy chunk: start no further deploys; finish the one in flight and return (superseded, or failures). */
  StopDeploy: 'StopDeploy',
  /** Alert journal: a delivery and its decisions, to keep for audit. */
  AlertRecorded: 'AlertRecorded',
} as const;

/** HTTP-triggered function names. */
export const HttpFunctions = {
  DevOpsHook: 'DevOpsHook',
  AlertHook: 'AlertHook',
  ApprovalPage: 'ApprovalPage',
  ApprovalDecide: 'ApprovalDecide',
  ListReleases: 'ListReleases',
  GetRelease: 'GetRelease',
  RollbackRelease: 'RollbackRelease',
  CancelRelease: 'CancelRelease',
  RerunRelease: 'RerunRelease',
  ListAlerts: 'ListAlerts',
  ConsoleDashboard: 'ConsoleDashboard',
  ConsoleRelease: 'ConsoleRelease',
  ConsoleAction: 'ConsoleAction',
  ListTargets: 'ListTargets',
  FreezeTarget: 'FreezeTarget',
  ConsoleTargetAction: 'ConsoleTargetAction',
} as const;

/** Timer-triggered function names. */
export const TimerFunctions = {
  /** Nightly: purges finished releases older than RETENTION_DAYS. */
  PurgeReleases: 'PurgeReleases',
} as const;

/** When the purge runs (NCRONTAB, UTC): nightly at 02:30. */
export const PURGE_SCHEDULE = '0 30 2 * * *';

/** Attempts of one build a target may run: the first release and its re-runs (`-r2` … `-r99`). */
export const MAX_ATTEMPTS = 99;

/**
 * What every generated release id looks like, `<target>-b<build id>`, and for a re-run `<target>-b<build id>-r<n>`:
 * a target name (`^[a-z0-9][a-z0-9-]{0,39}$`), a build id as the hook accepts it (`^[A-Za-z0-9._-]{1,64}$`) and
 * an attempt from 2 to 99. Routes refuse anything else before it reaches the Durable API or a URL.
 */
export const RELEASE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}-b[A-Za-z0-9._-]{1,64}(-r[1-9][0-9]?)?$/;

/** Instance ids: derived, never random, so redelivered hooks find the same instance. */
export const InstanceIds = {
  lane: (target: string): string => `lane-${target}`,
  release: (target: string, buildId: string): string => `${target}-b${buildId}`,
  manualRollback: (releaseId: string): string => `${releaseId}-rollback`,
  /** Attempt `attempt` (2, 3, …) of the build whose first release is `base`. */
  rerun: (base: string, attempt: number): string => `${base}-r${attempt}`,
  /** The durable record of a cancel request (`:` never occurs in a release id). */
  cancel: (releaseId: string): string => `${releaseId}:cancel`,
  /** The receipt of an accepted build; `:` never occurs in a release id, so it names nothing else. */
  accepted: (releaseId: string): string => `${releaseId}:accepted`,
  /**
   * Chunk `chunk` of deploy round `round` of a release: derived, so a replay after a crash finds the same
   * instance. `:` never occurs in a release id, so it names nothing else.
   */
  deployChunk: (releaseId: string, round: number, chunk: number): string =>
    `${releaseId}:deploy:${round}:${chunk}`,
  /** The alert journal (target names never start with `_`, so it never collides with a release or lane). */
  alertJournal: '_alert-journal',
} as const;
