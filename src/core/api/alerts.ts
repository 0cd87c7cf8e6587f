import { randomUUID } from 'node:crypto';
import {
  alertKey,
  bakeRefusal,
  classifyAlert,
  policyRefusal,
  type AlertDelivery,
  type BakeWindow,
  type SlotResources,
} from '../alerts/policy';
import type { AlertAuditRecord, AlertTargetDecision, FiredAlert, ReleaseView, TargetConfig } from '../domain';
import { Events, InstanceIds, Orchestrations } from '../names';
import type { AlertJournalState, LaneStatus, ReleaseInput } from '../orchestration/contracts';
import type { Clock } from '../ports/clock';
import type { ReleaseClient } from './client';
import { ACTIVE_STATES } from './client';
import { releaseView } from './views';

/** What the alert hook did with one alert, per target it belongs to. */
export interface AlertRouting {
  alertId: string;
  monitorCondition: string;
  targets: (AlertTargetDecision & { forwarded: boolean })[];
}

/** How the hook resolves slots and waits for the release's decision. */
export interface RouteOptions {
  /** Each slot's compute resource IDs for a target (lists tag-selected slots). */
  slotResources(target: TargetConfig): Promise<SlotResources>;
  /** How long to wait for a baking release to record its decision (Azure Monitor's webhook timeout is 10 s). */
  waitMs?: number;
  /** Unique id of this delivery (tests pass their own). */
  deliveryId?: string;
}

/** Default wait for the release's decision. */
export const ALERT_DECISION_WAIT_MS = 5_000;

/** The bake window a release status shows, when it bakes. */
function bakeWindowOf(view: ReleaseView): BakeWindow | undefined {
  const b = view.alerts?.bake;
  if (!b || !view.stagingSlot || !view.productionSlot) return undefined;
  return { liveSlot: view.stagingSlot, idleSlot: view.productionSlot, ...b };
}

/**
 * Judges a delivered alert for every target it belongs to, against the target's alert policy, and raises
 * it into the target's baking release when it may act there (or when it changes whether the idle slot is
 * alerting). The release decides, one delivery at a time, so an alert acts at most once; this waits a
 * moment for that decision so the answer says whether the alert acted and why not.
 */
export async function routeAlert(
  client: ReleaseClient,
  clock: Clock,
  targets: readonly TargetConfig[],
  alert: FiredAlert & { monitorCondition: 'Fired' | 'Resolved' },
  options: RouteOptions,
): Promise<AlertRouting> {
  const routing: AlertRouting = {
    alertId: alert.alertId,
    monitorCondition: alert.monitorCondition,
    targets: [],
  };
  const deliveryId = options.deliveryId ?? randomUUID();
  for (const target of targets) {
    const about = classifyAlert(alert, target, await options.slotResources(target));
    if (!about.matches) continue;
    const base = { target: target.name, slots: about.slots };
    const refused = policyRefusal(alert, target.alerts);

    const lane = await client.get(InstanceIds.lane(target.name));
    const current = (lane?.customStatus as LaneStatus | undefined)?.current;
    const release = current ? await client.get(current) : undefined;
    const view = release ? releaseView(release) : undefined;
    const bake = view ? bakeWindowOf(view) : undefined;
    if (!current || !release || !view || release.runtimeStatus !== 'Running' || view.phase !== 'baking') {
      const state = current
        ? `release ${current} is ${view?.phase ?? release?.runtimeStatus ?? 'gone'}, not baking`
        : 'no release running';
      routing.targets.push({
        ...base,
        ...(current ? { release: current } : {}),
        acted: false,
        forwarded: false,
        reason: refused ?? state,
      });
      continue;
    }

    const acted = [
      ...((release.input as ReleaseInput | undefined)?.actedAlerts ?? []),
      ...(view.alerts?.acted ?? []),
    ];
    const refusal =
      refused ??
      (bake ? bakeRefusal(alert, about, target.alerts, bake) : undefined) ??
      (acted.includes(alertKey(alert.alertId)) ? 'already acted: an alert acts once per target' : undefined);
    // Alerts about the idle slot change whether a rollback onto it is safe: the release tracks them.
    // Without the bake window (a status abridged to fit its size cap) the release alone decides.
    const aboutIdle = bake ? about.slots.includes(bake.idleSlot) : true;
    const tracks = aboutIdle && (alert.monitorCondition === 'Resolved' || refused === undefined);
    if (refusal !== undefined && !tracks) {
      routing.targets.push({ ...base, release: current, acted: false, forwarded: false, reason: refusal });
      continue;
    }
    const delivery: AlertDelivery = { alert, about, deliveryId, receivedAt: clock.now().toISOString() };
    await client.raise(current, Events.AlertFired, delivery);
    const decided = await waitForDecision(
      client,
      current,
      deliveryId,
      options.waitMs ?? ALERT_DECISION_WAIT_MS,
    );
    if (decided) {
      routing.targets.push({
        ...base,
        release: current,
        acted: decided.acts,
        forwarded: true,
        reason: decided.reason,
      });
    } else {
      routing.targets.push({
        ...base,
        release: current,
        acted: false,
        forwarded: true,
        pending: true,
        reason: refusal ?? `raised into ${current}; its decision is not recorded yet (see GET /api/alerts)`,
      });
    }
  }
  return routing;
}

/** Polls the release for the decision on one delivery; undefined when it is not recorded in time. */
async function waitForDecision(
  client: ReleaseClient,
  releaseId: string,
  deliveryId: string,
  waitMs: number,
): Promise<{ acts: boolean; reason: string } | undefined> {
  const deadline = Date.now() + waitMs;
  let delay = 20;
  for (;;) {
    const status = await client.get(releaseId);
    const view = status ? releaseView(status) : undefined;
    const found = view?.alerts?.decisions?.find((d) => d.deliveryId === deliveryId);
    if (found) return { acts: found.acts, reason: found.reason };
    if (view && view.phase !== 'baking') {
      // The bake ended before this delivery was taken (another alert acted, or the bake timed out).
      const by = view.rollback?.alert ? ` (rolled back for ${view.rollback.alert.rule})` : '';
      return { acts: false, reason: `release ${releaseId} is ${view.phase}${by}, not baking` };
    }
    if (Date.now() + delay > deadline) return undefined;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 500);
  }
}

/** The audit record of one delivery. */
export function auditRecord(
  alert: FiredAlert & { monitorCondition: 'Fired' | 'Resolved' },
  receivedAt: string,
  routing: AlertRouting,
): AlertAuditRecord {
  return {
    alertId: alert.alertId,
    rule: alert.rule.slice(0, 260),
    ...(alert.severity !== undefined ? { severity: alert.severity.slice(0, 20) } : {}),
    monitorCondition: alert.monitorCondition,
    source: alert.source ?? 'other',
    ...(alert.monitoringService !== undefined
      ? { monitoringService: alert.monitoringService.slice(0, 80) }
      : {}),
    firedAt: alert.firedAt,
    receivedAt,
    targets: routing.targets.map(({ forwarded: _forwarded, ...t }) => t),
  };
}

/**
 * Appends a record to the alert journal (one orchestration, started on first use). An audit record lost to
 * a failure here never changes what the alert did: the caller logs and goes on.
 */
export async function recordAlert(client: ReleaseClient, record: AlertAuditRecord): Promise<void> {
  const id = InstanceIds.alertJournal;
  const journal = await client.get(id);
  if (journal && ACTIVE_STATES.has(journal.runtimeStatus)) {
    await client.raise(id, Events.AlertRecorded, record);
    return;
  }
  // Not started yet, or it failed: start it with what it held, plus this record.
  const held = (journal?.input as AlertJournalState | undefined)?.records ?? [];
  const state: AlertJournalState = { records: [...held, record] };
  try {
    await client.start(Orchestrations.AlertJournal, id, state);
  } catch (err) {
    const again = await client.get(id);
    if (!again || !ACTIVE_STATES.has(again.runtimeStatus)) throw err;
    await client.raise(id, Events.AlertRecorded, record);
  }
}

/** Recent alert records, newest first, optionally only those that belong to `target`. */
export async function listAlerts(
  client: ReleaseClient,
  query: { target?: string; limit: number },
): Promise<AlertAuditRecord[]> {
  const journal = await client.get(InstanceIds.alertJournal);
  const records = (journal?.input as AlertJournalState | undefined)?.records ?? [];
  const wanted = query.target?.toLowerCase();
  return records
    .filter((r) => wanted === undefined || r.targets.some((t) => t.target.toLowerCase() === wanted))
    .reverse()
    .slice(0, query.limit);
}
