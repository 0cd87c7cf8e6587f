import type { OrchestrationContext, Task } from 'durable-functions';
import { alertKey } from '../../alerts/policy';
import { approverKey, decisionCounts, type Decider } from '../../approval/policy';
import type { AlertBrief, ApprovalView, ApprovalVote } from '../../domain';
import { Activities, Events } from '../../names';
import type {
  ApprovalDecisionEvent,
  FiringAlertsInput,
  IssueLinksInput,
  NotifyInput,
  ReleaseInput,
} from '../contracts';
import { causeOf, type ReleaseTracker } from '../tracker';
import { atLeast, OrchestrationVersions } from '../version';
import { readFreeze, freezeText, FREEZE_RECHECK_MS } from './freeze';
import type { NewerBuildWatch } from './supersede';
import { awaited, callActivity, resultOf, waitForEvent, type TypedTask } from '../calls';

/** How the approval wait ended; `failed`: alerts firing on a target without approval (the release has failed). */
export type ApprovalOutcome = 'approved' | 'rejected' | 'expired' | 'superseded' | 'cancelled' | 'failed';

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
    const firing = yield* awaited(callActivity(ctx, Activities.FiringAlerts, query));
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
 * Waits for decisions on signed links (or from signed-in approvers), raced against a durable timer and a newer
 * build. Each decision is checked against the target's policy again (approver list, self-approval); one reject by
 * someone who may decide ends the release; approvals count once per approver until `minApprovers` distinct ones
 * agree. The links go to the notifier only: the status shows the round, who may decide and the approvals so far.
 */
export function* awaitApproval(
  ctx: OrchestrationContext,
  input: ReleaseInput,
  r: ReleaseTracker,
  watch: NewerBuildWatch,
): Generator<Task, ApprovalOutcome, unknown> {
  const policy = input.target.approval;
  // A release started before quorums existed replays with the rules it started under (same decisions count).
  const legacy = policy.minApprovers === undefined;
  const minApprovers = policy.minApprovers ?? 1;
  const rules = { approvers: policy.approvers, allowSelfApproval: legacy || policy.allowSelfApproval };
  const legacyAllowed = policy.approvers?.map((a) => a.toLowerCase());
  let round = '';
  let roundNo = 0;
  let votes: ApprovalVote[] = [];
  const who = (): Partial<ApprovalView> => ({
    ...(policy.approvers ? { approvers: [...policy.approvers] } : {}),
    minApprovers,
    allowSelfApproval: rules.allowSelfApproval,
  });
  // Added in 3.1: a frozen target holds the swap (releases created earlier replay without reading the freeze).
  const freezeHolds = atLeast(ctx, OrchestrationVersions.FreezeHold);
  if (!policy.required && freezeHolds) {
    // Nobody approves here: the hold comes first, so the firing alerts are checked once it ends.
    const held = yield* holdWhileFrozen(new Date(r.nowMs() + policy.timeoutSeconds * 1000));
    if (held) return held;
  }
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
  /** Opens an approval round: new links (tokens of any other round are refused), notified, never published. */
  function* ask(): Generator<Task, void, unknown> {
    round = ctx.df.newGuid(`${input.releaseId}:approval${roundNo === 0 ? '' : `:${roundNo}`}`);
    roundNo++;
    votes = [];
    const linksInput: IssueLinksInput = {
      releaseId: input.releaseId,
      round,
      expiresAt: expiresAt.toISOString(),
    };
    const links = yield* awaited(callActivity(ctx, Activities.IssueApprovalLinks, linksInput));
    r.view.approval = {
      required: true,
      pending: true,
      round,
      expiresAt: expiresAt.toISOString(),
      ...who(),
      approvals: [],
      needed: minApprovers,
    };
    // After a freeze held the swap, the approval step has closed: asking again opens a new one.
    if (r.view.phase === 'awaiting-approval' && r.hasOpenStep()) r.publish();
    else r.phase('awaiting-approval', 'approval');
    // Only the notifier gets the live links: readers of the status API (the function key) never do.
    const notice: NotifyInput = {
      kind: 'awaiting-approval',
      release: { ...r.view, approval: { ...r.view.approval, ...links } },
    };
    yield callActivity(ctx, Activities.Notify, notice);
  }
  /**
   * With nothing left to decide but the swap: while the target is frozen the swap waits (a freeze must stop new
   * traffic moves), for the lane's `TargetUnfrozen`, re-reading the freeze now and then, until the approval's own
   * expiry (Expired), a newer build (Superseded) or a reject (Rejected). Approvals meanwhile change nothing (the
   * API refuses them while frozen). Undefined: not frozen (any more), go on.
   */
  function* holdWhileFrozen(until: Date): Generator<Task, ApprovalOutcome | undefined, unknown> {
    let held = false;
    for (;;) {
      const read = yield* readFreeze(ctx, input.target.name);
      if (read.freeze === null) {
        if (held) {
          delete r.view.freeze;
          r.end('ok', 'target unfrozen: the swap goes ahead');
        }
        return undefined;
      }
      const detail = freezeText(input.target.name, read);
      if (read.freeze) r.view.freeze = read.freeze;
      if (!held) {
        if (policy.required) {
          // The quorum is in: the status shows every vote, nothing more needed but the unfreeze.
          r.view.approval = { required: true, ...r.view.approval, approvals: [...votes], needed: 0 };
          r.end('ok', `approved by ${names(votes)}; the swap waits for the freeze`);
        }
        r.begin('freeze', detail);
        held = true;
      } else {
        r.detail(detail);
      }
      const wakeAt = Math.min(
        r.nowMs() + FREEZE_RECHECK_MS,
        until.getTime(),
        read.freeze?.until ? Math.max(Date.parse(read.freeze.until), r.nowMs()) : Infinity,
      );
      const decision = waitForEvent(ctx, Events.ApprovalDecision);
      const unfrozen = waitForEvent(ctx, Events.TargetUnfrozen);
      const stops = watch.waits();
      const timer = ctx.df.createTimer(new Date(wakeAt));
      const winner = yield ctx.df.Task.any([decision, unfrozen, ...stops, timer]);
      if (winner !== timer) timer.cancel();
      // A cancel (3.3) ends a held swap too: traffic has not moved.
      if (watch.cancelled()) {
        delete r.view.freeze;
        return 'cancelled';
      }
      const newerBuild = watch.arrived();
      if (newerBuild) {
        delete r.view.freeze;
        r.view.approval = {
          required: policy.required,
          decision: 'superseded',
          decidedAt: r.now(),
          ...(policy.required ? { ...who(), approvals: votes } : {}),
        };
        r.view.supersededBy = newerBuild.releaseId;
        r.end('skipped', `${detail}; superseded by ${newerBuild.releaseId}`);
        r.finish('Superseded', 'superseded');
        return 'superseded';
      }
      if (winner === timer && r.nowMs() >= until.getTime()) {
        delete r.view.freeze;
        r.view.approval = {
          required: policy.required,
          decision: 'expired',
          decidedAt: r.now(),
          ...(policy.required ? { ...who(), approvals: votes } : {}),
        };
        r.end('failed', `${detail}; still frozen when the approval expired at ${until.toISOString()}`);
        r.finish('Expired', 'expired');
        return 'expired';
      }
      if (winner === decision && policy.required) {
        const d = resultOf(decision);
        if (d.round !== round || d.decision !== 'reject') continue;
        if (!counts(d)) continue;
        delete r.view.freeze;
        r.view.approval = {
          required: true,
          decision: 'rejected',
          approver: d.approver,
          ...(d.comment ? { comment: d.comment } : {}),
          decidedAt: d.at,
          decisionId: d.requestId,
          ...who(),
          approvals: votes,
        };
        r.end('skipped', `${detail}; rejected by ${d.approver}`);
        r.finish('Rejected', 'rejected');
        return 'rejected';
      }
    }
  }

  /** Whether a decision's author may decide it, by the target's rules (checked here again, as the API does). */
  function counts(d: ApprovalDecisionEvent): boolean {
    if (legacy) return !legacyAllowed || legacyAllowed.includes(d.approver.toLowerCase());
    return decisionCounts(rules, input.build, d.decision, {
      name: d.approver,
      authenticated: d.authenticated === true,
      ...(d.approverId ? { id: d.approverId } : {}),
      ...(d.approverDisplayName ? { displayName: d.approverDisplayName } : {}),
    });
  }

  yield* ask();

  for (;;) {
    // A newer build or a cancel that reached an earlier wait while this round was opened (its activities ran) is
    // taken before waiting: the lane sends one NewerBuild only, so a fresh wait would never see it (from 3.3; older
    // releases replay the wait they made).
    const early = watch.cancellable ? watch.stop() : undefined;
    let winner: unknown;
    let decision: TypedTask<ApprovalDecisionEvent> | undefined;
    let timeout: ReturnType<typeof ctx.df.createTimer> | undefined;
    if (!early) {
      // Fresh tasks every turn: re-yielding a pending task would schedule it twice.
      decision = waitForEvent(ctx, Events.ApprovalDecision);
      const stops = watch.waits();
      timeout = ctx.df.createTimer(expiresAt);
      winner = yield ctx.df.Task.any([decision, ...stops, timeout]);
    }
    // A newer build or a cancel may also have reached an earlier wait (while an activity ran): it wins over a decision.
    const stop = watch.stop();

    if (timeout && winner === timeout && !stop) {
      r.view.approval = {
        required: true,
        decision: 'expired',
        decidedAt: r.now(),
        ...who(),
        approvals: votes,
      };
      r.finish('Expired', 'expired');
      return 'expired';
    }
    if (timeout && !timeout.isCompleted) timeout.cancel();
    if (stop?.kind === 'cancel') {
      r.view.approval = {
        required: true,
        decision: 'cancelled',
        decidedAt: r.now(),
        ...who(),
        approvals: votes,
      };
      return 'cancelled';
    }
    if (stop) {
      const by = stop.newer.releaseId;
      r.view.approval = {
        required: true,
        decision: 'superseded',
        decidedAt: r.now(),
        ...who(),
        approvals: votes,
      };
      r.view.supersededBy = by;
      r.finish('Superseded', 'superseded');
      return 'superseded';
    }
    const d = resultOf(decision!);
    if (d.round !== round) continue; // a token of an earlier round: not for this wait
    const decider: Decider = {
      name: d.approver,
      authenticated: d.authenticated === true,
      ...(d.approverId ? { id: d.approverId } : {}),
      ...(d.approverDisplayName ? { displayName: d.approverDisplayName } : {}),
    };
    // The handler refuses these too; a decision that got past it still never counts.
    if (legacy) {
      if (legacyAllowed && !legacyAllowed.includes(d.approver.toLowerCase())) continue;
    } else if (!decisionCounts(rules, input.build, d.decision, decider)) continue;
    const approved = d.decision === 'approve';
    if (approved && !acknowledges(d, check.needing, check.error)) continue; // refused by the handler too
    if (approved) {
      if (votes.some((v) => approverKey({ name: v.by }) === approverKey(decider))) continue; // one vote per approver
      votes.push({
        by: decider.name,
        ...(decider.id ? { id: decider.id } : {}),
        authenticated: decider.authenticated,
        at: d.at,
        ...(d.comment ? { comment: d.comment } : {}),
        requestId: d.requestId,
      });
      if (votes.length < minApprovers) {
        r.view.approval = {
          required: true,
          ...r.view.approval,
          approvals: [...votes],
          needed: minApprovers - votes.length,
        };
        r.publish();
        continue;
      }
      if (freezeHolds) {
        const held = yield* holdWhileFrozen(expiresAt);
        if (held) return held;
      }
      // Alerts may have started firing since the page was shown (or the freeze began): the approver must have
      // seen every one.
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
          detail: `approved by ${names(votes)}, but alerts started firing since: ${describeAlerts(unseen)}; asking again`,
        });
        yield* ask();
        continue;
      }
      if (d.acknowledgedAlerts !== undefined && (shown.needing.length > 0 || shown.error !== undefined)) {
        r.view.alerts = {
          ...r.view.alerts,
          acknowledged: { by: names(votes), alertIds: shown.needing.map((a) => a.alertId), at: d.at },
        };
      }
    }
    r.view.approval = {
      required: true,
      decision: approved ? 'approved' : 'rejected',
      approver: approved ? names(votes) : d.approver,
      ...(d.comment ? { comment: d.comment } : {}),
      decidedAt: d.at,
      decisionId: d.requestId,
      ...who(),
      approvals: votes,
    };
    if (!approved) {
      r.finish('Rejected', 'rejected');
      return 'rejected';
    }
    const ack = r.view.alerts?.acknowledged;
    r.end(
      'ok',
      `approved by ${names(votes)}${ack ? ` with ${ack.alertIds.length} firing alert(s) acknowledged` : ''}`,
    );
    return 'approved';
  }
}

/** The approvers of a round, for messages and the recorded approver. */
function names(votes: readonly ApprovalVote[]): string {
  return votes.map((v) => v.by).join(', ');
}
