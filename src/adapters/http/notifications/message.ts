import type { ReleaseView } from '../../../core/domain';
import type { NotificationKind } from '../../../core/ports/notifier';

/** A link shown as a button: approve and reject on approval requests. */
export interface NotificationAction {
  title: string;
  url: string;
  style: 'positive' | 'destructive';
}

/** What every notification says, before a webhook kind shapes it. */
export interface NotificationMessage {
  title: string;
  /** One readable line, also the fallback text of cards. */
  text: string;
  facts: [name: string, value: string][];
  /** The release's warnings (e.g. mixed versions), one message each. */
  warnings: string[];
  actions: NotificationAction[];
}

/** One readable line per notification, followed by the warnings the release goes on with. */
export function notificationText(kind: NotificationKind, r: ReleaseView): string {
  const warnings = (r.warnings ?? []).map((w) => ` Warning (${w.code}): ${w.message}.`).join('');
  return `${headline(kind, r)}${warnings}`;
}

/** Who must decide, when the target says: ` (2 approvals from alice@…, bob@…)`. */
function approvalNeeds(r: ReleaseView): string {
  const a = r.approval;
  const n = a?.minApprovers ?? 1;
  if (a === undefined || (!a.approvers?.length && n <= 1)) return '';
  const from = a.approvers?.length ? ` from ${a.approvers.join(', ')}, signed in` : '';
  return ` (${n} approval${n === 1 ? '' : 's'}${from})`;
}

/** The notification's line without the warnings (cards show those on their own). */
export function headline(kind: NotificationKind, r: ReleaseView): string {
  const what = `${r.target} build ${r.build.number} (${r.id})`;
  switch (kind) {
    case 'awaiting-approval':
      return `${what} is on ${r.stagingSlot} and awaits approval until ${r.approval?.expiresAt}${approvalNeeds(r)}: ${r.approval?.approveUrl}`;
    case 'swapped':
      return `${what} is live on ${r.liveSlot}; ${r.productionSlot} still holds the previous build. The bake watches alerts now; to roll back by hand: POST /api/releases/${r.id}/rollback`;
    case 'rolled-back': {
      const rb = r.rollback;
      const why =
        rb?.trigger === 'manual'
          ? `manual, requested by ${rb.requestedBy ?? 'someone'}${rb.reason ? `: ${rb.reason}` : ''}`
          : `${rb?.trigger}${rb?.alert ? `: ${rb.alert.rule}` : ''}`;
      return `${what} was rolled back (${why}); traffic is on ${r.liveSlot} again`;
    }
    case 'cancelled': {
      const c = r.cancellation;
      const where = c?.phase === 'queued' ? 'while queued' : `while ${c?.phase ?? 'running'}`;
      return `${what} was cancelled ${where} by ${c?.requestedBy ?? 'someone'}: ${c?.reason ?? ''}; production is untouched${r.productionSlot ? ` on ${r.productionSlot}` : ''}`;
    }
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

const TITLES: Record<NotificationKind, string> = {
  'awaiting-approval': 'Approval needed',
  swapped: 'Release live',
  succeeded: 'Release succeeded',
  failed: 'Release failed',
  'rolled-back': 'Release rolled back',
  rejected: 'Release rejected',
  expired: 'Approval expired',
  superseded: 'Release superseded',
  cancelled: 'Release cancelled',
  'rollback-held': 'Rollback held',
  'rollback-retrying': 'Rollback retrying',
  restored: 'Traffic restored',
};

/** The content of a notification; approval requests carry their links as actions. */
export function notificationMessage(kind: NotificationKind, r: ReleaseView): NotificationMessage {
  const facts: [string, string][] = [
    ['Target', r.target],
    ['Build', `${r.build.number} (${r.build.pipeline})`],
    ['Release', r.id],
    ['Status', r.status],
  ];
  if (r.liveSlot) facts.push(['Live slot', r.liveSlot]);
  if (kind === 'awaiting-approval' && r.approval?.expiresAt) facts.push(['Expires', r.approval.expiresAt]);
  if (r.error) facts.push(['Error', `${r.error.step} on ${r.error.resource}: ${r.error.message}`]);
  const actions: NotificationAction[] = [];
  if (kind === 'awaiting-approval') {
    if (r.approval?.approveUrl)
      actions.push({ title: 'Approve', url: r.approval.approveUrl, style: 'positive' });
    if (r.approval?.rejectUrl)
      actions.push({ title: 'Reject', url: r.approval.rejectUrl, style: 'destructive' });
  }
  return {
    title: `${TITLES[kind]}: ${r.target} ${r.build.number}`,
    text: headline(kind, r),
    facts,
    warnings: (r.warnings ?? []).map((w) => w.message),
    actions,
  };
}
