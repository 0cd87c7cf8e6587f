import type { OrchestrationContext, Task } from 'durable-functions';
import { retryNotBeforeOf } from '../../errors';
import { awaited, callActivity } from '../calls';
import type { ActivityInput, ActivityName, ActivityOutput } from '../contracts';
import { causeOf } from '../tracker';

/** How long a read step keeps waiting for ARM's Retry-After before it fails the release. */
export const ARM_READ_DEADLINE_MS = 10 * 60_000;

/**
 * Calls an activity whose ARM call may be throttled beyond what an activity sleeps: when it fails carrying
 * `(retry not before <time>)`, waits on a durable timer until then and calls again, as long as that is
 * within `deadlineMs`; any other failure (or one past the deadline) is thrown as before.
 */
export function* callArm<N extends ActivityName>(
  ctx: OrchestrationContext,
  activity: N,
  input: ActivityInput<N>,
  deadlineMs: number,
): Generator<Task, ActivityOutput<N>, unknown> {
  for (;;) {
    try {
      return yield* awaited(callActivity(ctx, activity, input));
    } catch (err) {
      const notBefore = retryNotBeforeOf(causeOf(err));
      if (notBefore === undefined || notBefore > deadlineMs) throw err;
      yield ctx.df.createTimer(new Date(notBefore));
    }
  }
}
