import { randomUUID } from 'node:crypto';
import { HttpError } from '../errors';
import type { Identity, ReleaseView, TargetConfig } from '../domain';
import { Events } from '../names';
import type { ApprovalDecisionEvent } from '../orchestration/contracts';
import type { Clock } from '../ports/clock';
import { approverKey, checkDecider } from '../approval/policy';
import { ApprovalTokenError, verifyApprovalToken, type ApprovalClaims } from '../approval/token';
import type { ReleaseClient } from './client';
import { currentFreeze, describeFreeze } from './freeze';
import { readRelease } from './views';

/** The two decisions a link can carry. */
export type Decision = 'approve' | 'reject';

/** A decision that may be made now: the release, its current approval round, and whether a link opened it. */
export interface CheckedLink {
  release: ReleaseView;
  round: string;
  decision: Decision;
  /** True when a signed link opened it; false for a signed-in approver without a link. */
  viaLink: boolean;
}

/**
 * Checks an approval link: signature, expiry, release and decision it was issued for, and that it is a
 * link of the release's current approval round (tokens of a decided or newer round are refused, which
 * makes each link good for one decision per approver). Throws HttpError with the reason.
 */
export async function checkLink(
  client: ReleaseClient,
  signingKey: string,
  clock: Clock,
  id: string,
  decisionParam: string,
  token: string | null,
): Promise<CheckedLink> {
  const decision = decisionOf(decisionParam);
  if (!token) throw new HttpError(401, 'missing-token', 'the approval link has no token');
  let claims: ApprovalClaims;
  try {
    claims = verifyApprovalToken(signingKey, token, clock.now());
  } catch (err) {
    if (!(err instanceof ApprovalTokenError)) throw err;
    if (err.reason === 'expired') throw new HttpError(410, 'link-expired', `this approval link has expired`);
    throw new HttpError(401, `token-${err.reason}`, `this approval link is not valid (${err.reason})`);
  }
  if (claims.releaseId !== id || claims.decision !== decision) {
    throw new HttpError(403, 'token-mismatch', `this token is not for ${decision} of release '${id}'`);
  }
  const release = await readRelease(client, id);
  if (!release) throw new HttpError(404, 'not-found', `no release '${id}'`);
  openRound(release, claims.nonce);
  return { release, round: claims.nonce, decision, viaLink: true };
}

/**
 * Opens a decision without a link, for a signed-in approver (the console, a script with an Entra token): `gate`
 * refuses callers who may not decide it at all; then the release must await approval, and its current round is the
 * one decided.
 */
export async function checkOpen(
  client: ReleaseClient,
  id: string,
  decisionParam: string,
  gate: (release: ReleaseView, decision: Decision) => void = () => undefined,
): Promise<CheckedLink> {
  const decision = decisionOf(decisionParam);
  const release = await readRelease(client, id);
  if (!release) throw new HttpError(404, 'not-found', `no release '${id}'`);
  // Who may decide is checked before anything about the release's approval state is told.
  gate(release, decision);
  const round = release.approval?.round ?? '';
  openRound(release, round);
  return { release, round, decision, viaLink: false };
}

function decisionOf(param: string): Decision {
  if (param !== 'approve' && param !== 'reject') {
    throw new HttpError(
      400,
      'bad-decision',
      `decision must be 'approve' or 'reject', got '${param.slice(0, 40)}'`,
    );
  }
  return param;
}

/** Refuses (409) unless the release awaits approval in `round`. */
function openRound(release: ReleaseView, round: string): void {
  const approval = release.approval;
  if (
    release.status === 'Running' &&
    release.phase === 'awaiting-approval' &&
    approval?.pending === true &&
    round !== '' &&
    approval.round === round
  ) {
    return;
  }
  const decided = approval?.decision
    ? `${approval.decision}${approval.approver ? ` by ${approval.approver}` : ''}`
    : release.phase === 'awaiting-approval'
      ? 'a newer approval round was opened: use the latest link'
      : release.status === 'Running'
        ? release.phase
        : release.status;
  throw new HttpError(
    409,
    'already-decided',
    `release '${release.id}' no longer awaits this approval (${decided})`,
  );
}

/**
 * Whether a decision counted: `won` (it decided the release, or its approval was part of the quorum that did),
 * `counted` (its approval is recorded; more are needed), `lost` (another decision got there first), `pending`
 * (not recorded yet), `reopened` (alerts started firing: new links were sent).
 */
export type DecisionOutcome = 'won' | 'counted' | 'lost' | 'pending' | 'reopened' | 'held';

/** How long a decision request waits for the release to record it (queue polling on Azure is 2 s). */
export const DECISION_WAIT_MS = 10_000;

/**
 * Records a decision: who decides is checked against the target's policy (signed-in approvers only on targets
 * with `approval.approvers`, no self-approval unless allowed, one approval per approver); then the decision is
 * raised into the release, which checks it again. It then waits for the release to record it, so the caller is
 * told whether theirs counted.
 */
export async function decide(
  client: ReleaseClient,
  clock: Clock,
  target: TargetConfig | undefined,
  link: CheckedLink,
  who: { identity?: Identity; supplied?: string; authEnabled: boolean },
  comment: string | undefined,
  waitMs: number = DECISION_WAIT_MS,
  acknowledgedAlerts?: string[],
): Promise<{ event: ApprovalDecisionEvent; outcome: DecisionOutcome; release: ReleaseView }> {
  if (!target) {
    throw new HttpError(
      409,
      'unknown-target',
      `release '${link.release.id}' belongs to no configured target`,
    );
  }
  const check = checkDecider(
    target,
    link.release.build,
    link.decision,
    who.identity,
    who.supplied,
    who.authEnabled,
  );
  if (!check.ok) throw new HttpError(check.status, check.code, check.reason);
  const decider = check.decider;
  if (link.decision === 'approve') {
    // No new swap while the target is frozen; a reject makes nothing worse and is taken.
    const freeze = await currentFreeze(client, target.name);
    if (freeze) {
      throw new HttpError(
        409,
        'target-frozen',
        `${describeFreeze(target.name, freeze)}; approvals are refused until it is unfrozen (a reject is still taken)`,
      );
    }
  }
  const approval = link.release.approval;
  const mine = approval?.approvals?.find((v) => approverKey({ name: v.by }) === approverKey(decider));
  if (mine && link.decision === 'approve') {
    throw new HttpError(
      409,
      'already-approved',
      `${decider.name} already approved release '${link.release.id}' at ${mine.at}; ${approval?.needed ?? 0} more approval(s) from other approvers needed`,
    );
  }
  const event: ApprovalDecisionEvent = {
    requestId: randomUUID(),
    decision: link.decision,
    round: link.round,
    approver: decider.name.slice(0, 256),
    authenticated: decider.authenticated,
    ...(decider.id ? { approverId: decider.id } : {}),
    ...(decider.displayName ? { approverDisplayName: decider.displayName } : {}),
    ...(comment?.trim() ? { comment: comment.trim().slice(0, 1000) } : {}),
    at: clock.now().toISOString(),
    ...(acknowledgedAlerts !== undefined ? { acknowledgedAlerts } : {}),
  };
  const id = link.release.id;
  await client.raise(id, Events.ApprovalDecision, event);

  const deadline = Date.now() + waitMs;
  let delay = 50;
  let release = link.release;
  for (;;) {
    release = (await readRelease(client, id)) ?? release;
    const outcome = outcomeOf(release, event, link.round);
    if (outcome !== undefined) return { event, outcome, release };
    if (Date.now() + delay > deadline) return { event, outcome: 'pending', release };
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 1000);
  }
}

/** What the release recorded of a decision, or undefined while it has not yet. */
function outcomeOf(
  release: ReleaseView,
  event: ApprovalDecisionEvent,
  round: string,
): DecisionOutcome | undefined {
  const a = release.approval;
  const voted = a?.approvals?.some((v) => v.requestId === event.requestId) === true;
  if (a?.decisionId === event.requestId || (a?.decision === 'approved' && voted)) return 'won';
  const waiting = release.phase === 'awaiting-approval' && a?.pending === true;
  // The quorum is reached but the target is frozen: the swap waits for the unfreeze (a race with the freeze).
  if (waiting && a.round === round && voted && release.freeze) return 'held';
  if (waiting && a.round === round && voted) return 'counted';
  if (waiting && a.round !== undefined && a.round !== round) return 'reopened';
  if (a?.decisionId !== undefined || release.phase !== 'awaiting-approval') return 'lost';
  return undefined;
}
