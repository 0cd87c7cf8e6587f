import type { OrchestrationContext, Task } from 'durable-functions';
import { alertKey } from '../../alerts/policy';
import type { AlertBrief } from '../../domain';
import { Activities, Events } from '../../names';
import type {
  ApprovalDecisionEvent,
  ApprovalLinks,
  FiringAlertsInput,
  IssueLinksInput,
  NotifyInput,
  ReleaseInput,
} from '../contracts';
import { causeOf, type ReleaseTracker } from '../tracker';
import type { NewerBuildWatch } from './supersede';

/** How the approval wait ended; `failed`: alerts firing on a target without approval (the release has failed). */
export type ApprovalOutcome = 'approved' | 'rejected' | 'expired' | 'superseded' | 'failed';

/** Firing alerts a status shows (custom status is capped at 16 KB): those that act first. */
const MAX_FIRING_SHOWN = 6;

/** The alerts a swap must be acknowledged for: those that would act, firing now. */
export function alertsNeedingAcknowledgement(firing: readonly AlertBrief[] | undefined): AlertBrief[] {
  return (firing ?? []).filter((a) => a.acts);
}

/** One line naming alerts, for messages: `rule (Sev1, slot blue, fired 2026-...)`. */
export function describeAlerts(alerts: readonly AlertBrief[]): string {
  return alerts
    .map(
      (a) =>
        `${a.rule} (${a.severity ?? 'no severity'}, ${a.slots.length ? `slot ${a.slots.join('+')}` : 'shared resources'}, fired ${a.firedAt})`,
    )
    .join('; ');
}

/**
 * Lists the alerts firing on the target now (its shared resources and both slots) into the status. Returns
 * the alerts that need acknowledging, or an error text when they could not be listed (then the swap needs
 * an explicit decision too: nobody knows what is firing).
 */
function* checkFiring(
  ctx: OrchestrationContext,
  input: ReleaseInput,
  r: ReleaseTracker,
): Generator<Task, { needing: AlertBrief[]; error?: string }, unknown> {
  const query: FiringAlertsInput = { target: input.target };
  const alerts = (r.view.alerts ??= {});
  try {
    const firing = (yield ctx.df.callActivity(Activities.FiringAlerts, query)) as AlertBrief[];
    const ordered = [...firing.filter((a) => a.acts), ...firing.filter((a) => !a.acts)];
    alerts.firing = ordered.slice(0, MAX_FIRING_SHOWN);
    alerts.firingTotal = firing.length;
    alerts.checkedAt = r.now();
    delete alerts.checkError;
    r.publish();
    return { needing: alertsNeedingAcknowledgement(firing) };
  } catch (err) {
    alerts.firing = [];
    alerts.firingTotal = 0;
    alerts.checkedAt = r.now();
    alerts.checkError = `firing alerts could not be listed: ${causeOf(err)}`;
    r.publish();
    return { needing: [], error: alerts.checkError };
  }
}

/**
 * True when an approval acknowledged the firing alerts of its round (or none needs it). The round's token binds the
 * acknowledgement to what this round listed; the IDs the page sent are informational (a status abridged to fit its
 * size cap may show fewer), so this release's own list counts.
 */
function acknowledges(d: ApprovalDecisionEvent, needing: readonly AlertBrief[], error?: string): boolean {
  if (needing.length === 0 && error === undefined) return true;
  return d.acknowledgedAlerts !== undefined;
}

/**
 * Waits for a decision on signed links, raced against a durable timer and a newer build.
 * The first valid decision of the current round wins, which makes every link single-use.
 */
export function* awaitApproval(
  ctx: OrchestrationContext,
  input: ReleaseInput,
  r: ReleaseTracker,
  watch: NewerBuildWatch,
): Generator<Task, ApprovalOutcome, unknown> {
  const policy = input.target.approval;
  let check = yield* checkFiring(ctx, input, r);
  if (!policy.required) {
    if (check.needing.length > 0 || check.error !== undefined) {
      // Nobody is asked on this target, so nobody can acknowledge: the release stops before the swap.
      const why =
        check.error ?? `alerts firing on target ${input.target.name}: ${describeAlerts(check.needing)}`;
      r.fail({
        step: 'approval',
        resource: `target ${input.target.name}`,
        message: `${why}; approval.required is false, so nobody can acknowledge them: not swapped, production untouched`,
      });
      return 'failed';
    }
    r.view.approval = { required: false, decision: 'auto-approved', decidedAt: r.now() };
    r.mark('approval', r.now(), r.now(), 'ok', 'not required for this target');
    return 'approved';
  }

  const expiresAt = new Date(r.nowMs() + policy.timeoutSeconds * 1000);
  const allowed = policy.approvers?.map((a) => a.toLowerCase());
  let round = '';
  let roundNo = 0;
  /** Opens an approval round: new links (tokens of any other round are refused), shown and notified. */
  function* ask(): Generator<Task, void, unknown> {
    round = ctx.df.newGuid(`${input.releaseId}:approval${roundNo === 0 ? '' : `:${roundNo}`}`);
    roundNo++;
    const linksInput: IssueLinksInput = {
      releaseId: input.releaseId,
      round,
      expiresAt: expiresAt.toISOString(),
    };
    const links = (yield ctx.df.callActivity(Activities.IssueApprovalLinks, linksInput)) as ApprovalLinks;
    // The phase and its links appear together: whoever sees awaiting-approval can act on it.
    r.view.approval = { required: true, ...links, expiresAt: expiresAt.toISOString() };
    if (r.view.phase === 'awaiting-approval') r.publish();
    else r.phase('awaiting-approval', 'approval');
    const notice: NotifyInput = { kind: 'awaiting-approval', release: r.view };
    yield ctx.df.callActivity(Activities.Notify, notice);
  }
  yield* ask();

  for (;;) {
    // Fresh tasks every turn: re-yielding a pending task would schedule it twice.
    const decision = ctx.df.waitForExternalEvent(Events.ApprovalDecision);
    const newer = watch.wait();
    const timeout = ctx.df.createTimer(expiresAt);
    const winner = yield ctx.df.Task.any([decision, newer, timeout]);
    // A newer build may also have reached an earlier wait (while an activity ran): it wins over a decision.
    const newerBuild = watch.arrived();

    if (winner === timeout && !newerBuild) {
      r.view.approval = { required: true, decision: 'expired', decidedAt: r.now() };
      r.finish('Expired', 'expired');
      return 'expired';
    }
    timeout.cancel();
    if (newerBuild) {
      const by = newerBuild.releaseId;
      r.view.approval = { required: true, decision: 'superseded', decidedAt: r.now() };
      r.view.supersededBy = by;
      r.finish('Superseded', 'superseded');
      return 'superseded';
    }
    const d = decision.result as ApprovalDecisionEvent;
    if (d.round !== round) continue; // a token of an earlier round: not for this wait
    if (allowed && !allowed.includes(d.approver.toLowerCase())) continue; // the handler refuses these too
    const approved = d.decision === 'approve';
    if (approved && !acknowledges(d, check.needing, check.error)) continue; // refused by the handler too
    if (approved) {
      // Alerts may have started firing since the page was shown: the approver must have seen every one.
      const shown = check;
      const acked = new Set(shown.needing.map((a) => alertKey(a.alertId)));
      check = yield* checkFiring(ctx, input, r);
      const unseen = check.needing.filter((a) => !acked.has(alertKey(a.alertId)));
      if (check.error !== undefined && shown.error === undefined && shown.needing.length === 0) {
        // The first check found nothing and this one failed: the approver decided on what could be known.
        check = { needing: [] };
      } else if (unseen.length > 0) {
        r.view.timeline.push({
          step: 'approval-again',
          startedAt: r.now(),
          endedAt: r.now(),
          durationMs: 0,
          outcome: 'skipped',
          detail: `approved by ${d.approver}, but alerts started firing since: ${describeAlerts(unseen)}; asking again`,
        });
        yield* ask();
        continue;
      }
      if (d.acknowledgedAlerts !== undefined && (shown.needing.length > 0 || shown.error !== undefined)) {
        r.view.alerts = {
          ...r.view.alerts,
          acknowledged: { by: d.approver, alertIds: shown.needing.map((a) => a.alertId), at: d.at },
        };
      }
    }
    r.view.approval = {
      required: true,
      decision: approved ? 'approved' : 'rejected',
      approver: d.approver,
      ...(d.comment ? { comment: d.comment } : {}),
      decidedAt: d.at,
      decisionId: d.requestId,
    };
    if (!approved) {
      r.finish('Rejected', 'rejected');
      return 'rejected';
    }
    const ack = r.view.alerts?.acknowledged;
    r.end(
      'ok',
      `approved by ${d.approver}${ack ? ` with ${ack.alertIds.length} firing alert(s) acknowledged` : ''}`,
    );
    return 'approved';
  }
}
