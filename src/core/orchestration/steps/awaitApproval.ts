import type { OrchestrationContext, Task } from 'durable-functions';
import { Activities, Events } from '../../names';
import type {
  ApprovalDecisionEvent,
  ApprovalLinks,
  IssueLinksInput,
  NewerBuildEvent,
  NotifyInput,
  ReleaseInput,
} from '../contracts';
import type { ReleaseTracker } from '../tracker';

/** How the approval wait ended. */
export type ApprovalOutcome = 'approved' | 'rejected' | 'expired' | 'superseded';

/**
 * Waits for a decision on signed links, raced against a durable timer and a newer build.
 * The first valid decision of the current round wins, which makes every link single-use.
 */
export function* awaitApproval(
  ctx: OrchestrationContext,
  input: ReleaseInput,
  r: ReleaseTracker,
): Generator<Task, ApprovalOutcome, unknown> {
  const policy = input.target.approval;
  if (!policy.required) {
    r.view.approval = { required: false, decision: 'auto-approved', decidedAt: r.now() };
    r.mark('approval', r.now(), r.now(), 'ok', 'not required for this target');
    return 'approved';
  }

  // One round per wait: tokens of any other round (or release) are refused, by the handler and here.
  const round = ctx.df.newGuid(`${input.releaseId}:approval`);
  const expiresAt = new Date(r.nowMs() + policy.timeoutSeconds * 1000);
  const linksInput: IssueLinksInput = {
    releaseId: input.releaseId,
    round,
    expiresAt: expiresAt.toISOString(),
  };
  const links = (yield ctx.df.callActivity(Activities.IssueApprovalLinks, linksInput)) as ApprovalLinks;
  // The phase and its links appear together: whoever sees awaiting-approval can act on it.
  r.view.approval = { required: true, ...links, expiresAt: expiresAt.toISOString() };
  r.phase('awaiting-approval', 'approval');
  const notice: NotifyInput = { kind: 'awaiting-approval', release: r.view };
  yield ctx.df.callActivity(Activities.Notify, notice);

  const allowed = policy.approvers?.map((a) => a.toLowerCase());
  for (;;) {
    // Fresh tasks every turn: re-yielding a pending task would schedule it twice.
    const decision = ctx.df.waitForExternalEvent(Events.ApprovalDecision);
    const newer = ctx.df.waitForExternalEvent(Events.NewerBuild);
    const timeout = ctx.df.createTimer(expiresAt);
    const winner = yield ctx.df.Task.any([decision, newer, timeout]);

    if (winner === timeout) {
      r.view.approval = { required: true, decision: 'expired', decidedAt: r.now() };
      r.finish('Expired', 'expired');
      return 'expired';
    }
    timeout.cancel();
    if (winner === newer) {
      const by = (newer.result as NewerBuildEvent).releaseId;
      r.view.approval = { required: true, decision: 'superseded', decidedAt: r.now() };
      r.view.supersededBy = by;
      r.finish('Superseded', 'superseded');
      return 'superseded';
    }
    const d = decision.result as ApprovalDecisionEvent;
    if (d.round !== round) continue; // a token of an earlier round: not for this wait
    if (allowed && !allowed.includes(d.approver.toLowerCase())) continue; // the handler refuses these too
    const approved = d.decision === 'approve';
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
    r.end('ok', `approved by ${d.approver}`);
    return 'approved';
  }
}
