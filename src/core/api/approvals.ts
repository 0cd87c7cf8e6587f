import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { HttpError } from '../errors';
import type { ReleaseView, TargetConfig } from '../domain';
import { Events } from '../names';
import type { ApprovalDecisionEvent } from '../orchestration/contracts';
import type { Clock } from '../ports/clock';
import { checkApprover } from '../approval/policy';
import { ApprovalTokenError, verifyApprovalToken, type ApprovalClaims } from '../approval/token';
import type { ReleaseClient } from './client';
import { readRelease } from './views';

/** The two decisions a link can carry. */
export type Decision = 'approve' | 'reject';

/** A checked approval link: the release it is for and its claims. */
export interface CheckedLink {
  release: ReleaseView;
  claims: ApprovalClaims;
  decision: Decision;
}

function sameToken(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

function linkToken(url: string | undefined): string {
  if (!url) return '';
  return new URL(url).searchParams.get('token') ?? '';
}

/**
 * Checks an approval link: signature, expiry, release and decision it was issued for, and that it is a
 * link of the release's current approval round (tokens of a decided or newer round are refused, which
 * makes each link single-use). Throws HttpError with the reason.
 */
export async function checkLink(
  client: ReleaseClient,
  signingKey: string,
  clock: Clock,
  id: string,
  decisionParam: string,
  token: string | null,
): Promise<CheckedLink> {
  if (decisionParam !== 'approve' && decisionParam !== 'reject') {
    throw new HttpError(
      400,
      'bad-decision',
      `decision must be 'approve' or 'reject', got '${decisionParam}'`,
    );
  }
  if (!token) throw new HttpError(401, 'missing-token', 'the approval link has no token');
  let claims: ApprovalClaims;
  try {
    claims = verifyApprovalToken(signingKey, token, clock.now());
  } catch (err) {
    if (!(err instanceof ApprovalTokenError)) throw err;
    if (err.reason === 'expired') throw new HttpError(410, 'link-expired', `this approval link has expired`);
    throw new HttpError(401, `token-${err.reason}`, `this approval link is not valid (${err.reason})`);
  }
  if (claims.releaseId !== id || claims.decision !== decisionParam) {
    throw new HttpError(403, 'token-mismatch', `this token is not for ${decisionParam} of release '${id}'`);
  }
  const release = await readRelease(client, id);
  if (!release) throw new HttpError(404, 'not-found', `no release '${id}'`);
  const current = decisionParam === 'approve' ? release.approval?.approveUrl : release.approval?.rejectUrl;
  if (
    release.status !== 'Running' ||
    release.phase !== 'awaiting-approval' ||
    !sameToken(linkToken(current), token)
  ) {
    const decided = release.approval?.decision
      ? `${release.approval.decision}${release.approval.approver ? ` by ${release.approval.approver}` : ''}`
      : release.status;
    throw new HttpError(
      409,
      'already-decided',
      `release '${id}' no longer awaits this approval (${decided})`,
    );
  }
  return { release, claims, decision: decisionParam };
}

/** Whether a submitted decision is the one that counted; `reopened`: alerts started firing, links were issued again. */
export type DecisionOutcome = 'won' | 'lost' | 'pending' | 'reopened';

/** How long a decision request waits for the release to record it (queue polling on Azure is 2 s). */
export const DECISION_WAIT_MS = 10_000;

/**
 * Records a decision: who decides is the App Service principal when present, else the supplied name,
 * checked against the target's allow-list; then the decision is raised into the release, where the
 * first decision of the round wins. It then waits for the release to record the decision, so the
 * caller is told whether theirs counted (`lost` when another decision got there first).
 */
export async function decide(
  client: ReleaseClient,
  clock: Clock,
  target: TargetConfig | undefined,
  link: CheckedLink,
  who: { principal?: string; supplied?: string },
  comment: string | undefined,
  waitMs: number = DECISION_WAIT_MS,
  acknowledgedAlerts?: string[],
): Promise<{ event: ApprovalDecisionEvent; outcome: DecisionOutcome; release: ReleaseView }> {
  const check = checkApprover(target?.approval ?? {}, who.principal, who.supplied);
  if (!check.ok) {
    const status = check.reason.includes('is not an approver') ? 403 : 400;
    throw new HttpError(status, status === 403 ? 'not-an-approver' : 'approver-required', check.reason);
  }
  const event: ApprovalDecisionEvent = {
    requestId: randomUUID(),
    decision: link.decision,
    round: link.claims.nonce,
    approver: check.approver.slice(0, 200),
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
    if (
      release.phase === 'awaiting-approval' &&
      release.approval?.approveUrl !== undefined &&
      release.approval.approveUrl !== link.release.approval?.approveUrl
    ) {
      return { event, outcome: 'reopened', release };
    }
    const decided = release.approval?.decisionId !== undefined || release.phase !== 'awaiting-approval';
    if (decided) {
      return { event, outcome: release.approval?.decisionId === event.requestId ? 'won' : 'lost', release };
    }
    if (Date.now() + delay > deadline) return { event, outcome: 'pending', release };
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 1000);
  }
}
