import type { ReleaseView } from '../../core/domain';
import type { Logger } from '../../core/log';
import {
  NOTIFY_KINDS,
  type NotificationKind,
  type Notifier,
  type NotifyKind,
} from '../../core/ports/notifier';
import type { Problem } from '../../core/errors';
import type { NotifierProvider } from '../notifiers/factory';
import { loggedNotification } from '../notifiers/nop';
import { notificationMessage, notificationText } from './notifications/message';
import { slackPayload } from './notifications/slack';
import { teamsPayload } from './notifications/teams';

export { notificationText } from './notifications/message';

export { NOTIFY_KINDS, type NotifyKind } from '../../core/ports/notifier';

/** The JSON posted to a plain (`json`) webhook. */
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

/**
 * The kind a webhook URL belongs to when `NOTIFY_KIND` is unset: Slack incoming webhooks live on
 * hooks.slack.com; Teams Workflows webhooks are Power Automate / Logic Apps trigger URLs.
 */
export function detectNotifyKind(url: string): NotifyKind {
  const host = new URL(url).hostname.toLowerCase();
  if (host === 'hooks.slack.com') return 'slack';
  if (
    host.endsWith('.logic.azure.com') ||
    host.endsWith('.powerplatform.com') ||
    host.endsWith('.powerautomate.com')
  ) {
    return 'teams';
  }
  return 'json';
}

/** The plain JSON body: the line of text and the release's facts, links for approval requests. */
export function jsonPayload(kind: NotificationKind, release: ReleaseView): NotificationBody {
  return {
    kind,
    text: notificationText(kind, release),
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
}

/** The body a webhook of `kind` expects for this notification. */
export function webhookPayload(
  notifyKind: NotifyKind,
  kind: NotificationKind,
  release: ReleaseView,
): unknown {
  switch (notifyKind) {
    case 'teams':
      return teamsPayload(notificationMessage(kind, release));
    case 'slack':
      return slackPayload(notificationMessage(kind, release));
    default:
      return jsonPayload(kind, release);
  }
}

/** Where notifications go: a webhook URL and, optionally, its kind (detected from the URL otherwise). */
export interface NotifierOptions {
  url?: string;
  kind?: NotifyKind;
}

/**
 * Posts notifications to a webhook in the shape its kind expects; without a URL it only writes them to the
 * log (the no-op notifier).
 */
export function createNotifier(options: NotifierOptions | string | undefined, log: Logger): Notifier {
  const { url, kind } = typeof options === 'object' ? options : { url: options };
  const notifyKind = url ? (kind ?? detectNotifyKind(url)) : undefined;
  return {
    async notify(kind, release) {
      // The approval links are bearer credentials: they go to the webhook, never to the logs.
      log.info(loggedNotification(kind, release), {
        releaseId: release.id,
        target: release.target,
        phase: release.phase,
      });
      if (!url || !notifyKind) return;
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(webhookPayload(notifyKind, kind, release)),
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok)
        throw new Error(`notification webhook answered HTTP ${res.status} (NOTIFY_KIND ${notifyKind})`);
    },
  };
}

/** Whether `value` is an absolute http(s) URL. */
function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

/** The webhook notifier, selected by NOTIFY_WEBHOOK_URL (its shape by NOTIFY_KIND or the URL). */
export const webhookNotifierProvider: NotifierProvider = {
  name: 'webhook',
  configured: (s) => s.notifyWebhookUrl !== undefined,
  problems(s) {
    const problems: Problem[] = [];
    if (s.notifyWebhookUrl !== undefined && !isHttpUrl(s.notifyWebhookUrl))
      problems.push({ path: 'NOTIFY_WEBHOOK_URL', message: 'must be an absolute http(s) URL' });
    if (s.notifyKind !== undefined && !NOTIFY_KINDS.includes(s.notifyKind as NotifyKind))
      problems.push({ path: 'NOTIFY_KIND', message: `must be one of ${NOTIFY_KINDS.join(', ')}` });
    return problems;
  },
  create: (s, log) =>
    createNotifier(
      {
        ...(s.notifyWebhookUrl !== undefined ? { url: s.notifyWebhookUrl } : {}),
        ...(s.notifyKind !== undefined ? { kind: s.notifyKind as NotifyKind } : {}),
      },
      log,
    ),
};
