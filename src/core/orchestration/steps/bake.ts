import type { OrchestrationContext, Task } from 'durable-functions';
import {
  onBakeAlert,
  rememberActed,
  type BakeAlertState,
  type BakeWindow,
  type HeldRollback,
} from '../../alerts/policy';
import type { AlertDecisionRecord, FiredAlert } from '../../domain';
import { Activities, Events } from '../../names';
import type { NotifyInput, ReleaseInput, RollbackRequest } from '../contracts';
import type { ReleaseTracker } from '../tracker';
import { callActivity, resultOf, waitForEvent } from '../calls';

/** Alert decisions a release shows (custom status is capped at 16 KB); the audit log keeps more. */
const MAX_DECISIONS_SHOWN = 6;

/** Why a bake ended in a rollback. `firedInBake`: the alert fired inside the bake, so its latency means something. */
export type RollbackCause =
  | { trigger: 'alert'; alert: FiredAlert; receivedAt: string; firedInBake: boolean }
  | { trigger: 'manual'; request: RollbackRequest };

/**
 * Watches the target's alerts for the bake duration: alert webhooks (judged by the target's alert policy,
 * one delivery at a time) and manual rollback requests. Returns the cause of a rollback, or undefined when
 * the bake ends without one (also when a rollback was held because the previous slot is alerting too).
 */
export function* bake(
  ctx: OrchestrationContext,
  input: ReleaseInput,
  r: ReleaseTracker,
): Generator<Task, RollbackCause | undefined, unknown> {
  const startedAt = r.now();
  const bakeEnd = new Date(r.nowMs() + input.target.bakeSeconds * 1000);
  const swap = r.view.timeline.filter((t) => t.step === 'swap').at(-1);
  const window: BakeWindow = {
    liveSlot: r.view.stagingSlot!,
    idleSlot: r.view.productionSlot!,
    swapAt: swap?.startedAt ?? startedAt,
    startedAt,
    endsAt: bakeEnd.toISOString(),
  };
  const alerts = (r.view.alerts ??= {});
  alerts.bake = { swapAt: window.swapAt, startedAt, endsAt: window.endsAt };
  alerts.acted ??= [];
  // Alerts that were firing on the previous production slot before the swap still make it unsafe to return to.
  const prior = rememberActed(input.actedAlerts ?? [], []);
  let state: BakeAlertState = {
    acted: prior,
    idleFiring: (alerts.firing ?? []).filter((a) => a.acts && a.slots.includes(window.idleSlot)),
  };
  r.phase('baking', 'bake', `until ${window.endsAt}`);

  for (;;) {
    // Fresh tasks every turn (a re-yielded task would be scheduled twice); same deadline each time.
    const alert = waitForEvent(ctx, Events.AlertFired);
    const manual = waitForEvent(ctx, Events.RollbackRequested);
    const done = ctx.df.createTimer(bakeEnd);
    const winner = yield ctx.df.Task.any([alert, manual, done]);
    if (winner === done) {
      const held = alerts.rollbackHeld;
      if (held) r.end('failed', `${held.reason}; traffic stayed on ${window.liveSlot}`);
      else r.end('ok');
      return undefined;
    }
    done.cancel();
    if (winner === manual) {
      const request = resultOf(manual);
      r.end(
        'failed',
        `rollback requested by ${request.requestedBy}${request.reason ? `: ${request.reason}` : ''}`,
      );
      return { trigger: 'manual', request };
    }

    const step = onBakeAlert(state, resultOf(alert), input.target.alerts, window);
    state = step.state;
    record(alerts, step.decision, state, prior);
    if (step.effect === 'hold') {
      alerts.rollbackHeld = {
        alertId: step.decision.alertId,
        rule: step.decision.rule,
        reason: step.decision.reason,
        at: r.now(),
      };
      r.publish();
      // The on-call engineer decides: the status and this notice say why traffic stayed.
      const notice: NotifyInput = { kind: 'rollback-held', release: r.view };
      yield callActivity(ctx, Activities.Notify, notice);
      continue;
    }
    r.publish();
    if (step.effect === 'rollback') return rollbackFor(r, step.rollbackFor!);
  }
}

function record(
  alerts: NonNullable<ReleaseTracker['view']['alerts']>,
  decision: AlertDecisionRecord,
  state: BakeAlertState,
  prior: readonly string[],
): void {
  alerts.decisions = [...(alerts.decisions ?? []), decision].slice(-MAX_DECISIONS_SHOWN);
  // Only what acted during this release: the lane adds it to what it remembers.
  alerts.acted = state.acted.filter((k) => !prior.includes(k));
}

function rollbackFor(r: ReleaseTracker, held: HeldRollback): RollbackCause {
  if (r.view.alerts?.rollbackHeld) r.view.alerts.rollbackHeld = undefined;
  r.end('failed', `alert fired: ${held.alert.rule}`);
  return { trigger: 'alert', alert: held.alert, receivedAt: held.receivedAt, firedInBake: held.firedInBake };
}
