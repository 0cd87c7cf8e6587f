/**
 * The notifier used when none is configured: each notification becomes a log line (approval links
 * redacted: they are bearer credentials), and it says once, when built, that notifications are off.
 */
import type { ReleaseView } from '../../core/domain';
import type { Logger } from '../../core/log';
import type { NotificationKind, Notifier } from '../../core/ports/notifier';
import { notificationText } from '../http/notifications/message';

/** The log line of one notification, its approval links replaced by a placeholder. */
export function loggedNotification(kind: NotificationKind, release: ReleaseView): string {
  let text = notificationText(kind, release);
  for (const link of [release.approval?.approveUrl, release.approval?.rejectUrl]) {
    if (link) text = text.split(link).join('<approval link>');
  }
  return `notify ${kind}: ${text}`;
}

/** Why no notifier is configured, and which targets that leaves without a way to approve. */
export interface NopNotifierOptions {
  /** Named in the warning, e.g. `NOTIFY_WEBHOOK_URL is not set`. */
  reason: string;
  /** Targets requiring approval that name no approvers: their links reach no one (see factory.ts). */
  unreachableApprovals?: readonly string[];
}

/** A notifier that only logs, warning once (now) that notifications are off. */
export function nopNotifier(log: Logger, options: NopNotifierOptions): Notifier {
  const unreachable = new Set(options.unreachableApprovals ?? []);
  log.warn(`notifications are not configured (${options.reason}): they are only logged`, {
    data: { notifications: 'off', unreachableApprovals: [...unreachable] },
  });
  return {
    async notify(kind, release) {
      const fields = { releaseId: release.id, target: release.target, phase: release.phase };
      log.info(loggedNotification(kind, release), fields);
      if (kind === 'awaiting-approval' && unreachable.has(release.target)) {
        // Not thrown: Notify never fails a release. The release waits and expires, production untouched.
        log.error(
          `release ${release.id} awaits approval but its links reach no one: no notifier is configured and ` +
            `target '${release.target}' names no approvers; set NOTIFY_WEBHOOK_URL or approval.approvers`,
          fields,
        );
      }
    },
  };
}
