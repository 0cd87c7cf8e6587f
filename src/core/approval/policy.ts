/**
 * Who may decide an approval: the target's approver list (signed-in principals only), the quorum of distinct
 * approvers and the self-approval rule. Pure: the approval API checks a request with it for a clear answer, and the
 * release orchestration checks every decision it receives with it again, so a decision that slipped past the API
 * still never counts.
 */
import type { ApprovalConfig, BuildInfo, Identity } from '../domain';
import { hasControlCharacters } from '../contract';

/** Who decides: the name shown, and whether it comes from App Service authentication or was typed. */
export interface Decider {
  name: string;
  /** Entra object id, when signed in. */
  id?: string;
  /** Display name claim, when signed in. */
  displayName?: string;
  authenticated: boolean;
}

/** A decider accepted, or refused with the HTTP status, code and reason to answer. */
export type DeciderCheck =
  { ok: true; decider: Decider } | { ok: false; status: 400 | 401 | 403; code: string; reason: string };

/** The key that makes two approvals one approver: the principal name, case-insensitively. */
export function approverKey(d: Pick<Decider, 'name'>): string {
  return d.name.trim().toLowerCase();
}

/** True when a target accepts decisions from signed-in approvers only. */
export function identityBound(approval: Pick<ApprovalConfig, 'approvers'>): boolean {
  return (approval.approvers?.length ?? 0) > 0;
}

/** Whether a signed-in decider is on the list, by principal name or object id (case-insensitive). */
export function onApproverList(list: readonly string[], d: Pick<Decider, 'name' | 'id'>): boolean {
  const name = d.name.trim().toLowerCase();
  const id = d.id?.trim().toLowerCase();
  return list.some((a) => {
    const x = a.trim().toLowerCase();
    return x === name || (id !== undefined && x === id);
  });
}

/**
 * True when the decider is the build's requester: their principal name or display name is the build's requester
 * (Azure DevOps `requestedFor.uniqueName` or `displayName`), case-insensitively. Errs on the side of refusing.
 */
export function isRequester(
  d: Pick<Decider, 'name' | 'displayName'>,
  build: Pick<BuildInfo, 'requestedBy' | 'requestedByUniqueName'>,
): boolean {
  const mine = [d.name, d.displayName]
    .filter((x): x is string => !!x?.trim())
    .map((x) => x.trim().toLowerCase());
  const theirs = [build.requestedBy, build.requestedByUniqueName]
    .filter((x): x is string => !!x?.trim())
    .map((x) => x.trim().toLowerCase());
  return mine.some((m) => theirs.includes(m));
}

/**
 * Resolves who decides and checks them. A target with `approval.approvers` takes only a signed-in principal on the
 * list (a typed name is refused: anyone can type one); other targets take the signed-in principal, else the typed
 * name. Approving one's own build is refused unless `allowSelfApproval`. `authEnabled` only shapes the message.
 */
export function checkDecider(
  target: { name: string; approval: Pick<ApprovalConfig, 'approvers' | 'allowSelfApproval'> },
  build: Pick<BuildInfo, 'requestedBy' | 'requestedByUniqueName'>,
  decision: 'approve' | 'reject',
  identity: Identity | undefined,
  supplied: string | undefined,
  authEnabled: boolean,
): DeciderCheck {
  const { approval } = target;
  let decider: Decider;
  if (identityBound(approval)) {
    if (identity === undefined) {
      const why = authEnabled
        ? 'sign in first'
        : 'App Service authentication is not enabled on this app (WEBSITE_AUTH_ENABLED), so nobody can';
      return {
        ok: false,
        status: 401,
        code: 'sign-in-required',
        reason: `target '${target.name}' names its approvers: a decision counts only from a signed-in approver, never a typed name; ${why}`,
      };
    }
    if (!onApproverList(approval.approvers ?? [], identity)) {
      return {
        ok: false,
        status: 403,
        code: 'not-an-approver',
        reason: `${identity.name} is not an approver of target '${target.name}' (approval.approvers)`,
      };
    }
    decider = fromIdentity(identity);
  } else if (identity !== undefined) {
    decider = fromIdentity(identity);
  } else {
    const typed = supplied?.trim() ?? '';
    if (typed === '') {
      return { ok: false, status: 400, code: 'approver-required', reason: 'name who decides (approver)' };
    }
    if (typed.length > 200 || hasControlCharacters(typed)) {
      return {
        ok: false,
        status: 400,
        code: 'bad-approver',
        reason: 'approver must be at most 200 characters without control characters',
      };
    }
    decider = { name: typed, authenticated: false };
  }
  if (decision === 'approve' && !approval.allowSelfApproval && isRequester(decider, build)) {
    return {
      ok: false,
      status: 403,
      code: 'self-approval',
      reason: `${decider.name} requested this build and may not approve it (approval.allowSelfApproval is false on target '${target.name}'); another approver must`,
    };
  }
  return { ok: true, decider };
}

function fromIdentity(identity: Identity): Decider {
  return {
    name: identity.name,
    authenticated: true,
    ...(identity.id ? { id: identity.id } : {}),
    ...(identity.displayName ? { displayName: identity.displayName } : {}),
  };
}

/**
 * Whether a decision the release received counts under its target's policy (the orchestration's own check of what
 * the API already checked): on an identity-bound target only a signed-in approver on the list; never the
 * requester's approval unless allowed.
 */
export function decisionCounts(
  approval: Pick<ApprovalConfig, 'approvers' | 'allowSelfApproval'>,
  build: Pick<BuildInfo, 'requestedBy' | 'requestedByUniqueName'>,
  decision: 'approve' | 'reject',
  d: Decider,
): boolean {
  if (identityBound(approval) && (!d.authenticated || !onApproverList(approval.approvers ?? [], d)))
    return false;
  if (decision === 'approve' && !approval.allowSelfApproval && isRequester(d, build)) return false;
  return true;
}
