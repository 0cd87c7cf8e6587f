/**
 * AlertSource over the Alerts Management REST API (no SDK): alerts still firing on a target's resources.
 * A stateful alert that fired before the bake started never notifies again, so the bake asks here at its start.
 */
import type { FiredAlert, AlertScope } from '../../core/domain';
import { alertSourceOf } from '../../core/alerts/policy';
import { alertMatchesScope } from '../../core/payloads/alerts';
import type { AlertContext, AlertSource } from '../../core/ports/alerts';
import { parseArmId } from './armId';
import { armGetJson } from './armGet';
import type { AzureClients } from './clients';
import { armCall } from './errors';

/**
 * Stable api-version of Microsoft.AlertsManagement/alerts. Its Alerts_GetAll is
 * `GET /{scope}/providers/Microsoft.AlertsManagement/alerts` ("scope here is resourceId for which alert is
 * created"; azure-rest-api-specs, specification/alertsmanagement/resource-manager/Microsoft.AlertsManagement/
 * AlertsManagement/stable/2019-03-01/AlertsManagement.json), so a resource group scope needs no preview version.
 */
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
      monitorService?: string;
      signalType?: string;
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
    ...(e.monitorService ? { monitoringService: e.monitorService } : {}),
    source: alertSourceOf(e.monitorService, e.signalType),
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

/** One list query: the scope in the URL and the subscription its alert IDs are normalised to. */
export interface AlertQueryScope {
  scopeId: string;
  subscriptionId: string;
}

const rgScope = (subscriptionId: string, resourceGroup: string): AlertQueryScope => ({
  scopeId: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`,
  subscriptionId,
});

/**
 * Where to list alerts for a target: the resource group of each scoped resource ID, once per group. ARM
 * authorizes a list at the URL's scope, and the app's identity may read alerts in the target's resource group
 * only (infra/app/rbac.bicep), so the subscription-wide list would answer 403. The group is listed unfiltered
 * by resource (`targetResource` takes one ID and matches it exactly, while the scope also covers resources
 * under a configured ID); `inScope` picks the alerts. Rule names match alerts anywhere in those groups, plus the
 * group of the target's traffic resource, so a scope of rule names only still finds its alerts. An ID
 * that is no resource group or resource (a subscription) is listed at its own scope, which needs a role there.
 */
export function alertQueryScopes(scope: AlertScope, context: AlertContext): AlertQueryScope[] {
  const out = new Map<string, AlertQueryScope>();
  const add = (q: AlertQueryScope): void => {
    const k = q.scopeId.toLowerCase();
    if (!out.has(k)) out.set(k, q);
  };
  for (const id of scope.resourceIds) {
    try {
      const parsed = parseArmId(id);
      add(rgScope(parsed.subscriptionId, parsed.resourceGroup));
    } catch {
      const seg = id.split('/').filter(Boolean);
      if (seg[0]?.toLowerCase() === 'subscriptions' && seg[1]) {
        add({ scopeId: `/${seg.join('/')}`, subscriptionId: seg[1] });
      }
    }
  }
  if (scope.ruleNames.length > 0) {
    try {
      const profile = parseArmId(context.trafficResource);
      add(rgScope(profile.subscriptionId, profile.resourceGroup));
    } catch {
      // A malformed profile ID fails the swap long before; the resource groups above still count.
    }
  }
  return [...out.values()];
}

/** Builds the AlertSource. */
export function createAlertsManagementSource(clients: AzureClients): AlertSource {
  const getJson = async (url: string) =>
    (await armGetJson(clients, url)) as { value?: ApiAlert[]; nextLink?: string };

  /** All alerts fired at or under one scope, following nextLink. */
  const query = async (scopeId: string): Promise<ApiAlert[]> => {
    const params = new URLSearchParams({
      'api-version': ALERTS_API_VERSION,
      monitorCondition: 'Fired',
      // Default is 1d; a stateful alert can stay fired longer than that.
      timeRange: '30d',
      pageCount: '250',
    });
    const path = scopeId
      .split('/')
      .filter(Boolean)
      .map((s) => encodeURIComponent(s))
      .join('/');
    let url: string | undefined =
      `${clients.armEndpoint}/${path}/providers/Microsoft.AlertsManagement/alerts?${params.toString()}`;
    const out: ApiAlert[] = [];
    for (let page = 0; url && page < MAX_PAGES; page++) {
      const body = await getJson(url);
      out.push(...(body.value ?? []));
      url = body.nextLink;
    }
    return out;
  };

  return {
    async firing(scope: AlertScope, context: AlertContext): Promise<FiredAlert[]> {
      const found = new Map<string, FiredAlert>();
      for (const q of alertQueryScopes(scope, context)) {
        const alerts = await armCall('firing-alerts', q.scopeId, () => query(q.scopeId));
        for (const a of alerts) {
          if (!isFiring(a) || !inScope(a, scope)) continue;
          const fired = toFiredAlert(a, q.subscriptionId);
          found.set(fired.alertId.toLowerCase(), fired);
        }
      }
      return [...found.values()].sort((a, b) => a.firedAt.localeCompare(b.firedAt));
    },
  };
}
