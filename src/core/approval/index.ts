/** Approval links: signed tokens and the pages a link shows. */
export {
  signApprovalToken,
  verifyApprovalToken,
  ApprovalTokenError,
  MAX_TOKEN_LENGTH,
  type ApprovalClaims,
  type ApprovalDecision,
  type ApprovalTokenFailure,
} from './token';
export {
  renderApprovalPage,
  renderResultPage,
  escapeHtml,
  APPROVAL_PAGE_HEADERS,
  type ApprovalPageView,
  type ResultPageView,
} from './page';
export {
  checkDecider,
  decisionCounts,
  approverKey,
  identityBound,
  onApproverList,
  isRequester,
  type Decider,
  type DeciderCheck,
} from './policy';
