import type { OrchestrationContext, Task } from 'durable-functions';
import * as df from 'durable-functions';
import type { TargetFreeze } from '../../domain';
import { Activities } from '../../names';
import type { ReadFreezeInput } from '../contracts';
import { awaited, callActivityWithRetry } from '../calls';
import { causeOf } from '../tracker';

/** How often a held swap reads the freeze again, should the lane's `TargetUnfrozen` never arrive. */
export const FREEZE_RECHECK_MS = 60_000;

/** Reading the lane's status is retried a few times at once (it is a read). */
const READ_RETRY = new df.RetryOptions(1_000, 3);

/** The freeze as read: `null` when not frozen, undefined with `error` when it could not be read. */
export interface FreezeRead {
  freeze: TargetFreeze | null | undefined;
  error?: string;
}

/**
 * Reads the target's freeze from its lane (an activity: the lane's status is outside the orchestration). When it
 * cannot be read the swap must not go ahead on a guess: the caller holds as if frozen and reads again later.
 */
export function* readFreeze(ctx: OrchestrationContext, target: string): Generator<Task, FreezeRead, unknown> {
  const input: ReadFreezeInput = { target };
  try {
    const freeze = yield* awaited(callActivityWithRetry(ctx, Activities.ReadFreeze, READ_RETRY, input));
    return { freeze: freeze ?? null };
  } catch (err) {
    return { freeze: undefined, error: causeOf(err) };
  }
}

/** One line about a freeze holding a swap, for the timeline. */
export function freezeText(target: string, read: FreezeRead): string {
  const f = read.freeze;
  if (!f)
    return `swap held: the freeze of target ${target} could not be read (${read.error ?? 'unknown'}); reading it again`;
  return `swap held: target ${target} frozen by ${f.by}${f.until ? ` until ${f.until}` : ''}: ${f.reason}`;
}
