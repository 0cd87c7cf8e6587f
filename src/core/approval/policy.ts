/** Who may decide an approval. */
import type { ApprovalConfig } from '../domain';

/** Why a decider was refused, or ok. */
export type ApproverCheck = { ok: true; approver: string } | { ok: false; reason: string };

/**
 * Resolves who decides and checks the target's allow-list (case-insensitive). The App Service principal
 * wins over a supplied `approver` field; with an allow-list, someone must be named and be on it.
 */
export function checkApprover(
  approval: Pick<ApprovalConfig, 'approvers'>,
  principal: string | undefined,
  supplied: string | undefined,
): ApproverCheck {
  const who = (principal ?? supplied ?? '').trim();
  const list = approval.approvers;
  if (list === undefined || list.length === 0) {
    return who === '' ? { ok: false, reason: 'name who decides (approver)' } : { ok: true, approver: who };
  }
  if (who === '')
    return { ok: false, reason: 'this target has an approver list: sign in or name the approver' };
  const allowed = list.some((a) => a.trim().toLowerCase() === who.toLowerCase());
  return allowed
    ? { ok: true, approver: who }
    : { ok: false, reason: `${who} is not an approver of this target` };
}
