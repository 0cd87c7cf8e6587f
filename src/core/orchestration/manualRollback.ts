import type { OrchestrationContext, Task } from 'durable-functions';
import type { ManualRollbackInput, ManualRollbackResult } from './contracts';
import { switchTraffic } from './steps/swap';
import { causeOf } from './tracker';

/**
 * Swaps a succeeded release back, on request, while the previous slot still holds the previous
 * version. The lane runs it only when no other release is running, so it never races a deploy.
 */
export function* manualRollbackOrchestrator(
  context: OrchestrationContext,
): Generator<Task, ManualRollbackResult, unknown> {
  const { request, last } = context.df.getInput<ManualRollbackInput>();
  const base = {
    releaseId: last.releaseId,
    requestedBy: request.requestedBy,
    requestedAt: request.requestedAt,
  };
  context.df.setCustomStatus({ ...base, phase: 'rolling-back' });
  try {
    const swapped = yield* switchTraffic(
      context,
      last.releaseId,
      last.profileId,
      last.previousSlot,
      last.liveSlot,
    );
    return { ...base, ok: true, trafficBackAt: swapped.confirmedAt };
  } catch (err) {
    return { ...base, ok: false, error: causeOf(err) };
  }
}
