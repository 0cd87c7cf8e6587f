/**
 * The alert policy's pure functions, by example, and its safety invariants as fast-check properties: an
 * alert acts at most once per target whatever the interleaving of concurrent deliveries, redeliveries,
 * releases and crashes (replays); no rollback while the previous slot is alerting; nothing old, idle-only,
 * minor or recorded-only ever acts.
 */
import fc from 'fast-check';
import {
  alertKey,
  alertSourceOf,
  bakeRefusal,
  classifyAlert,
  humanDuration,
  onBakeAlert,
  parseAlertTime,
  policyRefusal,
  rememberActed,
  ACTED_ALERTS_LIMIT,
  type AlertDelivery,
  type BakeAlertState,
  type BakeWindow,
} from '../../../src/core/alerts/policy';
import { routeAlert } from '../../../src/core/api/alerts';
import type { InstanceStatus, ReleaseClient } from '../../../src/core/api/client';
import type { AlertDecisionRecord, AlertPolicy, ReleaseView } from '../../../src/core/domain';
import { aTarget, ids } from '../../builders/target';

const target = aTarget({ alerts: { resourceIds: [ids.appInsights()] } });
const policy: AlertPolicy = target.alerts;
const slots = { blue: [ids.scaleSet('vmss-blue')], green: [ids.scaleSet('vmss-green')] };
const SWAP = Date.parse('2026-06-01T12:00:00Z');
const bake: BakeWindow = {
  liveSlot: 'green',
  idleSlot: 'blue',
  swapAt: new Date(SWAP).toISOString(),
  startedAt: new Date(SWAP + 1000).toISOString(),
  endsAt: new Date(SWAP + 901_000).toISOString(),
};

describe('alert policy functions', () => {
  it.each([
    ['Platform', 'Metric', undefined, 'metric'],
    ['Platform', 'Metric', 'WebtestLocationAvailabilityCriteria', 'availability'],
    ['Log Analytics', 'Log', undefined, 'log'],
    ['Application Insights', 'Log', undefined, 'log'],
    ['Log Alerts V2', 'Log', undefined, 'log'],
    ['SmartDetector', 'Log', undefined, 'smart-detection'],
    ['Activity Log - Administrative', 'Activity Log', undefined, 'activity-log-administrative'],
    ['ActivityLog Administrative', 'Activity Log', undefined, 'activity-log-administrative'],
    ['Activity Log - Policy', 'Activity Log', undefined, 'activity-log'],
    ['Resource Health', 'Activity Log', undefined, 'resource-health'],
    ['ServiceHealth', 'Activity Log', undefined, 'service-health'],
    ['Zabbix', 'Metric', undefined, 'other'],
    [undefined, 'Metric', undefined, 'metric'],
    [undefined, undefined, undefined, 'other'],
  ])('source of %s / %s / %s is %s', (service, signal, condition, kind) => {
    expect(alertSourceOf(service, signal, condition)).toBe(kind);
  });

  it('parses Azure alert times, reading a time without a zone as UTC', () => {
    expect(parseAlertTime('2021-11-17T05:34:48.0623172')).toBe(Date.parse('2021-11-17T05:34:48.062Z'));
    expect(parseAlertTime('2021-11-16T09:54:08.9938123Z')).toBe(Date.parse('2021-11-16T09:54:08.993Z'));
    expect(parseAlertTime('2021-11-16T09:50:20.406+01:00')).toBe(Date.parse('2021-11-16T08:50:20.406Z'));
    expect(parseAlertTime('yesterday')).toBeUndefined();
    expect(parseAlertTime(undefined)).toBeUndefined();
  });

  it('says durations as people do', () => {
    expect([45_000, 600_000, 3 * 3600_000, 5 * 365 * 86400_000].map(humanDuration)).toEqual([
      '45 s',
      '10 min',
      '3 h',
      '1825 days',
    ]);
  });

  it('resolves alerts against the slots’ own compute and the shared resources', () => {
    const vm0 = `${ids.scaleSet('vmss-blue')}/virtualMachines/0`.toLowerCase();
    expect(classifyAlert({ rule: 'r', targetResourceIds: [vm0] }, target, slots)).toEqual({
      matches: true,
      slots: ['blue'],
      shared: false,
    });
    expect(classifyAlert({ rule: 'r', targetResourceIds: [ids.appInsights()] }, target, slots)).toEqual({
      matches: true,
      slots: [],
      shared: true,
    });
    expect(
      classifyAlert({ rule: 'r', targetResourceIds: [ids.vm('elsewhere')] }, target, slots).matches,
    ).toBe(false);
    // A shared scope that contains a slot (the resource group): the slot wins.
    const rgTarget = aTarget({ alerts: { resourceIds: [ids.resourceGroup()] } });
    expect(classifyAlert({ rule: 'r', targetResourceIds: [vm0] }, rgTarget, slots)).toEqual({
      matches: true,
      slots: ['blue'],
      shared: false,
    });
    const ruled = aTarget({ alerts: { ruleNames: ['Web-5xx'] } });
    expect(classifyAlert({ rule: 'web-5xx', targetResourceIds: [] }, ruled, slots)).toEqual({
      matches: true,
      slots: [],
      shared: true,
    });
  });

  const fired = (over: Partial<Parameters<typeof policyRefusal>[0]> = {}) => ({
    alertId: alertId(1),
    rule: 'web-5xx',
    severity: 'Sev1',
    firedAt: new Date(SWAP + 5000).toISOString(),
    source: 'metric' as const,
    monitorCondition: 'Fired' as const,
    ...over,
  });

  it('refuses by condition, severity and source with the reason an operator reads', () => {
    expect(policyRefusal(fired(), policy)).toBeUndefined();
    expect(policyRefusal(fired({ monitorCondition: 'Resolved' }), policy)).toBe('resolved');
    expect(policyRefusal(fired({ severity: 'Sev4' }), policy)).toBe('severity Sev4 is below Sev2');
    expect(policyRefusal(fired({ severity: 'Sev2' }), policy)).toBeUndefined();
    expect(policyRefusal(fired({ severity: undefined }), policy)).toBe(
      'severity (none) is not one of Sev0-Sev4',
    );
    expect(
      policyRefusal(fired({ source: 'resource-health', monitoringService: 'Resource Health' }), policy),
    ).toBe('Resource Health alerts are recorded only (alerts.sources)');
    expect(
      policyRefusal(fired({ source: 'resource-health' }), { ...policy, sources: ['resource-health'] }),
    ).toBe(undefined);
    expect(policyRefusal(fired({ severity: 'Sev4' }), { ...policy, minSeverity: 'Sev4' })).toBeUndefined();
  });

  it('refuses alerts about the idle slot and alerts fired before the swap (beyond the skew tolerance)', () => {
    const live = { matches: true, slots: ['green'], shared: false };
    const idle = { matches: true, slots: ['blue'], shared: false };
    expect(bakeRefusal(fired(), live, policy, bake)).toBeUndefined();
    expect(bakeRefusal(fired(), idle, policy, bake)).toBe('about idle slot blue');
    expect(bakeRefusal(fired({ firedAt: new Date(SWAP - 600_000).toISOString() }), live, policy, bake)).toBe(
      'fired 10 min before the swap',
    );
    expect(bakeRefusal(fired({ firedAt: new Date(SWAP - 60_000).toISOString() }), live, policy, bake)).toBe(
      undefined,
    );
    expect(bakeRefusal(fired({ firedAt: new Date(SWAP - 61_000).toISOString() }), live, policy, bake)).toBe(
      'fired 61 s before the swap',
    );
    expect(bakeRefusal(fired({ firedAt: 'soon' }), live, policy, bake)).toBe(
      'fired at an unreadable time "soon"',
    );
  });

  it('remembers acted alerts normalised and bounded, newest last', () => {
    const many = Array.from({ length: ACTED_ALERTS_LIMIT + 5 }, (_, i) => alertId(i));
    const known = rememberActed([], many);
    expect(known).toHaveLength(ACTED_ALERTS_LIMIT);
    expect(known.at(-1)).toBe(alertKey(alertId(ACTED_ALERTS_LIMIT + 4)));
    expect(rememberActed(known, [alertId(ACTED_ALERTS_LIMIT + 4).toUpperCase()])).toHaveLength(
      ACTED_ALERTS_LIMIT,
    );
  });
});

// ---------------------------------------------------------------- properties

function alertId(n: number): string {
  return `/subscriptions/s/providers/Microsoft.AlertsManagement/alerts/a-${n}`;
}

/** One delivery as generated: which alert, about what, when it fired, fired or resolved. */
interface Gen {
  alert: number;
  about: 'live' | 'idle' | 'both' | 'shared';
  firedOffsetS: number;
  severity: 'Sev0' | 'Sev1' | 'Sev2' | 'Sev3' | 'Sev4';
  source: 'metric' | 'resource-health';
  resolved: boolean;
}

const genDelivery: fc.Arbitrary<Gen> = fc.record({
  alert: fc.integer({ min: 0, max: 5 }),
  about: fc.constantFrom('live', 'idle', 'both', 'shared'),
  firedOffsetS: fc.integer({ min: -900, max: 900 }),
  severity: fc.constantFrom('Sev0', 'Sev1', 'Sev2', 'Sev3', 'Sev4'),
  source: fc.constantFrom('metric', 'metric', 'resource-health'),
  resolved: fc.boolean(),
});

function toDelivery(g: Gen, n: number): AlertDelivery {
  const aboutSlots = { live: ['green'], idle: ['blue'], both: ['blue', 'green'], shared: [] }[g.about];
  return {
    alert: {
      alertId: alertId(g.alert),
      rule: `rule-${g.alert}`,
      severity: g.severity,
      targetResourceIds: [],
      firedAt: new Date(SWAP + g.firedOffsetS * 1000).toISOString(),
      source: g.source,
      monitorCondition: g.resolved ? 'Resolved' : 'Fired',
    },
    about: { matches: true, slots: aboutSlots, shared: g.about === 'shared' },
    deliveryId: `d-${n}`,
    receivedAt: new Date(SWAP + 2000 + n).toISOString(),
  };
}

/** One bake: applies deliveries in order until a rollback ends it; returns decisions and what acted. */
function runBake(known: string[], deliveries: AlertDelivery[]) {
  let state: BakeAlertState = { acted: [...known], idleFiring: [] };
  const decisions: AlertDecisionRecord[] = [];
  const violations: string[] = [];
  let rolledBack = false;
  for (const d of deliveries) {
    const before = state;
    const step = onBakeAlert(state, d, policy, bake);
    state = step.state;
    decisions.push(step.decision);
    if (step.effect === 'rollback') {
      if (state.idleFiring.length > 0)
        violations.push(`rollback while ${state.idleFiring.length} idle alert(s) fire`);
      if (before.held === undefined && !step.decision.acts)
        violations.push('rollback without an acting decision');
      rolledBack = true;
      break; // the bake ends: later deliveries are never consumed
    }
  }
  return { decisions, acted: state.acted, rolledBack, violations };
}

describe('properties', () => {
  it('an alert acts at most once per target across releases, redeliveries, any order and crash replays', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(genDelivery, { maxLength: 12 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 48 }),
        (releases, crashAt, redeliver) => {
          let known: string[] = [];
          const actsById = new Map<string, number>();
          let n = 0;
          releases.forEach((gens, r) => {
            // Redeliveries: each generated delivery may arrive several times (new delivery ids, same alert).
            const deliveries = gens.flatMap((g, i) =>
              Array.from({ length: redeliver[(r * 12 + i) % Math.max(1, redeliver.length)] ?? 1 }, () =>
                toDelivery(g, n++),
              ),
            );
            const run = runBake(known, deliveries);
            // A crash at any point replays the same history: the decisions must come out the same.
            const cut = deliveries.length === 0 ? 0 : (crashAt[r] ?? 0) % (deliveries.length + 1);
            const replay = runBake(known, deliveries.slice(0, cut));
            expect(replay.decisions).toEqual(run.decisions.slice(0, replay.decisions.length));
            expect(runBake(known, deliveries).decisions).toEqual(run.decisions);
            expect(run.violations).toEqual([]);
            for (const d of run.decisions) {
              if (!d.acts) continue;
              const k = alertKey(d.alertId);
              actsById.set(k, (actsById.get(k) ?? 0) + 1);
              // Safe defaults: what acts is fresh, about the live build, severe enough and from an acting source.
              expect(d.slots.includes('green') || d.slots.length === 0).toBe(true);
              expect(Date.parse(d.firedAt)).toBeGreaterThanOrEqual(SWAP - policy.clockSkewSeconds * 1000);
              expect(['Sev0', 'Sev1', 'Sev2']).toContain(d.severity);
              expect(d.source).toBe('metric');
            }
            expect(run.decisions.filter((d) => d.acts).length).toBeLessThanOrEqual(1);
            known = rememberActed(
              known,
              run.acted.filter((k) => !known.includes(k)),
            );
          });
          for (const count of actsById.values()) expect(count).toBe(1);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('concurrent hook deliveries racing the release: one answer at most says acted, and the release agrees', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 8 }),
        async (s, alerts) => {
          const releaseId = 'web-prod-b1';
          const queue: AlertDelivery[] = [];
          let state: BakeAlertState = { acted: [], idleFiring: [] };
          const view: ReleaseView = {
            id: releaseId,
            target: 'web-prod',
            status: 'Running',
            phase: 'baking',
            build: { id: '1', number: '1', pipeline: 'p', source: 'build.complete' },
            productionSlot: 'blue',
            stagingSlot: 'green',
            liveSlot: 'green',
            alerts: { bake: { swapAt: bake.swapAt, startedAt: bake.startedAt, endsAt: bake.endsAt } },
            timeline: [],
            createdAt: bake.swapAt,
            updatedAt: bake.swapAt,
          };
          // The release: takes one raised delivery at a time, at moments the scheduler picks.
          const takeOne = (): void => {
            const d = queue.shift();
            if (!d || view.phase !== 'baking') return;
            const step = onBakeAlert(state, d, policy, bake);
            state = step.state;
            view.alerts = {
              ...view.alerts,
              decisions: [...(view.alerts?.decisions ?? []), step.decision],
              acted: [...state.acted],
            };
            if (step.effect === 'rollback') view.phase = 'rolling-back';
          };
          const status = (id: string): InstanceStatus | undefined =>
            id === 'lane-web-prod'
              ? {
                  instanceId: id,
                  name: 'TargetLane',
                  runtimeStatus: 'Running',
                  customStatus: { target: 'web-prod', current: releaseId, lastSucceeded: null },
                  createdTime: '',
                  lastUpdatedTime: '',
                }
              : {
                  instanceId: id,
                  name: 'Release',
                  runtimeStatus: 'Running',
                  input: { actedAlerts: [] },
                  customStatus: structuredClone(view),
                  createdTime: '',
                  lastUpdatedTime: '',
                };
          const client: ReleaseClient = {
            get: s.scheduleFunction(async (id: string) => status(id)),
            query: async () => ({ instances: [] }),
            purge: async () => false,
            start: async () => undefined,
            raise: s.scheduleFunction(async (_id: string, _event: string, data: unknown) => {
              queue.push(data as AlertDelivery);
              void s.schedule(Promise.resolve()).then(takeOne);
            }),
          };
          const answers = alerts.map((a, i) =>
            routeAlert(
              client,
              { now: () => new Date(SWAP + 5000) },
              [target],
              {
                alertId: alertId(a),
                rule: `rule-${a}`,
                severity: 'Sev1',
                targetResourceIds: [ids.appInsights()],
                firedAt: new Date(SWAP + 3000).toISOString(),
                source: 'metric',
                monitorCondition: 'Fired',
              },
              { slotResources: async () => slots, waitMs: 0, deliveryId: `d-${i}` },
            ),
          );
          await s.waitFor(Promise.all(answers));
          await s.waitAll();
          const results = await Promise.all(answers);
          const actedAnswers = results.filter((r) => r.targets[0]?.acted);
          const actedDecisions = (view.alerts?.decisions ?? []).filter((d) => d.acts);
          expect(actedDecisions.length).toBeLessThanOrEqual(1);
          expect(actedAnswers.length).toBeLessThanOrEqual(actedDecisions.length);
          for (const r of actedAnswers) expect(r.alertId).toBe(actedDecisions[0]!.alertId);
        },
      ),
      { numRuns: 300 },
    );
  });
});
