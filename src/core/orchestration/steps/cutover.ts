import type { OrchestrationContext, Task } from 'durable-functions';
import type { CutoverObserved, CutoverRecord } from '../../domain';
import { Activities } from '../../names';
import type { CutoverObservation } from '../../ports/cutover';
import { awaited, callActivity } from '../calls';
import type { CutoverAnswer, ObserveCutoverInput, SwapResult } from '../contracts';

/**
 * How long after its write a rollback is watched: past a DNS TTL of a few minutes clients that still
 * have not followed are recorded `not-reached` (the release does not wait longer for a figure).
 */
export const CUTOVER_DEADLINE_MS = 5 * 60_000;

/** Until when a rollback's cutover is watched: CUTOVER_DEADLINE_MS after the newest write. */
export function rollbackDeadline(moves: readonly CutoverMove[]): number {
  return Math.max(...moves.map((m) => Date.parse(m.writtenAt))) + CUTOVER_DEADLINE_MS;
}
/** Waits between questions to the observer: the figure comes from the observer's records, not from these. */
const POLL_MS = [1_000, 2_000, 4_000, 5_000] as const;
/** Consecutive observer failures after which a move is recorded `not-measured`. */
const MAX_ERRORS = 3;

/** One traffic move whose cutover is recorded on `record` (a timeline entry, a manual rollback's result). */
export interface CutoverMove {
  record: CutoverObserved;
  slot: string;
  writtenAt: string;
  /** The next move's write: requests after it do not count. */
  until?: string;
}

/** The move a traffic switch made: from its first write, or the step's start when this attempt wrote nothing. */
export function moveOf(
  record: CutoverObserved & { startedAt?: string },
  slot: string,
  swapped: SwapResult,
  fallback: string,
): CutoverMove {
  return { record, slot, writtenAt: swapped.writtenAt ?? record.startedAt ?? fallback };
}

const done = (r: CutoverRecord | undefined): boolean => !!r && r.state !== 'observing';

function settle(record: CutoverObserved, base: CutoverRecord, answer: CutoverObservation): void {
  switch (answer.state) {
    case 'reached':
      record.cutover = { ...base, state: 'reached', reachedAt: answer.reachedAt };
      record.cutoverObservedMs = Math.max(0, Date.parse(answer.reachedAt) - Date.parse(base.writtenAt));
      return;
    case 'not-reached':
      record.cutover = { ...base, state: 'not-reached', detail: answer.detail };
      return;
    case 'not-measured':
      record.cutover = { ...base, state: 'not-measured', detail: answer.reason };
      return;
    case 'pending':
      record.cutover = { ...base, state: 'observing', detail: answer.detail };
  }
}

/**
 * Records when clients followed traffic moves, after the moves are made and notified: asks the observer
 * (ObserveCutover, read-only) once, then again on durable timers until every move is reached, not reached, or
 * not measurable, or until `deadlineMs` (a deadline already passed: one question). Never part of moving traffic:
 * by the time this runs the swap or rollback is done. Deterministic (times from `currentUtcDateTime` and the
 * activity's answers).
 */
export function* observeCutovers(
  ctx: OrchestrationContext,
  release: { releaseId: string; target: string },
  moves: CutoverMove[],
  deadlineMs: number,
  publish: () => void,
): Generator<Task, void, unknown> {
  if (moves.length === 0) return;
  for (const m of moves) {
    m.record.cutover = { slot: m.slot, writtenAt: m.writtenAt, state: 'observing' };
  }
  publish();
  const deadline = deadlineMs;
  const errors = new Map<CutoverMove, number>();
  for (let turn = 0; ; turn++) {
    const open = moves.filter((m) => !done(m.record.cutover));
    const input: ObserveCutoverInput = {
      ...release,
      moves: open.map((m) => ({
        slot: m.slot,
        since: m.writtenAt,
        ...(m.until ? { until: m.until } : {}),
      })),
    };
    let answers: CutoverAnswer[];
    try {
      answers = yield* awaited(callActivity(ctx, Activities.ObserveCutover, input));
    } catch (err) {
      // The activity itself died: like an observer failure, for every open move.
      const detail = err instanceof Error ? err.message : String(err);
      answers = open.map(() => ({ state: 'error', detail }));
    }
    open.forEach((m, i) => {
      const base: CutoverRecord = { slot: m.slot, writtenAt: m.writtenAt, state: 'observing' };
      const answer = answers[i] ?? { state: 'error', detail: 'no answer from the observer' };
      if (answer.state === 'error') {
        const count = (errors.get(m) ?? 0) + 1;
        errors.set(m, count);
        m.record.cutover = {
          ...base,
          state: count >= MAX_ERRORS ? 'not-measured' : 'observing',
          detail: `observer failed: ${answer.detail}`,
        };
        return;
      }
      errors.delete(m);
      settle(m.record, base, answer);
    });
    const now = ctx.df.currentUtcDateTime.getTime();
    const waiting = moves.filter((m) => !done(m.record.cutover));
    if (waiting.length > 0 && now >= deadline) {
      for (const m of waiting) {
        // An observer that failed last could not tell; one that answered pending saw clients not follow.
        m.record.cutover = {
          ...m.record.cutover!,
          state: errors.has(m) ? 'not-measured' : 'not-reached',
          detail: `not reached by ${new Date(deadline).toISOString()} (${m.record.cutover?.detail ?? 'pending'})`,
        };
      }
    }
    publish();
    if (moves.every((m) => done(m.record.cutover))) return;
    const wait = POLL_MS[Math.min(turn, POLL_MS.length - 1)];
    yield ctx.df.createTimer(new Date(Math.min(deadline, now + wait)));
  }
}
