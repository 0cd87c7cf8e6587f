/** Microsoft.AlertsManagement/alerts: Alerts_GetAll at any scope (stable 2019-03-01 and later). */
import { randomUUID } from 'node:crypto';
import type { ArmContext } from '../context';
import { nowIso } from '../context';
import { armErrors } from '../errors';
import type { Route } from '../http';
import { sendJson } from '../http';
import type { AlertRecord } from '../state';
import { key, stableGuid } from '../state';

/** Api-versions of Microsoft.AlertsManagement accepted. */
export const ALERTS_API_VERSIONS = [
  '2019-03-01',
  '2019-05-05-preview',
  '2023-07-12-preview',
  '2024-01-01-preview',
  '2025-05-25-preview',
] as const;

/** Add a fired alert. */
export interface AddAlertSpec {
  /** ARM ID of the alert's target resource. */
  targetResource: string;
  /** Alert rule name (or its full ARM ID). */
  rule: string;
  severity?: 'Sev0' | 'Sev1' | 'Sev2' | 'Sev3' | 'Sev4';
  description?: string;
  alertState?: 'New' | 'Acknowledged' | 'Closed';
  monitorService?: string;
  signalType?: 'Metric' | 'Log' | 'ActivityLog';
  /** ISO time it fired; default now. */
  startDateTime?: string;
  /** GUID of the alert; random when omitted. */
  alertGuid?: string;
}

/** The Alerts Management module: its route and the control operations on alerts. */
export interface AlertsModule {
  routes: Route[];
  addAlert(spec: AddAlertSpec): AlertRecord;
  resolveAlert(alertGuid: string): AlertRecord;
}

const TIME_RANGES: Record<string, number> = { '1h': 3.6e6, '1d': 8.64e7, '7d': 6.048e8, '30d': 2.592e9 };

/** True when `id` is `scope` or lies under it (lower-cased scope). */
export const within = (id: string, scope: string): boolean => {
  const k = key(id);
  return k === scope || k.startsWith(`${scope}/`);
};

/**
 * Builds the module. `readScopes` are where callers may list alerts (the alerts reader role's assignments): ARM
 * authorizes the list at the URL's scope, so a list above them answers 403 AuthorizationFailed.
 */
export function alertsManagement(ctx: ArmContext, readScopes: string[]): AlertsModule {
  const { world, sub } = ctx;
  const allowed = readScopes.map((s) => key(s.replace(/\/+$/, '')));

  const routes: Route[] = [
    {
      method: 'GET',
      pattern: '{*scope}/providers/Microsoft.AlertsManagement/alerts',
      apiVersions: ALERTS_API_VERSIONS,
      action: 'Microsoft.AlertsManagement/alerts/read',
      scope: (params) => params.scope ?? '',
      handle: ({ res, params, query: q, host, apiVersion }) => {
        const scope = params.scope ?? '';
        const scopeSeg = scope.split('/').filter(Boolean);
        const scopeLow = scopeSeg.map((s) => s.toLowerCase());
        const isRgOrUnder = scopeLow[2] === 'resourcegroups' && scopeSeg.length >= 4;
        const isResource = isRgOrUnder && scopeLow[4] === 'providers' && scopeSeg.length >= 8;
        if (!(scopeSeg.length === 2 || (isRgOrUnder && (scopeSeg.length === 4 || isResource))))
          throw armErrors.invalidScope(scope);
        if (!allowed.some((a) => within(scope, a)))
          throw armErrors.authorizationFailed(undefined, 'Microsoft.AlertsManagement/alerts/read', scope);
        if (isRgOrUnder) ctx.findRg(scopeSeg[3] ?? '');

        const scopeKey = key(scope);
        const eq = (a: unknown, b: string | null): boolean =>
          b === null || (typeof a === 'string' && a.toLowerCase() === b.toLowerCase());
        const range = TIME_RANGES[q.get('timeRange') ?? '1d'];
        if (range === undefined)
          throw armErrors.invalidParameter(`Invalid timeRange '${q.get('timeRange')}'.`, 'timeRange');
        const now = Date.now();
        const alertRule = q.get('alertRule');
        const selected = Object.values(world.alerts)
          .filter((a) => {
            const e = a.properties.essentials;
            return (
              within(e.targetResource, scopeKey) &&
              eq(e.targetResource, q.get('targetResource')) &&
              eq(e.targetResourceType, q.get('targetResourceType')) &&
              eq(e.targetResourceGroup, q.get('targetResourceGroup')) &&
              eq(e.monitorService, q.get('monitorService')) &&
              eq(e.monitorCondition, q.get('monitorCondition')) &&
              eq(e.severity, q.get('severity')) &&
              eq(e.alertState, q.get('alertState')) &&
              (alertRule === null || eq(e.alertRule, alertRule) || eq(a.name, alertRule)) &&
              (q.get('customTimeRange') !== null || now - Date.parse(e.startDateTime) <= range)
            );
          })
          .sort(
            (a, b) =>
              Date.parse(b.properties.essentials.lastModifiedDateTime) -
              Date.parse(a.properties.essentials.lastModifiedDateTime),
          );
        const pageCount = Math.min(250, Math.max(1, Number(q.get('pageCount') ?? '25') || 25));
        const offset = Number(q.get('ctoken') ?? '0') || 0;
        const page = selected.slice(offset, offset + pageCount);
        const result: Record<string, unknown> = { value: page };
        if (offset + pageCount < selected.length) {
          const next = new URLSearchParams(q);
          next.set('ctoken', String(offset + pageCount));
          next.set('api-version', apiVersion);
          result.nextLink = `https://${host}${scope}/providers/Microsoft.AlertsManagement/alerts?${next.toString()}`;
        }
        sendJson(res, 200, result);
      },
    },
  ];

  return {
    routes,
    addAlert: (spec) => {
      const guid = spec.alertGuid ?? randomUUID();
      const parts = spec.targetResource.split('/');
      const rgIndex = parts.findIndex((p) => p.toLowerCase() === 'resourcegroups');
      const targetRg = rgIndex >= 0 ? (parts[rgIndex + 1] ?? '') : '';
      const ruleName = spec.rule.startsWith('/') ? (spec.rule.split('/').pop() ?? spec.rule) : spec.rule;
      const ruleId = spec.rule.startsWith('/')
        ? spec.rule
        : `/subscriptions/${sub}/resourceGroups/${targetRg || ctx.defaultResourceGroup}/providers/microsoft.insights/metricAlerts/${spec.rule}`;
      const at = spec.startDateTime ?? nowIso();
      const alert: AlertRecord = {
        id: `${spec.targetResource}/providers/Microsoft.AlertsManagement/alerts/${guid}`,
        name: ruleName,
        type: 'Microsoft.AlertsManagement/alerts',
        properties: {
          essentials: {
            severity: spec.severity ?? 'Sev1',
            signalType: spec.signalType ?? 'Metric',
            alertState: spec.alertState ?? 'New',
            monitorCondition: 'Fired',
            monitorService: spec.monitorService ?? 'Platform',
            targetResource: spec.targetResource,
            targetResourceName: parts[parts.length - 1] ?? '',
            targetResourceGroup: targetRg,
            targetResourceType: parts.length >= 2 ? (parts[parts.length - 2] ?? '') : '',
            sourceCreatedId: stableGuid(`${guid}/source`),
            alertRule: ruleId,
            startDateTime: at,
            lastModifiedDateTime: at,
            lastModifiedUserName: 'System',
            actionStatus: { isSuppressed: false },
            description: spec.description ?? '',
          },
        },
      };
      world.alerts[guid] = alert;
      ctx.save();
      return alert;
    },
    resolveAlert: (guid) => {
      const alert = world.alerts[guid];
      if (!alert) throw armErrors.notFound(`No alert '${guid}'.`);
      const at = nowIso();
      alert.properties.essentials.monitorCondition = 'Resolved';
      alert.properties.essentials.monitorConditionResolvedDateTime = at;
      alert.properties.essentials.lastModifiedDateTime = at;
      ctx.save();
      return alert;
    },
  };
}
