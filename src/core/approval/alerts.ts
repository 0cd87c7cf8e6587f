/** Approving a swap while alerts fire on the target: the approver must acknowledge them explicitly. */
import type { ReleaseView } from '../domain';
import { HttpError } from '../errors';
import { alertsNeedingAcknowledgement, describeAlerts } from '../orchestration/steps/awaitApproval';

/** Values of `acknowledgeAlerts` that mean yes (JSON `true`, the form checkbox). */
const YES = new Set(['true', 'on', 'yes', '1']);

/**
 * For an approval: the IDs of the firing alerts the approver acknowledges, or undefined when nothing fires.
 * Throws 409 `alerts-not-acknowledged`, naming the alerts, when alerts fire (or could not be listed) and the
 * request does not say `acknowledgeAlerts: true`. A rejection never needs it.
 */
export function acknowledgedAlerts(
  release: ReleaseView,
  decision: 'approve' | 'reject',
  acknowledgeAlerts: string | undefined,
): string[] | undefined {
  if (decision !== 'approve') return undefined;
  const needing = alertsNeedingAcknowledgement(release.alerts?.firing);
  const error = release.alerts?.checkError;
  if (needing.length === 0 && error === undefined) return undefined;
  if (acknowledgeAlerts !== undefined && YES.has(acknowledgeAlerts.trim().toLowerCase())) {
    return needing.map((a) => a.alertId);
  }
  const what =
    needing.length > 0
      ? `${needing.length} alert(s) firing on target ${release.target}: ${describeAlerts(needing)}`
      : `${error} (target ${release.target})`;
  throw new HttpError(
    409,
    'alerts-not-acknowledged',
    `${what}. To swap anyway, approve with acknowledgeAlerts=true (the page's checkbox); nothing was decided`,
  );
}
