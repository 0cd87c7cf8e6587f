import type { ReleaseView } from '../../core/domain';
import type { Logger } from '../../core/log';
import type { NotificationKind, Notifier } from '../../core/ports/notifier';

/** The JSON posted to `NOTIFY_WEBHOOK_URL`; `text` suits Teams/Slack incoming webhooks as-is. */
export interface NotificationBody {
  kind: NotificationKind;
  text: string;
  release: Pick<
    ReleaseView,
    | 'id'
    | 'target'
    | 'status'
    | 'phase'
    | 'build'
    | 'productionSlot'
    | 'stagingSlot'
    | 'liveSlot'
    | 'rollback'
    | 'error'
    | 'warnings'
  > & { approveUrl?: string; rejectUrl?: string; expiresAt?: string };
}

/** One readable line per notification, followed by the warnings the release goes on with. */
export function notificationText(kind: NotificationKind, r: ReleaseView): string {
  const warnings = (r.warnings ?? []).map((w) => ` Warning (${w.code}): ${w.message}.`).join('');
  return `${headline(kind, r)}${warnings}`;
}

function headline(kind: NotificationKind, r: ReleaseView): string {
  const what = `${r.target} build ${r.build.number} (${r.id})`;
  switch (kind) {
    case 'awaiting-approval':
      return `${what} is on ${r.stagingSlot} and awaits approval until ${r.approval?.expiresAt}: ${r.approval?.approveUrl}`;
    case 'rolled-back':
      return `${what} was rolled back (${r.rollback?.trigger}${r.rollback?.alert ? `: ${r.rollback.alert.rule}` : ''}); traffic is on ${r.liveSlot} again`;
    case 'rollback-held':
      return `${what}: ${r.alerts?.rollbackHeld?.reason ?? 'rollback held'}; traffic stays on ${r.liveSlot}. Roll back by hand if wanted: POST /api/releases/${r.id}/rollback`;
    case 'rollback-retrying':
      return `${what}: rolling back to ${r.productionSlot} failed (attempt ${r.rollback?.attempts}: ${r.rollback?.lastError}); retrying until it succeeds, next at ${r.rollback?.nextAttemptAt}`;
    case 'restored': {
      const restored = [...r.timeline].reverse().find((t) => t.step === 'restored');
      return `${r.target}: zero Traffic Manager endpoints were enabled (${restored?.detail ?? 'after a concurrent change'}); ${r.liveSlot} was re-enabled (${r.id})`;
    }
    case 'failed':
      return `${what} failed at ${r.error?.step} on ${r.error?.resource}: ${r.error?.message}`;
    default:
      return `${what} ended ${r.status}`;
  }
}

/** Posts notifications to a webhook; without one, writes them to the log. */
export function createNotifier(webhookUrl: string | undefined, log: Logger): Notifier {
  return {
    async notify(kind, release) {
      const text = notificationText(kind, release);
      // The approval link is a bearer credential: it goes to the webhook, never to the logs.
      const link = release.approval?.approveUrl;
      const logged = link ? text.replace(link, '<approval link>') : text;
      log.info(`notify ${kind}: ${logged}`, {
        releaseId: release.id,
        target: release.target,
        phase: release.phase,
      });
      if (!webhookUrl) return;
      const body: NotificationBody = {
        kind,
        text,
        release: {
          id: release.id,
          target: release.target,
          status: release.status,
          phase: release.phase,
          build: release.build,
          productionSlot: release.productionSlot,
          stagingSlot: release.stagingSlot,
          liveSlot: release.liveSlot,
          rollback: release.rollback,
          error: release.error,
          ...(release.warnings?.length ? { warnings: release.warnings } : {}),
          ...(kind === 'awaiting-approval'
            ? {
                approveUrl: release.approval?.approveUrl,
                rejectUrl: release.approval?.rejectUrl,
                expiresAt: release.approval?.expiresAt,
              }
            : {}),
        },
      };
      const res = await fetch(webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`notification webhook answered HTTP ${res.status}`);
    },
  };
}
