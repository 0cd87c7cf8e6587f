/**
 * AlertSource over the Alerts Management REST API (no SDK): alerts still firing on a target's resources.
 * A stateful alert that fired before the bake started never notifies again, so the bake asks here at its start.
 */
import { createPipelineRequest } from '@azure/core-rest-pipeline';
import type { FiredAlert, AlertScope } from '../../core/domain';
import { alertMatchesScope } from '../../core/payloads/alerts';
import type { AlertSource } from '../../core/ports/alerts';
import { parseArmId } from './armId';
import type { AzureClients } from './clients';
import { ArmCallError, armCall } from './errors';

/** Stable api-version of Microsoft.AlertsManagement/alerts (azure-rest-api-specs, stable/2019-03-01). */
export const ALERTS_API_VERSION = '2019-03-01';
/** Pages followed per query at most (250 alerts a page). */
const MAX_PAGES = 20;

/** One alert as the API returns it (the fields this adapter reads). */
interface ApiAlert {
  id?: string;
  name?: string;
  properties?: {
    essentials?: {
      severity?: string;
      alertState?: string;
      monitorCondition?: string;
      targetResource?: string;
      alertRule?: string;
      startDateTime?: string;
      description?: string;
    };
  };
}

const lastSegment = (s: string): string => s.split('/').filter(Boolean).pop() ?? s;

/**
 * The alert's id as the common alert schema's `essentials.alertId` spells it
 * (`/subscriptions/<sub>/providers/Microsoft.AlertsManagement/alerts/<guid>`), so webhook and list dedupe together.
 */
export function canonicalAlertId(id: string, subscriptionId: string): string {
  const guid = lastSegment(id);
  return `/subscriptions/${subscriptionId}/providers/Microsoft.AlertsManagement/alerts/${guid}`;
}

/** Maps an API alert to the app's FiredAlert. */
export function toFiredAlert(a: ApiAlert, subscriptionId: string): FiredAlert {
  const e = a.properties?.essentials ?? {};
  const rule = a.name ?? (e.alertRule ? lastSegment(e.alertRule) : '');
  return {
    alertId: canonicalAlertId(a.id ?? '', subscriptionId),
    rule,
    ...(e.severity ? { severity: e.severity } : {}),
    targetResourceIds: e.targetResource ? [e.targetResource] : [],
    firedAt: e.startDateTime ?? '',
    ...(e.description ? { description: e.description } : {}),
  };
}

/** True when the alert belongs to the scope, by the same rule as webhooks (resource or under it; rule name). */
export function inScope(a: ApiAlert, scope: AlertScope): boolean {
  const e = a.properties?.essentials ?? {};
  const targetResourceIds = e.targetResource ? [e.targetResource] : [];
  const rules = [a.name, e.alertRule ? lastSegment(e.alertRule) : undefined].filter(
    (n): n is string => typeof n === 'string' && n.length > 0,
  );
  if (rules.length === 0) rules.push('');
  return rules.some((rule) => alertMatchesScope({ rule, targetResourceIds }, scope));
}

/** Firing: monitor condition Fired and not closed by someone (New or Acknowledged). */
function isFiring(a: ApiAlert): boolean {
  const e = a.properties?.essentials ?? {};
  const state = (e.alertState ?? '').toLowerCase();
  return (
    (e.monitorCondition ?? '').toLowerCase() === 'fired' && (state === 'new' || state === 'acknowledged')
  );
}

/** Builds the AlertSource. */
export function createAlertsManagementSource(clients: AzureClients): AlertSource {
  const getJson = async (url: string): Promise<{ value?: ApiAlert[]; nextLink?: string }> => {
    const { pipeline, httpClient } = clients.arm();
    const request = createPipelineRequest({ url, method: 'GET' });
    request.headers.set('Accept', 'application/json');
    const response = await pipeline.sendRequest(httpClient, request);
    let body: unknown;
    try {
      body = response.bodyAsText ? JSON.parse(response.bodyAsText) : {};
    } catch {
      body = {};
    }
    if (response.status !== 200) {
      const err = (body as { error?: { code?: string; message?: string } }).error;
      const retryAfter = Number(response.headers.get('retry-after'));
      throw new ArmCallError({
        statusCode: response.status,
        ...(err?.code ? { code: err.code } : {}),
        message: err?.message ?? `unexpected status ${response.status}`,
        ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}),
      });
    }
    return body as { value?: ApiAlert[]; nextLink?: string };
  };

  /** All alerts of one query, following nextLink. */
  const query = async (subscriptionId: string, filters: Record<string, string>): Promise<ApiAlert[]> => {
    const params = new URLSearchParams({
      'api-version': ALERTS_API_VERSION,
      monitorCondition: 'Fired',
      // Default is 1d; a stateful alert can stay fired longer than that.
      timeRange: '30d',
      pageCount: '250',
      ...filters,
    });
    let url: string | undefined =
      `${clients.armEndpoint}/subscriptions/${encodeURIComponent(subscriptionId)}/providers/Microsoft.AlertsManagement/alerts?${params.toString()}`;
    const out: ApiAlert[] = [];
    for (let page = 0; url && page < MAX_PAGES; page++) {
      const body = await getJson(url);
      out.push(...(body.value ?? []));
      url = body.nextLink;
    }
    return out;
  };

  return {
    async firing(scope: AlertScope): Promise<FiredAlert[]> {
      // One query per scoped ID, narrowed server-side as far as the API allows; the scope check is done here.
      const queries = new Map<string, { sub: string; resource: string; filters: Record<string, string> }>();
      for (const id of scope.resourceIds) {
        const sub = id.split('/').filter(Boolean)[1];
        if (!sub) continue;
        let filters: Record<string, string> = {};
        try {
          const parsed = parseArmId(id);
          filters =
            parsed.path.length > 0 ? { targetResource: id } : { targetResourceGroup: parsed.resourceGroup };
        } catch {
          // a subscription (or other) scope: everything firing in the subscription, matched below
        }
        queries.set(`${sub.toLowerCase()} ${JSON.stringify(filters).toLowerCase()}`, {
          sub,
          resource: id,
          filters,
        });
      }
      if (scope.ruleNames.length > 0) {
        // The API filters by rule ID, not name: list what fires in each subscription and match names here.
        for (const { sub } of [...queries.values()]) {
          queries.set(`${sub.toLowerCase()} {}`, {
            sub,
            resource: `/subscriptions/${sub}/providers/Microsoft.AlertsManagement/alerts`,
            filters: {},
          });
        }
      }
      const found = new Map<string, FiredAlert>();
      for (const q of queries.values()) {
        const alerts = await armCall('firing-alerts', q.resource, () => query(q.sub, q.filters));
        for (const a of alerts) {
          if (!isFiring(a) || !inScope(a, scope)) continue;
          const fired = toFiredAlert(a, q.sub);
          found.set(fired.alertId.toLowerCase(), fired);
        }
      }
      return [...found.values()].sort((a, b) => a.firedAt.localeCompare(b.firedAt));
    },
  };
}
