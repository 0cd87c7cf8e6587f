/**
 * The alert policy, as pure functions shared by the alert hook (to answer at once) and the release
 * orchestration (which decides, one delivery at a time, so an alert acts at most once).
 */
import type {
  AlertBrief,
  AlertDecisionRecord,
  AlertPolicy,
  AlertSeverity,
  AlertSourceKind,
  FiredAlert,
  SlotConfig,
  TargetConfig,
} from '../domain';

/** A resource ID in comparable form: ARM IDs are case-insensitive, and Azure lower-cases parts of them. */
export function normalizeResourceId(id: string): string {
  return id.trim().replace(/\/+$/, '').toLowerCase();
}

/** True when `resourceId` is `scopeId` or lies under it (prefix ending on a `/` segment boundary). */
export function isWithinScope(resourceId: string, scopeId: string): boolean {
  const resource = normalizeResourceId(resourceId);
  const scope = normalizeResourceId(scopeId);
  if (scope === '') return false;
  return resource === scope || resource.startsWith(`${scope}/`);
}

const SEVERITY_RANK: Record<AlertSeverity, number> = { Sev0: 0, Sev1: 1, Sev2: 2, Sev3: 3, Sev4: 4 };

/** Human names of the sources, for reasons and the approval page. */
export const SOURCE_LABELS: Record<AlertSourceKind, string> = {
  metric: 'metric',
  log: 'log search',
  availability: 'availability',
  'smart-detection': 'smart detection',
  'activity-log-administrative': 'Activity Log administrative',
  'activity-log': 'Activity Log',
  'resource-health': 'Resource Health',
  'service-health': 'Service Health',
  other: 'unknown-source',
};

const key = (s: string | undefined): string => (s ?? '').toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * Classifies where an alert comes from: by `monitoringService` (webhooks; `monitorService` in the Alerts
 * Management API, spelled slightly differently, hence the normalised compare), then by `signalType`.
 * Availability tests are metric alerts with a `WebtestLocationAvailabilityCriteria` condition.
 */
export function alertSourceOf(
  monitoringService?: string,
  signalType?: string,
  conditionType?: string,
): AlertSourceKind {
  const service = key(monitoringService);
  if (key(conditionType) === 'webtestlocationavailabilitycriteria') return 'availability';
  if (service === 'platform' || service === 'prometheus') return 'metric';
  if (service === 'loganalytics' || service === 'applicationinsights' || service.startsWith('logalerts'))
    return 'log';
  if (service === 'smartdetector') return 'smart-detection';
  if (service === 'activitylogadministrative') return 'activity-log-administrative';
  if (service.startsWith('activitylog')) return 'activity-log';
  if (service === 'resourcehealth') return 'resource-health';
  if (service === 'servicehealth') return 'service-health';
  if (service !== '') return 'other';
  const signal = key(signalType);
  if (signal === 'metric') return 'metric';
  if (signal === 'log') return 'log';
  if (signal === 'activitylog') return 'activity-log';
  return 'other';
}

/**
 * Milliseconds of an alert time. Azure writes 7 fractional digits, and some published payloads (the 2021
 * Service Health test sample) carry no zone: those are UTC, never the host's local time.
 */
export function parseAlertTime(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/i.exec(text.trim());
  if (!m) return undefined;
  const fraction = m[2] ? m[2].slice(0, 4) : '';
  const ms = Date.parse(`${m[1]}${fraction}${m[3] ?? 'Z'}`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** A duration as people say it: `45 s`, `10 min`, `3 h`, `1825 days`. */
export function humanDuration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 90) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 90) return `${min} min`;
  const h = Math.round(min / 60);
  if (h < 48) return `${h} h`;
  return `${Math.round(h / 24)} days`;
}

/** Resource IDs of each slot's own compute, by slot name. */
export type SlotResources = Record<string, string[]>;

/**
 * The compute resource IDs a slot's config names: the scale set (its instances lie under it) or the VMs.
 * A tag-selected slot names only a resource group both slots may share: undefined, its instances must be listed.
 */
export function configuredSlotResources(slot: SlotConfig): string[] | undefined {
  switch (slot.compute.kind) {
    case 'vmss':
      return [slot.compute.resourceId];
    case 'vms':
      return [...slot.compute.resourceIds];
    case 'vmTag':
      return undefined;
  }
}

/** What an alert is about for one target. */
export interface AlertAbout {
  /** It belongs to the target at all. */
  matches: boolean;
  /** Slots whose own compute it names. */
  slots: string[];
  /** It names the target's shared resources (`alerts.resourceIds`) or its rule is one of `alerts.ruleNames`. */
  shared: boolean;
}

/**
 * Resolves an alert against the target: a resource of a slot's own compute makes it about that slot; a
 * shared resource (App Insights, a resource group) or a listed rule name, with no slot resource named, makes
 * it about the target as a whole, i.e. about whichever build serves.
 */
export function classifyAlert(
  alert: Pick<FiredAlert, 'rule' | 'targetResourceIds'>,
  target: Pick<TargetConfig, 'slots' | 'alerts'>,
  slotResources: SlotResources,
): AlertAbout {
  const slots = target.slots
    .map((s) => s.name)
    .filter((name) =>
      alert.targetResourceIds.some((id) => (slotResources[name] ?? []).some((r) => isWithinScope(id, r))),
    );
  const inSlot = (id: string): boolean =>
    Object.values(slotResources).some((rs) => rs.some((r) => isWithinScope(id, r)));
  const sharedResource = alert.targetResourceIds.some(
    (id) => !inSlot(id) && target.alerts.resourceIds.some((scope) => isWithinScope(id, scope)),
  );
  const rule = alert.rule.toLowerCase();
  const ruleNamed = target.alerts.ruleNames.some((n) => n.toLowerCase() === rule);
  const shared = sharedResource || (ruleNamed && slots.length === 0);
  return { matches: shared || slots.length > 0, slots, shared };
}

/** The parts of an alert the policy reads. */
export type PolicyAlert = Pick<
  FiredAlert,
  'alertId' | 'rule' | 'severity' | 'firedAt' | 'monitoringService' | 'source'
> & { monitorCondition: 'Fired' | 'Resolved' };

/** Why an alert does not act whatever the release does (condition, severity, source), or undefined. */
export function policyRefusal(alert: PolicyAlert, policy: AlertPolicy): string | undefined {
  if (alert.monitorCondition !== 'Fired') return 'resolved';
  const sev = alert.severity as AlertSeverity | undefined;
  if (sev === undefined || !(sev in SEVERITY_RANK)) {
    return `severity ${alert.severity ?? '(none)'} is not one of Sev0-Sev4`;
  }
  if (SEVERITY_RANK[sev] > SEVERITY_RANK[policy.minSeverity]) {
    return `severity ${sev} is below ${policy.minSeverity}`;
  }
  const source = alert.source ?? 'other';
  if (!policy.sources.includes(source)) {
    const label = alert.monitoringService ?? SOURCE_LABELS[source];
    return `${label} alerts are recorded only (alerts.sources)`;
  }
  return undefined;
}

/** The bake an alert is judged in. */
export interface BakeWindow {
  /** The slot serving the new build. */
  liveSlot: string;
  /** The previous production slot, which a rollback re-enables. */
  idleSlot: string;
  /** When the swap started: alerts count from here, less the clock-skew tolerance. */
  swapAt: string;
  startedAt: string;
  endsAt: string;
}

/** Why an alert does not act in this bake (about the idle slot, fired before the swap), or undefined. */
export function bakeRefusal(
  alert: PolicyAlert,
  about: AlertAbout,
  policy: AlertPolicy,
  bake: BakeWindow,
): string | undefined {
  if (!about.shared && !about.slots.includes(bake.liveSlot)) {
    return about.slots.length > 0 ? `about idle slot ${bake.idleSlot}` : 'not about this target';
  }
  const fired = parseAlertTime(alert.firedAt);
  if (fired === undefined) return `fired at an unreadable time "${alert.firedAt}"`;
  const swap = Date.parse(bake.swapAt);
  if (fired < swap - policy.clockSkewSeconds * 1000)
    return `fired ${humanDuration(swap - fired)} before the swap`;
  return undefined;
}

/** True when the alert fired inside the bake: only then does its latency (fire → traffic back) mean anything. */
export function firedInsideBake(firedAt: string, bake: Pick<BakeWindow, 'startedAt' | 'endsAt'>): boolean {
  const fired = parseAlertTime(firedAt);
  return fired !== undefined && fired >= Date.parse(bake.startedAt) && fired <= Date.parse(bake.endsAt);
}

/** Normalised alert ID: ARM IDs compare case-insensitively. */
export const alertKey = (alertId: string): string => normalizeResourceId(alertId);

/** Alert IDs a lane remembers for its target (each acts once, ever; bounded: the oldest are forgotten). */
export const ACTED_ALERTS_LIMIT = 500;

/** Adds acted alert IDs to a remembered list, keeping the newest `ACTED_ALERTS_LIMIT`. */
export function rememberActed(known: readonly string[], acted: readonly string[]): string[] {
  const keys = acted.map(alertKey);
  return [...known.filter((k) => !keys.includes(k)), ...keys].slice(-ACTED_ALERTS_LIMIT);
}

/** A brief of an alert for a target (what the status and the approval page show). */
export function briefOf(alert: PolicyAlert, about: AlertAbout, acts: boolean, reason: string): AlertBrief {
  return {
    alertId: alert.alertId,
    rule: alert.rule,
    ...(alert.severity !== undefined ? { severity: alert.severity } : {}),
    source: alert.source ?? 'other',
    ...(alert.monitoringService !== undefined ? { monitoringService: alert.monitoringService } : {}),
    firedAt: alert.firedAt,
    slots: [...about.slots],
    acts,
    // Reasons may list rules: bounded, as statuses are (Durable caps custom status at 16 KB).
    reason: reason.length > 300 ? `${reason.slice(0, 299)}…` : reason,
  };
}

/** One alert delivery raised into a baking release. */
export interface AlertDelivery {
  alert: FiredAlert & { monitorCondition: 'Fired' | 'Resolved' };
  about: AlertAbout;
  deliveryId: string;
  receivedAt: string;
}

/** A rollback an alert called for while the previous slot had alerts firing. */
export interface HeldRollback {
  alert: FiredAlert;
  receivedAt: string;
  firedInBake: boolean;
}

/** What a bake knows about alerts; carried from delivery to delivery. */
export interface BakeAlertState {
  /** Normalised IDs of alerts that acted on this target (earlier releases and this one). */
  acted: string[];
  /** Alerts that would act, firing on the idle slot: a rollback onto it waits while any is firing. */
  idleFiring: AlertBrief[];
  held?: HeldRollback;
}

/** The outcome of one delivery: the decision to record, and whether traffic goes back now. */
export interface BakeAlertStep {
  state: BakeAlertState;
  decision: AlertDecisionRecord;
  effect: 'none' | 'rollback' | 'hold';
  /** Set with `rollback`: the alert the rollback is for. */
  rollbackFor?: HeldRollback;
}

/**
 * Decides one alert delivery during a bake. Deliveries are applied one at a time in the order the
 * orchestration receives them, so whatever the hooks raced on, an alert ID acts at most once: the first
 * delivery that acts adds it to `acted`, and every later delivery of it is refused.
 */
export function onBakeAlert(
  state: BakeAlertState,
  delivery: AlertDelivery,
  policy: AlertPolicy,
  bake: BakeWindow,
): BakeAlertStep {
  const { alert, about } = delivery;
  const id = alertKey(alert.alertId);
  const record = (acts: boolean, reason: string): AlertDecisionRecord => ({
    ...briefOf(alert, about, acts, reason),
    deliveryId: delivery.deliveryId,
    monitorCondition: alert.monitorCondition,
    receivedAt: delivery.receivedAt,
  });
  const aboutIdle = about.slots.includes(bake.idleSlot);
  const refused = policyRefusal(alert, policy);

  if (alert.monitorCondition === 'Resolved') {
    const idleFiring = state.idleFiring.filter((a) => alertKey(a.alertId) !== id);
    const cleared = state.idleFiring.length > 0 && idleFiring.length === 0;
    if (state.held && cleared) {
      const held = state.held;
      return {
        state: { ...state, idleFiring, held: undefined },
        decision: record(
          false,
          `resolved; slot ${bake.idleSlot} has no alert firing now: the held rollback for ${held.alert.rule} goes ahead`,
        ),
        effect: 'rollback',
        rollbackFor: held,
      };
    }
    return { state: { ...state, idleFiring }, decision: record(false, 'resolved'), effect: 'none' };
  }

  // An alert about the idle slot that would act (by severity and source) makes a rollback onto it unsafe.
  const idleFiring =
    aboutIdle && refused === undefined && !state.idleFiring.some((a) => alertKey(a.alertId) === id)
      ? [...state.idleFiring, briefOf(alert, about, true, `firing on slot ${bake.idleSlot}`)]
      : state.idleFiring;
  const refusal = refused ?? bakeRefusal(alert, about, policy, bake);
  if (refusal !== undefined) {
    return { state: { ...state, idleFiring }, decision: record(false, refusal), effect: 'none' };
  }
  if (state.acted.includes(id)) {
    return {
      state: { ...state, idleFiring },
      decision: record(false, 'already acted: an alert acts once per target'),
      effect: 'none',
    };
  }
  const acted = [...state.acted, id];
  const cause: HeldRollback = {
    alert: stripCondition(alert),
    receivedAt: delivery.receivedAt,
    firedInBake: firedInsideBake(alert.firedAt, bake),
  };
  // An alert about both slots blocks its own rollback: the previous slot is alerting too.
  const blocking = idleFiring;
  if (blocking.length > 0 || state.held) {
    const rules = blocking.map((a) => `${a.rule} (${a.severity ?? '?'})`).join(', ');
    const reason = `rollback held: slot ${bake.idleSlot} has ${blocking.length} alert(s) firing: ${rules}`;
    return {
      state: { acted, idleFiring, held: state.held ?? cause },
      decision: record(false, reason),
      effect: state.held ? 'none' : 'hold',
    };
  }
  return {
    state: { ...state, acted, idleFiring },
    decision: record(true, `rollback to ${bake.idleSlot}`),
    effect: 'rollback',
    rollbackFor: cause,
  };
}

function stripCondition(alert: AlertDelivery['alert']): FiredAlert {
  const { monitorCondition: _condition, ...fired } = alert;
  return fired;
}
