import type { OrchestrationContext, Task } from 'durable-functions';
import { Activities } from '../../names';
import type { ReleaseInput, ResolvedSlots, VerifyResult, VerifySlotInput } from '../contracts';
import type { ReleaseTracker } from '../tracker';

/** Longest wait between two health probes. */
const MAX_BACKOFF_SECONDS = 60;

/**
 * Probes the staging slot until it is healthy and reports the new version, with exponential backoff
 * on durable timers (a crash between attempts resumes the count). Returns false after the last attempt.
 */
export function* verify(
  ctx: OrchestrationContext,
  input: ReleaseInput,
  r: ReleaseTracker,
  slots: ResolvedSlots,
): Generator<Task, boolean, unknown> {
  const { target, build, releaseId } = input;
  const slot = target.slots.find((s) => s.name === slots.staging)!;
  const { attempts, intervalSeconds } = target.health;
  r.phase('verifying', 'verify', `slot ${slot.name}`);
  let last: VerifyResult | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const probeInput: VerifySlotInput = {
      releaseId,
      target,
      build,
      slot,
      endpointTarget: slots.endpointTargets[slot.name],
    };
    last = (yield ctx.df.callActivity(Activities.VerifySlot, probeInput)) as VerifyResult;
    r.view.verify = {
      url: last.url,
      version: last.version,
      attempts: attempt,
      ok: last.ok,
      detail: last.detail,
    };
    r.publish();
    if (last.ok) {
      r.end('ok', `${last.detail} after ${attempt} attempt(s)`);
      return true;
    }
    if (attempt < attempts) {
      const delay = Math.min(intervalSeconds * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS);
      yield ctx.df.createTimer(new Date(r.nowMs() + delay * 1000));
    }
  }
  r.fail({
    step: 'verify',
    resource: last?.url ?? `slot ${slot.name}`,
    message: `staging did not pass its health check after ${attempts} attempt(s): ${last?.detail ?? 'no probe ran'}`,
  });
  return false;
}
