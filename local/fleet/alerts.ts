import { randomUUID } from 'node:crypto';
import type { WindowStats } from './traffic';

/** The essentials of an Azure Monitor common-alert-schema notification. */
export interface CommonAlertEssentials {
  alertId: string;
  alertRule: string;
  severity: string;
  signalType: string;
  monitorCondition: 'Fired' | 'Resolved';
  monitoringService: string;
  alertTargetIDs: string[];
  configurationItems: string[];
  originAlertId: string;
  firedDateTime: string;
  resolvedDateTime?: string;
  description: string;
  essentialsVersion: string;
  alertContextVersion: string;
}

/** An Azure Monitor common-alert-schema webhook body (metric alert). */
export interface CommonAlertPayload {
  schemaId: 'azureMonitorCommonAlertSchema';
  data: { essentials: CommonAlertEssentials; alertContext: Record<string, unknown> };
}

/** One alert notification, handed to the callback before it is posted. */
export interface AlertEvent {
  monitorCondition: 'Fired' | 'Resolved';
  payload: CommonAlertPayload;
}

/** One webhook delivery attempt series. */
export interface AlertDelivery {
  alertId: string;
  monitorCondition: 'Fired' | 'Resolved';
  at: string;
  /** HTTP status of the last attempt; absent when no answer came. */
  status?: number;
  error?: string;
  attempts: number;
  /** What the `onAlert` callback threw, if it did. */
  callbackError?: string;
}

/** Options of the local alert source. */
export interface AlertSourceOptions {
  /** The app's alert hook, e.g. `http://127.0.0.1:7071/api/hooks/alerts?code=<key>`; a function if known later. */
  webhookUrl: string | (() => string | undefined);
  subscriptionId: string;
  /** The alert's target: the App Insights component ID (sent lower-cased, as Azure does). */
  targetResourceId: string;
  /** The production error rate over the window (e.g. `() => traffic.window()`); no automatic alerts without it. */
  errorRate?: () => WindowStats;
  /** Window the error rate is measured over, for the payload; default 10. */
  windowSeconds?: number;
  /** Default `webapp-failed-requests`. */
  ruleName?: string;
  /** Default `Sev1`. */
  severity?: string;
  /** Error rate at or over which the alert fires; default 0.1. */
  threshold?: number;
  /** Fewest requests in the window for the rate to count; default 20. */
  minRequests?: number;
  /** Default 1000 ms. */
  evaluateEveryMs?: number;
  /** Consecutive clear evaluations before Resolved; default 3 (Azure also waits before resolving). */
  clearEvaluations?: number;
  /** Called with every notification before it is posted (e.g. to list it in the ARM stand-in's alerts). */
  onAlert?(event: AlertEvent): void | Promise<void>;
  /** Webhook attempts per notification; default 3. */
  attempts?: number;
}

/** What `fireAlert` may set. */
export interface FireAlertInput {
  rule?: string;
  severity?: string;
  description?: string;
  targetResourceIds?: string[];
}

/** The running local alert source. */
export interface LocalAlertSource {
  /** Posts a Fired notification now, for a new incident. */
  fireAlert(input?: FireAlertInput): Promise<CommonAlertPayload>;
  /** Posts the Resolved notification of a fired alert. */
  resolveAlert(alertId: string): Promise<CommonAlertPayload | undefined>;
  /** Alerts fired and not yet resolved. */
  active(): CommonAlertPayload[];
  deliveries(): AlertDelivery[];
  close(): Promise<void>;
}

/** ISO timestamp with 7 fractional digits, as Azure Monitor writes them. */
function azureTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Builds a common-alert-schema metric alert, shaped like the published sample payloads. */
export function buildAlertPayload(input: {
  subscriptionId: string;
  rule: string;
  severity: string;
  targetResourceIds: string[];
  description: string;
  firedAt: Date;
  alertGuid?: string;
  windowSeconds: number;
  metric?: { name: string; value: number; threshold: number };
}): CommonAlertPayload {
  const guid = input.alertGuid ?? randomUUID();
  const targets = input.targetResourceIds.map((id) => id.toLowerCase());
  const windowEnd = input.firedAt;
  const windowStart = new Date(windowEnd.getTime() - input.windowSeconds * 1000);
  return {
    schemaId: 'azureMonitorCommonAlertSchema',
    data: {
      essentials: {
        alertId: `/subscriptions/${input.subscriptionId}/providers/Microsoft.AlertsManagement/alerts/${guid}`,
        alertRule: input.rule,
        severity: input.severity,
        signalType: 'Metric',
        monitorCondition: 'Fired',
        monitoringService: 'Platform',
        alertTargetIDs: targets,
        configurationItems: targets.map((id) => id.split('/').pop() ?? id),
        originAlertId: `${input.subscriptionId}_${input.rule}_${guid}`,
        firedDateTime: azureTime(input.firedAt),
        description: input.description,
        essentialsVersion: '1.0',
        alertContextVersion: '1.0',
      },
      alertContext: {
        properties: null,
        conditionType: 'SingleResourceMultipleMetricCriteria',
        condition: {
          windowSize: `PT${input.windowSeconds}S`,
          allOf: [
            {
              metricName: input.metric?.name ?? 'requests/failed',
              metricNamespace: 'microsoft.insights/components',
              operator: 'GreaterThanOrEqual',
              threshold: String(input.metric?.threshold ?? 1),
              timeAggregation: 'Average',
              dimensions: [],
              metricValue: input.metric?.value ?? 1,
            },
          ],
          windowStartTime: windowStart.toISOString(),
          windowEndTime: windowEnd.toISOString(),
        },
      },
    },
  };
}

/**
 * A local stand-in for an Azure Monitor metric alert with a webhook action group: fires once per incident
 * when the error rate crosses the threshold, resolves when it has stayed under it, and fires on demand.
 */
export function startAlertSource(options: AlertSourceOptions): LocalAlertSource {
  const rule = options.ruleName ?? 'webapp-failed-requests';
  const severity = options.severity ?? 'Sev1';
  const threshold = options.threshold ?? 0.1;
  const minRequests = options.minRequests ?? 20;
  const windowSeconds = options.windowSeconds ?? 10;
  const clearNeeded = options.clearEvaluations ?? 3;
  const attempts = options.attempts ?? 3;
  const active = new Map<string, CommonAlertPayload>();
  const deliveries: AlertDelivery[] = [];
  let autoIncident: string | undefined;
  let clearCount = 0;
  let closed = false;
  let evaluating = false;
  const pending = new Set<Promise<unknown>>();

  const track = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p);
    void p.finally(() => pending.delete(p)).catch(() => undefined);
    return p;
  };

  const post = async (payload: CommonAlertPayload) => {
    const { alertId, monitorCondition } = payload.data.essentials;
    const record: AlertDelivery = { alertId, monitorCondition, at: new Date().toISOString(), attempts: 0 };
    deliveries.push(record);
    try {
      await options.onAlert?.({ monitorCondition, payload });
    } catch (err) {
      // The webhook is what the app acts on: a failing observer must not hold it back.
      record.callbackError = (err as Error).message;
    }
    const url = typeof options.webhookUrl === 'function' ? options.webhookUrl() : options.webhookUrl;
    if (!url) {
      record.error = 'no webhook URL configured';
      return;
    }
    // Action groups retry a webhook that fails or answers 429/5xx.
    for (let attempt = 1; attempt <= attempts; attempt++) {
      record.attempts = attempt;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(payload),
          signal: AbortSignal.timeout(10000),
        });
        await res.arrayBuffer();
        record.status = res.status;
        record.error = undefined;
        if (res.status < 500 && res.status !== 429) return;
      } catch (err) {
        // The URL carries the function key: report the cause only.
        record.error = (err as Error).message;
      }
      if (attempt < attempts && !closed) await delay(500 * attempt);
    }
  };

  const fire = (input: FireAlertInput & { metric?: { name: string; value: number; threshold: number } }) => {
    const payload = buildAlertPayload({
      subscriptionId: options.subscriptionId,
      rule: input.rule ?? rule,
      severity: input.severity ?? severity,
      targetResourceIds: input.targetResourceIds ?? [options.targetResourceId],
      description: input.description ?? `Alert fired on demand for ${options.targetResourceId}`,
      firedAt: new Date(),
      windowSeconds,
      metric: input.metric,
    });
    active.set(payload.data.essentials.alertId, payload);
    return track(post(payload)).then(() => payload);
  };

  const resolveAlert = async (alertId: string) => {
    const fired = active.get(alertId);
    if (!fired) return undefined;
    active.delete(alertId);
    const payload: CommonAlertPayload = {
      ...fired,
      data: {
        ...fired.data,
        essentials: {
          ...fired.data.essentials,
          monitorCondition: 'Resolved',
          resolvedDateTime: azureTime(new Date()),
        },
      },
    };
    await track(post(payload));
    return payload;
  };

  const evaluate = async () => {
    if (!options.errorRate || closed || evaluating) return;
    evaluating = true;
    try {
      const stats = options.errorRate();
      const breached = stats.requests >= minRequests && stats.errorRate >= threshold;
      if (breached) {
        clearCount = 0;
        if (!autoIncident) {
          const pct = Math.round(stats.errorRate * 1000) / 10;
          const payload = fire({
            description:
              `Failed requests ${pct}% (${stats.errors} of ${stats.requests}) over ${windowSeconds}s, ` +
              `threshold ${threshold * 100}%`,
            metric: { name: 'requests/failed (%)', value: pct, threshold: threshold * 100 },
          });
          autoIncident = (await payload).data.essentials.alertId;
        }
      } else if (autoIncident && ++clearCount >= clearNeeded) {
        const id = autoIncident;
        autoIncident = undefined;
        clearCount = 0;
        await resolveAlert(id);
      }
    } finally {
      evaluating = false;
    }
  };
  const timer = setInterval(() => void evaluate().catch(() => undefined), options.evaluateEveryMs ?? 1000);

  return {
    fireAlert: (input = {}) => fire(input),
    resolveAlert,
    active: () => [...active.values()],
    deliveries: () => deliveries.map((d) => ({ ...d })),
    async close() {
      closed = true;
      clearInterval(timer);
      await Promise.allSettled([...pending]);
    },
  };
}
