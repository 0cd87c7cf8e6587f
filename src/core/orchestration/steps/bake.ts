import type { OrchestrationContext, Task } from 'durable-functions';
import type { FiredAlert } from '../../domain';
import { Activities, Events } from '../../names';
import type { AlertFiredEvent, FiringAlertsInput, ReleaseInput, RollbackRequest } from '../contracts';
import type { ReleaseTracker } from '../tracker';

/** Why a bake ended in a rollback. */
export type RollbackCause =
  | { trigger: 'alert' | 'alert-at-bake-start'; alert: FiredAlert; receivedAt: string }
  | { trigger: 'manual'; request: RollbackRequest };

/**
 * Watches the target's alerts for the bake duration: alerts already firing at bake start, alert
 * webhooks, and manual rollback requests. Returns the cause of a rollback, or undefined for a clean bake.
 */
export function* bake(
  ctx: OrchestrationContext,
  input: ReleaseInput,
  r: ReleaseTracker,
): Generator<Task, RollbackCause | undefined, unknown> {
  const bakeEnd = new Date(r.nowMs() + input.target.bakeSeconds * 1000);
  r.phase('baking', 'bake', `until ${bakeEnd.toISOString()}`);

  // A stateful alert that fired before the swap does not notify again: ask for what is firing now.
  const scope: FiringAlertsInput = { target: input.target };
  const firing = (yield ctx.df.callActivity(Activities.FiringAlerts, scope)) as FiredAlert[];
  if (firing.length > 0) {
    r.end('failed', `alert already firing at bake start: ${firing[0]!.rule}`);
    return { trigger: 'alert-at-bake-start', alert: firing[0]!, receivedAt: r.now() };
  }

  for (;;) {
    // Fresh tasks every turn (a re-yielded task would be scheduled twice); same deadline each time.
    const alert = ctx.df.waitForExternalEvent(Events.AlertFired);
    const manual = ctx.df.waitForExternalEvent(Events.RollbackRequested);
    const done = ctx.df.createTimer(bakeEnd);
    const winner = yield ctx.df.Task.any([alert, manual, done]);
    if (winner === done) {
      r.end('ok');
      return undefined;
    }
    done.cancel();
    if (winner === manual) {
      const request = manual.result as RollbackRequest;
      r.end('failed', `rollback requested by ${request.requestedBy}`);
      return { trigger: 'manual', request };
    }
    const event = alert.result as AlertFiredEvent;
    r.end('failed', `alert fired: ${event.alert.rule}`);
    return { trigger: 'alert', alert: event.alert, receivedAt: event.receivedAt };
  }
}
