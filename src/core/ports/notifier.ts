import type { ReleaseView } from '../domain';

/** What a notification is about. */
export type NotificationKind =
  | 'awaiting-approval'
  /** Traffic moved to the new build; its bake (alert watch) begins. */
  | 'swapped'
  | 'succeeded'
  | 'failed'
  | 'rolled-back'
  | 'rejected'
  | 'expired'
  | 'superseded'
  /** Cancelled on request before its swap (or while queued): production untouched. */
  | 'cancelled'
  /** An alert called for a rollback, but the previous slot has alerts firing too: traffic stayed. */
  | 'rollback-held'
  /** A decided rollback's first attempt failed; it keeps retrying. */
  | 'rollback-retrying'
  /** Zero endpoints were found enabled and the slot that must serve was re-enabled. */
  | 'restored';

/** The notifier: tells people about a release. Failing to notify never fails a release. */
export interface Notifier {
  notify(kind: NotificationKind, release: ReleaseView): Promise<void>;
}

/** Webhook flavours: a Teams Workflows webhook, a Slack incoming webhook, or plain JSON for anything else. */
export type NotifyKind = 'teams' | 'slack' | 'json';

/** The values `NOTIFY_KIND` accepts. */
export const NOTIFY_KINDS: readonly NotifyKind[] = ['teams', 'slack', 'json'];
