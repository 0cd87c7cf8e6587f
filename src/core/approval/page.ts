/**
 * The approval page (GET on a link: shows the release, changes nothing) and the result page (after the
 * POST that decides). Self-contained HTML: no scripts, no external resources, every value escaped.
 */
import { createHash } from 'node:crypto';
import { describeFreeze } from '../api/freeze';
import type { ReleaseView, TargetFreeze } from '../domain';
import type { ApprovalDecision } from './token';

const CSS = [
  'body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f5f5f5;color:#1b1b1b}',
  'main{max-width:44rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:6px;box-shadow:0 1px 3px #0002}',
  'h1{font-size:1.4rem;margin-top:0}',
  'dl{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem}',
  'dt{font-weight:600}dd{margin:0;word-break:break-all}',
  'label{display:block;margin:.8rem 0 .2rem;font-weight:600}',
  'input[type=text],textarea{width:100%;box-sizing:border-box;padding:.4rem;font:inherit}',
  'button{margin-top:1rem;padding:.6rem 1.4rem;font:inherit;font-weight:600;border:0;border-radius:4px;color:#fff;cursor:pointer}',
  '.approve{background:#107c10}.reject{background:#a4262c}',
  '.notice{padding:.6rem .8rem;border-radius:4px;background:#fff4ce}.error{background:#fde7e9}.ok{background:#dff6dd}',
  '.muted{color:#605e5c;font-size:.9rem}',
  '.alerts{border-left:4px solid #a4262c;padding:.4rem .8rem;margin:1rem 0;background:#fde7e9}',
  '.alerts li{margin:.2rem 0}.ack{display:flex;gap:.5rem;align-items:flex-start;font-weight:600}',
  '.progress{border-left:4px solid #0f6cbd;padding:.2rem .8rem;margin:1rem 0;background:#ebf3fc}.progress h2{font-size:1.05rem}',
].join('');

const STYLE_HASH = createHash('sha256').update(CSS, 'utf8').digest('base64');

/**
 * Headers for every approval page and decision response: never cached, never indexed, no referrer (the
 * token is in the URL), no framing, and a CSP that allows only the page's own inline style (by hash)
 * and form posts to this origin.
 */
export const APPROVAL_PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
  'X-Robots-Tag': 'noindex, nofollow',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
});

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** What the approval page shows. */
export interface ApprovalPageView {
  release: ReleaseView;
  decision: ApprovalDecision;
  token: string;
  /** Where the form posts: a path or an http(s) URL of this app. */
  postUrl: string;
  /** The signed-in principal (App Service authentication), when known: then no approver field is asked. */
  principal?: string;
  /** Who may decide, for this caller. */
  policy?: {
    /** The target names its approvers: only a signed-in approver decides (no name field). */
    identityRequired: boolean;
    /** Why this caller may not make this decision (not signed in, not an approver, their own build). */
    refusal?: string;
    /** Set when this caller already approved in this round (when). */
    alreadyApproved?: string;
    /** Where to sign in and come back (App Service authentication on). */
    signInUrl?: string;
  };
  /** Set when the approval round is over: the page then shows this instead of a form. */
  alreadyDecided?: string;
  /** Set when the link cannot be used (expired, tampered): the page shows this instead of a form. */
  error?: string;
  /** The freeze in force on the target (its lane's, as the decision POST reads it): approvals are refused. */
  frozen?: TargetFreeze;
}

/** What the result page shows after a decision (or a refused one). */
export interface ResultPageView {
  outcome: 'approved' | 'rejected' | 'refused';
  title: string;
  message: string;
  release?: ReleaseView;
}

function safePostUrl(url: string): string {
  if (url.startsWith('/') && !url.startsWith('//')) return url;
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'https:' || parsed.protocol === 'http:') return url;
  } catch {
    // fall through
  }
  throw new Error('approval page postUrl must be a path or an http(s) URL');
}

function row(label: string, value: unknown): string {
  if (value === undefined || value === null || value === '') return '';
  return `<dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd>`;
}

function releaseDetails(release: ReleaseView): string {
  const b = release.build;
  const verify = release.verify
    ? `${release.verify.ok ? 'passed' : 'FAILED'}${release.verify.version ? `, reports version ${release.verify.version}` : ''} ` +
      `(${release.verify.attempts} attempt${release.verify.attempts === 1 ? '' : 's'}, ${release.verify.url})`
    : undefined;
  return [
    '<dl>',
    row('Target', release.target),
    row('Release', release.id),
    row('Status', `${release.status} (${release.phase})`),
    row('Build', b.number),
    row('Build id', b.id),
    row('Pipeline', b.pipeline),
    row('Branch', b.branch),
    row('Commit', b.commit),
    row('Requested by', b.requestedBy),
    row('Build link', b.url),
    row('Staging slot (new build)', release.stagingSlot),
    row('Production slot (serving now)', release.productionSlot),
    row('Verification', verify),
    row('Link expires', release.approval?.expiresAt),
    '</dl>',
  ].join('');
}

/**
 * The conditions the release goes on with (e.g. `mixed-versions`: some staging instances are not on the new
 * build), each with the instances concerned, shown above the details so nobody approves without seeing them.
 */
export function warningsNotice(release: ReleaseView): string {
  const warnings = release.warnings ?? [];
  if (warnings.length === 0) return '';
  return warnings
    .map((w) => {
      const names = w.instances?.length ? ` Instances: ${w.instances.join(', ')}.` : '';
      return `<p class="notice"><strong>Warning (${escapeHtml(w.code)}):</strong> ${escapeHtml(w.message)}.${escapeHtml(names)}</p>`;
    })
    .join('');
}

/**
 * The target's freeze: who froze it, since and until when, why, and that an approval is refused (409
 * `target-frozen`) until it is unfrozen; a reject is still taken. The form stays: the link outlives the freeze.
 */
function freezeNotice(view: ApprovalPageView): string {
  if (!view.frozen) return '';
  const then =
    view.decision === 'approve'
      ? 'Approving will be refused until it is unfrozen; a reject is still taken.'
      : 'Approvals are refused until it is unfrozen; a reject is still taken.';
  return `<p class="notice error"><strong>Target frozen:</strong> ${escapeHtml(describeFreeze(view.release.target, view.frozen))}. ${then}</p>`;
}

/**
 * The alerts firing on the target when approval was asked: those that would act must be acknowledged to
 * approve (the checkbox; the server refuses an approval without it), the others are listed as recorded only.
 */
function firingAlertsSection(
  release: ReleaseView,
  decision: ApprovalDecision,
): { html: string; ack: string } {
  const alerts = release.alerts;
  const firing = alerts?.firing ?? [];
  const acting = firing.filter((a) => a.acts);
  const item = (a: (typeof firing)[number]) =>
    `<li><strong>${escapeHtml(a.rule)}</strong> ${escapeHtml(a.severity ?? 'no severity')}, ` +
    `${escapeHtml(a.slots.length ? `slot ${a.slots.join(' and ')}` : 'shared resources')}, ` +
    `fired ${escapeHtml(a.firedAt)}${a.acts ? '' : ` <span class="muted">(${escapeHtml(a.reason)})</span>`}</li>`;
  if (firing.length === 0 && alerts?.checkError === undefined) return { html: '', ack: '' };
  const more =
    (alerts?.firingTotal ?? firing.length) > firing.length
      ? `<p class="muted">${escapeHtml((alerts?.firingTotal ?? 0) - firing.length)} more not shown.</p>`
      : '';
  const html =
    '<section class="alerts">' +
    (alerts?.checkError !== undefined
      ? `<p><strong>Firing alerts could not be checked:</strong> ${escapeHtml(alerts.checkError)}</p>`
      : '') +
    (firing.length > 0
      ? `<p><strong>Alerts firing on ${escapeHtml(release.target)}</strong> (checked ${escapeHtml(alerts?.checkedAt)}):</p>` +
        `<ul>${firing.map(item).join('')}</ul>${more}`
      : '') +
    '</section>';
  const needsAck = decision === 'approve' && (acting.length > 0 || alerts?.checkError !== undefined);
  const ack = needsAck
    ? '<label class="ack"><input type="checkbox" name="acknowledgeAlerts" value="true" required>' +
      'I have seen the firing alerts above and want to swap anyway</label>'
    : '';
  return { html, ack };
}

/**
 * Who may decide and how far the approval is: the approvals so far (who, when) and how many more are needed,
 * shown on every page of a release that asks for more than one approval or names its approvers.
 */
export function approvalProgress(release: ReleaseView): string {
  const a = release.approval;
  if (!a?.required) return '';
  const votes = a.approvals ?? [];
  const min = a.minApprovers ?? 1;
  if (a.approvers === undefined && min <= 1 && votes.length === 0) return '';
  const list = votes.length
    ? `<ul>${votes
        .map(
          (v) =>
            `<li><strong>${escapeHtml(v.by)}</strong> approved at ${escapeHtml(v.at)}` +
            `${v.authenticated ? '' : ' <span class="muted">(typed name)</span>'}` +
            `${v.comment ? `: ${escapeHtml(v.comment)}` : ''}</li>`,
        )
        .join('')}</ul>`
    : '<p>No approvals yet.</p>';
  const needed = a.pending
    ? `<p><strong>Still needed:</strong> ${escapeHtml(a.needed ?? Math.max(min - votes.length, 0))} more approval(s) from distinct approvers.</p>`
    : '';
  const who = a.approvers?.length
    ? `<p>Who may decide (signed in): ${escapeHtml(a.approvers.join(', '))}.` +
      `${a.allowSelfApproval ? '' : " The build's requester may not approve it."}</p>`
    : a.allowSelfApproval === false
      ? "<p>The build's requester may not approve it.</p>"
      : '';
  return (
    `<section class="progress"><h2>Approvals: ${escapeHtml(votes.length)} of ${escapeHtml(min)}</h2>` +
    `${list}${needed}${who}</section>`
  );
}

function page(title: string, body: string): string {
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width,initial-scale=1">' +
    '<meta name="robots" content="noindex,nofollow"><meta name="referrer" content="no-referrer">' +
    `<title>${escapeHtml(title)}</title><style>${CSS}</style></head><body><main>${body}</main></body></html>`
  );
}

/** The page a GET on an approval link shows: the release, and a form that POSTs the decision. */
export function renderApprovalPage(view: ApprovalPageView): string {
  const verb = view.decision === 'approve' ? 'Approve' : 'Reject';
  const title = `${verb} release ${view.release.id}`;
  const consequence =
    view.decision === 'approve'
      ? `Approving swaps production traffic of <strong>${escapeHtml(view.release.target)}</strong> to the staging slot` +
        `${view.release.stagingSlot ? ` <strong>${escapeHtml(view.release.stagingSlot)}</strong>` : ''}.`
      : 'Rejecting ends the release; production is not touched.';
  const alerts = firingAlertsSection(view.release, view.decision);
  let action: string;
  if (view.alreadyDecided !== undefined) {
    action = `<p class="notice">${escapeHtml(view.alreadyDecided)}</p>`;
  } else if (view.error !== undefined) {
    action = `<p class="notice error">${escapeHtml(view.error)}</p>`;
  } else if (view.policy?.alreadyApproved !== undefined) {
    action = `<p class="notice ok">You (${escapeHtml(view.principal)}) approved at ${escapeHtml(view.policy.alreadyApproved)}; another approver must approve too.</p>`;
  } else if (view.policy?.refusal !== undefined) {
    const signIn =
      view.principal === undefined && view.policy.signInUrl !== undefined
        ? ` <a href="${escapeHtml(view.policy.signInUrl)}">Sign in</a>`
        : '';
    action = `<p class="notice error">${escapeHtml(view.policy.refusal)}.${signIn}</p>`;
  } else {
    const who =
      view.principal !== undefined
        ? `<p>Deciding as <strong>${escapeHtml(view.principal)}</strong> (signed in).</p>`
        : '<label for="approver">Your name or e-mail</label>' +
          '<input type="text" id="approver" name="approver" maxlength="200" required autocomplete="email">';
    action =
      `<form method="post" action="${escapeHtml(safePostUrl(view.postUrl))}">` +
      `<input type="hidden" name="token" value="${escapeHtml(view.token)}">` +
      who +
      '<label for="comment">Comment (optional)</label>' +
      '<textarea id="comment" name="comment" rows="3" maxlength="1000"></textarea>' +
      alerts.ack +
      `<button type="submit" class="${view.decision}">${verb}</button>` +
      '</form>' +
      '<p class="muted">Opening this page changes nothing; only submitting the form decides.</p>';
  }
  return page(
    title,
    `<h1>${escapeHtml(title)}</h1><p>${consequence}</p>${freezeNotice(view)}${warningsNotice(view.release)}${alerts.html}${approvalProgress(view.release)}${releaseDetails(view.release)}${action}`,
  );
}

/** The page answered to a decision POST from the form. */
export function renderResultPage(view: ResultPageView): string {
  const cls = view.outcome === 'refused' ? 'notice error' : 'notice ok';
  return page(
    view.title,
    `<h1>${escapeHtml(view.title)}</h1><p class="${cls}">${escapeHtml(view.message)}</p>` +
      (view.release ? approvalProgress(view.release) + releaseDetails(view.release) : ''),
  );
}
