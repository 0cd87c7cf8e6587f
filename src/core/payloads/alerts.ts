/**
 * Azure Monitor common alert schema webhooks (action group with "Enable the common alert schema").
 * Only `data.essentials` is read: it is the same for metric, log, activity log and smart detection alerts.
 */
import { alertSourceOf, isWithinScope } from '../alerts/policy';
import type { AlertScope, FiredAlert } from '../domain';
import { ValidationError } from '../errors';
import { FieldReader, isObject } from './fields';

/** The schemaId of a common alert schema payload. */
export const COMMON_ALERT_SCHEMA_ID = 'azureMonitorCommonAlertSchema';

/** An alert notification as parsed from the webhook; `FiredAlert` plus the condition and its times. */
export interface CommonAlert extends FiredAlert {
  monitorCondition: 'Fired' | 'Resolved';
  resolvedAt?: string;
  signalType?: string;
  monitoringService?: string;
  configurationItems?: string[];
}

/** Length limits of the alert fields the app keeps (Azure's values are far shorter). */
export const ALERT_FIELD_LIMITS = { alertId: 256, alertRule: 260, alertTargetIDs: 100 } as const;

/** Parses a common alert schema body; throws ValidationError naming every missing or ill-typed field. */
export function parseCommonAlert(body: unknown): CommonAlert {
  if (!isObject(body)) {
    throw new ValidationError([{ path: '(body)', message: 'expected a JSON object' }], 'alert payload');
  }
  const r = new FieldReader(body);
  const schemaId = r.string('schemaId');
  if (schemaId !== undefined && schemaId !== COMMON_ALERT_SCHEMA_ID) {
    r.problem(
      'schemaId',
      `expected "${COMMON_ALERT_SCHEMA_ID}" (enable the common alert schema on the action group)`,
    );
  }
  r.object('data.essentials');
  const alertId = r.string('data.essentials.alertId');
  const rule = r.string('data.essentials.alertRule');
  const severity = r.optionalString('data.essentials.severity');
  const condition = r.string('data.essentials.monitorCondition');
  if (condition !== undefined && condition !== 'Fired' && condition !== 'Resolved') {
    r.problem('data.essentials.monitorCondition', `expected "Fired" or "Resolved", got "${condition}"`);
  }
  const targetResourceIds = r.stringArray('data.essentials.alertTargetIDs');
  const configurationItems = r.optionalStringArray('data.essentials.configurationItems');
  const firedAt = r.string('data.essentials.firedDateTime');
  const resolvedAt = r.optionalString('data.essentials.resolvedDateTime');
  const description = r.optionalString('data.essentials.description');
  const signalType = r.optionalString('data.essentials.signalType');
  const monitoringService = r.optionalString('data.essentials.monitoringService');
  // Read leniently: the alert context varies by monitor, and only availability tests are told apart by it.
  const context = (body as { data?: { alertContext?: unknown } }).data?.alertContext;
  const conditionType =
    isObject(context) && typeof context.conditionType === 'string' ? context.conditionType : undefined;
  // Kept in statuses and the audit log: bounded, like every other input (Azure's are far shorter).
  const bound = (path: string, value: string | undefined, max: number) => {
    if (value !== undefined && value.length > max) r.problem(path, `must be at most ${max} characters`);
  };
  bound('data.essentials.alertId', alertId, ALERT_FIELD_LIMITS.alertId);
  bound('data.essentials.alertRule', rule, ALERT_FIELD_LIMITS.alertRule);
  bound('data.essentials.severity', severity, 20);
  bound('data.essentials.firedDateTime', firedAt, 40);
  bound('data.essentials.monitoringService', monitoringService, 100);
  if (targetResourceIds !== undefined && targetResourceIds.length > ALERT_FIELD_LIMITS.alertTargetIDs) {
    r.problem(
      'data.essentials.alertTargetIDs',
      `must list at most ${ALERT_FIELD_LIMITS.alertTargetIDs} resources`,
    );
  }
  targetResourceIds?.forEach((id, i) => bound(`data.essentials.alertTargetIDs[${i}]`, id, 1000));
  r.throwIfProblems('alert payload');

  const alert: CommonAlert = {
    alertId: alertId as string,
    rule: rule as string,
    monitorCondition: condition as 'Fired' | 'Resolved',
    targetResourceIds: targetResourceIds as string[],
    firedAt: firedAt as string,
    source: alertSourceOf(monitoringService, signalType, conditionType),
  };
  if (severity !== undefined) alert.severity = severity;
  if (description !== undefined) alert.description = description;
  if (resolvedAt !== undefined) alert.resolvedAt = resolvedAt;
  if (signalType !== undefined) alert.signalType = signalType;
  if (monitoringService !== undefined) alert.monitoringService = monitoringService;
  if (configurationItems !== undefined) alert.configurationItems = configurationItems;
  return alert;
}

/** The FiredAlert part of a parsed alert (what the orchestration stores and raises). */
export function toFiredAlert(alert: CommonAlert): FiredAlert {
  const fired: FiredAlert = {
    alertId: alert.alertId,
    rule: alert.rule,
    targetResourceIds: [...alert.targetResourceIds],
    firedAt: alert.firedAt,
  };
  if (alert.severity !== undefined) fired.severity = alert.severity;
  if (alert.description !== undefined) fired.description = alert.description;
  if (alert.monitoringService !== undefined) fired.monitoringService = alert.monitoringService;
  if (alert.source !== undefined) fired.source = alert.source;
  return fired;
}

export { isWithinScope, normalizeResourceId } from '../alerts/policy';

/**
 * Does an alert belong to a target? Yes when its rule name is one of `scope.ruleNames` (case-insensitive),
 * or any of its target resources is, or lies under, one of `scope.resourceIds` (case-insensitive).
 */
export function alertMatchesScope(
  alert: Pick<FiredAlert, 'rule' | 'targetResourceIds'>,
  scope: AlertScope,
): boolean {
  const rule = alert.rule.toLowerCase();
  if (scope.ruleNames.some((name) => name.toLowerCase() === rule)) return true;
  return alert.targetResourceIds.some((target) => scope.resourceIds.some((id) => isWithinScope(target, id)));
}
