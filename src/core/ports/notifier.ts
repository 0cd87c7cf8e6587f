import type { ReleaseView } from '../domain';

/** What a notification is about. */
export type NotificationKind =
  | 'awaiting-approval'
  | 'succeeded'
  | 'failed'
  | 'rolled-back'
  | 'rejected'
  | 'expired'
  | 'superseded'
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
