import type { OrchestrationContext, Task } from 'durable-functions';
import type { AlertAuditRecord } from '../domain';
import { Events, Orchestrations } from '../names';
import { awaited, inputOf, resultOf, untakenEvents, waitForEvent } from './calls';
import type { AlertJournalState } from './contracts';

/** Records kept per target, and for alerts that belong to no target. */
export const JOURNAL_PER_TARGET = 100;

/** Keeps the newest `JOURNAL_PER_TARGET` records of each target (and of alerts matching none), in order. */
export function pruneJournal(records: readonly AlertAuditRecord[]): AlertAuditRecord[] {
  const counts = new Map<string, number>();
  const kept: AlertAuditRecord[] = [];
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i]!;
    const keys = r.targets.length > 0 ? r.targets.map((t) => t.target) : [''];
    if (keys.some((k) => (counts.get(k) ?? 0) < JOURNAL_PER_TARGET)) {
      kept.push(r);
      for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
    }
  }
  return kept.reverse();
}

/** The one event the journal takes. */
const JOURNAL_EVENTS: readonly string[] = [Events.AlertRecorded];

/**
 * The app's alert audit log: appends every delivery raised to it, then `continueAsNew`s with the pruned
 * list, so its history stays one batch long and its input is the log (`GET /api/alerts` reads it).
 */
export function* alertJournalOrchestrator(context: OrchestrationContext): Generator<Task, void, unknown> {
  // Undefined for the first execution when it was started without input.
  const state: AlertJournalState = inputOf(context, Orchestrations.AlertJournal) ?? { records: [] };
  const first = yield* awaited(waitForEvent(context, Events.AlertRecorded));
  const batch = [first];
  let drainsWon = 0;
  // Drain what else arrived: continueAsNew drops events this execution has received but not consumed.
  for (;;) {
    const next = waitForEvent(context, Events.AlertRecorded);
    const drained = context.df.createTimer(context.df.currentUtcDateTime);
    const winner = yield context.df.Task.any([next, drained]);
    if (winner === drained) {
      // Events of this episode's batch behind the timer: continueAsNew would drop them, so take them too.
      // (A second timer winning means the count is off, not that events wait: stop then, as before.)
      if (++drainsWon > 1 || untakenEvents(context, JOURNAL_EVENTS, batch.length) === 0) break;
      continue;
    }
    drained.cancel();
    batch.push(resultOf(next));
  }
  context.df.continueAsNew({
    records: pruneJournal([...state.records, ...batch]),
  } satisfies AlertJournalState);
}
