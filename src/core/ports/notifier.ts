import type { ReleaseView } from '../domain';

/** What a notification is about. */
export type NotificationKind =
  'awaiting-approval' | 'succeeded' | 'failed' | 'rolled-back' | 'rejected' | 'expired' | 'superseded';

/** The notifier: tells people about a release. Failing to notify never fails a release. */
export interface Notifier {
  notify(kind: NotificationKind, release: ReleaseView): Promise<void>;
}
