/**
 * What the console (web page) and the CLI both show about releases and targets, computed from the status
 * documents the API serves: which statuses are final, what an operator may do next, durations.
 */
import type { ReleaseStatus, ReleaseView } from '../domain';

/** Every release status, in the order the filters list them: the list API's own. */
export { RELEASE_STATUSES } from '../api/query';

/** True once the release can change no more (anything but Queued and Running). */
export function isFinal(status: ReleaseStatus): boolean {
  return status !== 'Queued' && status !== 'Running';
}

/**
 * True once nothing more will happen to the release: its status is final and no manual rollback of it is under
 * way (a Succeeded release being rolled back reads `rolling-back` until traffic is back, then RolledBack).
 */
export function hasEnded(view: Pick<ReleaseView, 'status' | 'phase'>): boolean {
  return isFinal(view.status) && view.phase !== 'rolling-back';
}

/**
 * The CLI's exit code for a release that ended with `status`: 0 only for Succeeded, so a pipeline step
 * that waits on `release watch` fails on anything else. Documented in the README's CLI section.
 */
export const EXIT_CODES: Readonly<Record<ReleaseStatus, number>> = Object.freeze({
  Succeeded: 0,
  Failed: 10,
  RolledBack: 11,
  Rejected: 12,
  Expired: 13,
  Superseded: 14,
  // Not final: `watch` never exits with these; `show` does (the release has not ended yet).
  Running: 20,
  Queued: 21,
});

/** The actions the console offers on a release in its current state (the server decides again on POST). */
export interface ReleaseActions {
  approve: boolean;
  reject: boolean;
  rollback: boolean;
}

/**
 * What an operator may ask for now: decide while it awaits approval (only reject while a freeze holds its swap); roll
 * back while baking or after success.
 */
export function releaseActions(view: ReleaseView): ReleaseActions {
  const awaiting = view.status === 'Running' && view.phase === 'awaiting-approval';
  return {
    // A swap held by a freeze has its approvals; more would be refused until the target is unfrozen.
    approve: awaiting && !view.freeze,
    reject: awaiting,
    rollback:
      (view.status === 'Running' && view.phase === 'baking') ||
      (view.status === 'Succeeded' && view.phase !== 'rolling-back'),
  };
}

/** A duration for people: `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 03 min`. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 3600) {
    return `${Math.floor(totalSeconds / 60)} min ${String(totalSeconds % 60).padStart(2, '0')} s`;
  }
  const minutes = Math.round(totalSeconds / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** Milliseconds a step has run: to its end, else to `now` while it runs. */
export function stepElapsed(
  entry: { startedAt: string; endedAt?: string; durationMs?: number },
  now: Date,
): number {
  if (entry.durationMs !== undefined) return entry.durationMs;
  const end = entry.endedAt ? Date.parse(entry.endedAt) : now.getTime();
  return Math.max(0, end - Date.parse(entry.startedAt));
}

/** One line about where the release is, for headings and the CLI's first line. */
export function statusLine(view: ReleaseView): string {
  const phase = view.phase === 'done' || view.status === 'Queued' ? '' : ` (${view.phase})`;
  const live = view.liveSlot ? `; traffic on ${view.liveSlot}` : '';
  return `${view.status}${phase}${live}`;
}
