/**
 * The operators' console pages, rendered on the server: the dashboard (targets, release list) and a release page
 * (its live timeline and the actions it allows). Self-contained HTML: one inline style and one inline script,
 * both allowed by hash; every value escaped; forms post to the app itself, so approve, reject and rollback work
 * without JavaScript.
 */
import { createHash } from 'node:crypto';
import type { TargetView } from '../api/targets';
import { escapeHtml } from '../approval/page';
import type { AlertBrief, ReleaseView, TimelineEntry } from '../domain';
import { alertsNeedingAcknowledgement } from '../orchestration/steps/awaitApproval';
import { RELEASE_STATUSES, formatDuration, hasEnded, releaseActions, stepElapsed } from './model';
import { CONSOLE_SCRIPT, CONSOLE_SCRIPT_HASH } from './script';

const CSS = [
  ':root{--fg:#1b1b1b;--muted:#595959;--line:#d1d1d1;--bg:#f3f3f3;--card:#fff;--focus:#005a9e}',
  '*{box-sizing:border-box}',
  'body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:var(--bg);color:var(--fg);line-height:1.45}',
  'a{color:#0050a0}a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,summary:focus-visible{outline:3px solid var(--focus);outline-offset:2px}',
  '.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem 1rem}.skip:focus{left:.5rem;z-index:9}',
  'header.top{background:#1f2a37;color:#fff;padding:.6rem 1.5rem;display:flex;gap:1.5rem;align-items:center;flex-wrap:wrap}',
  'header.top a{color:#fff;font-weight:600;text-decoration:none}header.top a:hover{text-decoration:underline}',
  'header.top .who{margin-left:auto;font-size:.9rem;color:#e6e6e6}',
  'main{max-width:72rem;margin:1.2rem auto;padding:0 1rem}',
  'h1{font-size:1.45rem;margin:.4rem 0 .8rem}h2{font-size:1.1rem;margin:0 0 .6rem}h3{font-size:1rem;margin:1rem 0 .4rem}',
  'section.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:1rem 1.2rem;margin:0 0 1rem}',
  'table{border-collapse:collapse;width:100%;font-size:.92rem}',
  'th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}',
  'th{background:#fafafa;font-weight:600}thead th,tbody th{white-space:nowrap}caption{text-align:left;padding:0 0 .4rem}',
  'td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}',
  'dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:.6rem 0 0}',
  'dl.facts dt{font-weight:600}dl.facts dd{margin:0;word-break:break-word}dl.facts ul{margin:0;padding-left:1.1rem}',
  '.badge{display:inline-block;padding:.1rem .55rem;border-radius:999px;font-size:.85rem;font-weight:600;color:#fff;background:#5c5c5c;white-space:nowrap}',
  '.b-Succeeded{background:#0e6b0e}.b-Failed,.b-RolledBack{background:#a4262c}.b-Running{background:#005a9e}',
  '.b-Queued{background:#5c5c5c}.b-Rejected,.b-Expired,.b-Superseded,.b-Cancelled{background:#5c5c5c}',
  '.b-awaiting{background:#fff4ce;color:#3b2e00;border:1px solid #8a6d00}',
  '.o-ok{color:#0e6b0e;font-weight:600}.o-failed{color:#a4262c;font-weight:600}.o-running{color:#005a9e;font-weight:600}',
  '.o-other{color:var(--muted);font-weight:600}',
  '.notice{padding:.6rem .8rem;border-radius:4px;background:#fff4ce;border-left:4px solid #8a6d00;margin:.5rem 0}',
  '.notice.error{background:#fde7e9;border-left-color:#a4262c}.notice.ok{background:#dff6dd;border-left-color:#0e6b0e}',
  '.muted{color:var(--muted);font-size:.9rem}',
  'pre{background:#1f2a37;color:#f3f3f3;padding:.5rem .7rem;border-radius:4px;overflow:auto;max-height:14rem;font-size:.82rem;margin:.3rem 0;white-space:pre-wrap}',
  'form.filters{display:flex;gap:.8rem;flex-wrap:wrap;align-items:flex-end;margin-bottom:.8rem}',
  'form.filters label{display:flex;flex-direction:column;font-size:.88rem;font-weight:600}',
  'select,input,textarea{font:inherit;padding:.3rem .4rem;border:1px solid #8a8a8a;border-radius:4px;background:#fff;color:var(--fg)}',
  '.actions{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:1rem}',
  '.actions form{border:1px solid var(--line);border-radius:6px;padding:.7rem .9rem}',
  '.actions label{display:block;font-weight:600;margin:.3rem 0 .2rem}.actions textarea,.actions input[type=text]{width:100%}',
  '.actions .ack{display:flex;gap:.4rem;align-items:flex-start}',
  'button{font:inherit;font-weight:600;padding:.45rem 1.1rem;border:0;border-radius:4px;color:#fff;background:#005a9e;cursor:pointer;margin-top:.5rem}',
  'button.approve{background:#0e6b0e}button.reject,button.rollback,button.cancel{background:#a4262c}button.plain{background:#424242}',
  '.slots{display:flex;gap:.4rem;flex-wrap:wrap}.slot{border:1px solid var(--line);border-radius:4px;padding:.05rem .45rem;white-space:nowrap}',
  '.slot.live{border-color:#0e6b0e;background:#dff6dd}',
  '.pager{display:flex;gap:1rem;margin-top:.6rem}',
  '#poll-status{font-size:.85rem;color:var(--muted);margin:.2rem 0 .8rem}',
  'form.freeze{display:flex;gap:.3rem .5rem;flex-wrap:wrap;align-items:center}form.freeze button{margin-top:0}',
  'form.freeze label{font-weight:600;font-size:.88rem}form.freeze input[type=text]{min-width:12rem;flex:1}',
  'td p{margin:.1rem 0 .3rem}p.reason{font-style:italic}',
].join('');

const STYLE_HASH = `sha256-${createHash('sha256').update(CSS, 'utf8').digest('base64')}`;

/**
 * Headers of every console page: never cached (they show who is signed in and live state), no framing, no
 * referrer, and a CSP that allows only the page's own style and script (by hash), fetches and form posts to the
 * app itself: nothing from elsewhere, no other inline code.
 */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Robots-Tag': 'noindex, nofollow',
  'Referrer-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy':
    `default-src 'self'; script-src '${CONSOLE_SCRIPT_HASH}'; style-src '${STYLE_HASH}'; img-src 'self'; ` +
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
});

/** Where the console lives under the app's routes. */
export const CONSOLE_PATH = '/api/console';

/** The path of a release's console page. */
export function releasePath(id: string): string {
  return `${CONSOLE_PATH}/releases/${encodeURIComponent(id)}`;
}

function time(iso: string | undefined): string {
  if (!iso) return '';
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return escapeHtml(iso);
  const text = new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return `<time datetime="${escapeHtml(iso)}">${escapeHtml(text)}</time>`;
}

function badge(view: Pick<ReleaseView, 'status' | 'phase'>): string {
  if (view.status === 'Running' && view.phase === 'awaiting-approval') {
    return '<span class="badge b-awaiting">Awaiting approval</span>';
  }
  return `<span class="badge b-${escapeHtml(view.status)}">${escapeHtml(view.status)}</span>`;
}

function outcomeCell(entry: TimelineEntry): string {
  const outcome = entry.outcome ?? (entry.endedAt ? 'done' : 'running');
  const cls =
    outcome === 'ok'
      ? 'o-ok'
      : outcome === 'failed'
        ? 'o-failed'
        : outcome === 'running'
          ? 'o-running'
          : 'o-other';
  return `<span class="${cls}">${escapeHtml(outcome)}</span>`;
}

function row(label: string, value: string | undefined): string {
  return value ? `<dt>${escapeHtml(label)}</dt><dd>${value}</dd>` : '';
}

function text(value: unknown): string | undefined {
  return value === undefined || value === null || value === '' ? undefined : escapeHtml(value);
}

function safeLink(url: string | undefined, label: string): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return escapeHtml(label);
  } catch {
    return escapeHtml(label);
  }
  return `<a href="${escapeHtml(url)}" rel="noreferrer noopener">${escapeHtml(label)}</a>`;
}

function layout(title: string, identity: string | undefined, body: string): string {
  const who = identity
    ? `<span class="who">Signed in as <strong>${escapeHtml(identity)}</strong></span>`
    : '';
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width,initial-scale=1">' +
    '<meta name="robots" content="noindex,nofollow">' +
    `<title>${escapeHtml(title)}</title><style>${CSS}</style></head><body>` +
    '<a class="skip" href="#main">Skip to content</a>' +
    `<header class="top"><nav aria-label="Console"><a href="${CONSOLE_PATH}">Release console</a></nav>${who}</header>` +
    `<main id="main">${body}</main>` +
    `<script>${CONSOLE_SCRIPT}</script></body></html>`
  );
}

/** A notice shown at the top of a page after an action (fixed texts chosen by the server, never reflected). */
export interface ConsoleNotice {
  kind: 'ok' | 'error';
  text: string;
}

function noticeHtml(notice: ConsoleNotice | undefined): string {
  if (!notice) return '';
  const role = notice.kind === 'error' ? 'alert' : 'status';
  return `<p class="notice ${notice.kind}" role="${role}">${escapeHtml(notice.text)}</p>`;
}

/** The filters of the release list, as the dashboard's form holds them. */
export interface ListFilter {
  target?: string;
  status?: string;
  /** ISO 8601: created at or after / at or before. */
  createdFrom?: string;
  createdTo?: string;
  limit: number;
}

/** A target on the dashboard: as the targets API has it, with its traffic provider's name. */
export interface DashboardTarget extends TargetView {
  /** The provider whose endpoints `liveSlot` was read from, as people read it (its display name, else its kind). */
  traffic?: string;
}

/** What the dashboard shows. */
export interface DashboardView {
  identity: string;
  targets: DashboardTarget[];
  releases: ReleaseView[];
  filter: ListFilter;
  /** Set when more releases may follow: the link to the next page. */
  nextPage?: string;
  /** Set on a later page: the link back to the first. */
  firstPage?: string;
  /** The dashboard's URL with its filters (what the page polls). */
  self: string;
  /** After a freeze form: what happened (fixed texts), or why it was refused. */
  notice?: ConsoleNotice;
}

/** The path a target's freeze forms post to. */
export function targetActionPath(target: string, action: 'freeze' | 'unfreeze'): string {
  return `${CONSOLE_PATH}/targets/${encodeURIComponent(target)}/${action}`;
}

/** How long a freeze from the console lasts: the form's choices (value: hours; empty: until unfrozen). */
export const FREEZE_DURATIONS: readonly { value: string; label: string; hours?: number }[] = [
  { value: '', label: 'until unfrozen' },
  { value: '1h', label: 'for 1 hour', hours: 1 },
  { value: '4h', label: 'for 4 hours', hours: 4 },
  { value: '12h', label: 'for 12 hours', hours: 12 },
  { value: '24h', label: 'for 24 hours', hours: 24 },
  { value: '3d', label: 'for 3 days', hours: 72 },
  { value: '7d', label: 'for 7 days', hours: 168 },
];

/** The freeze cell of a target: who froze it, when, why, until when, with the unfreeze form; else the freeze form. */
function freezeCell(t: TargetView): string {
  const slug = escapeHtml(t.name);
  if (t.freeze) {
    const f = t.freeze;
    return (
      `<p><span class="badge b-Failed">Frozen</span> by <strong>${escapeHtml(f.by)}</strong> since ${time(f.since)}` +
      `${f.until ? `, until ${time(f.until)}` : ', until someone unfreezes it'}</p>` +
      `<p class="reason">${escapeHtml(f.reason)}</p>` +
      `<p class="muted">Builds arriving wait (the newest is kept); a release ready to swap waits. Rollbacks still run.</p>` +
      postForm({
        action: targetActionPath(t.name, 'unfreeze'),
        name: { label: `Unfreeze ${t.name}` },
        fields: '',
        button: `Unfreeze ${t.name}`,
        buttonClass: 'approve',
      })
    );
  }
  const options = FREEZE_DURATIONS.map(
    (d) => `<option value="${escapeHtml(d.value)}">${escapeHtml(d.label)}</option>`,
  ).join('');
  const last = t.lastFreeze
    ? `<p class="muted">Last frozen by ${escapeHtml(t.lastFreeze.by)} (${escapeHtml(t.lastFreeze.reason)}); ` +
      `${t.lastFreeze.endedBy === 'schedule' ? 'ended at its end time' : `unfrozen by ${escapeHtml(t.lastFreeze.endedBy)}`} ${time(t.lastFreeze.endedAt)}</p>`
    : '';
  const form = postForm({
    action: targetActionPath(t.name, 'freeze'),
    name: { label: `Freeze ${t.name}` },
    className: 'freeze',
    fields:
      `<label for="freeze-reason-${slug}">Reason</label>` +
      `<input type="text" id="freeze-reason-${slug}" name="reason" maxlength="500" required>` +
      `<label for="freeze-for-${slug}">Ends</label>` +
      `<select id="freeze-for-${slug}" name="for">${options}</select>`,
    button: `Freeze ${t.name}`,
    buttonClass: 'reject',
  });
  return form + last;
}

function targetsTable(targets: DashboardTarget[]): string {
  if (targets.length === 0) return '<p>No targets are configured.</p>';
  const rows = targets.map((t) => {
    const slots = t.slots
      .map((s) => {
        const live = s.name === t.liveSlot;
        const build = s.build
          ? s.release
            ? `<a href="${escapeHtml(releasePath(s.release))}">${escapeHtml(s.build.number)}</a>`
            : escapeHtml(s.build.number)
          : '<span class="muted">no release on record</span>';
        return `<span class="slot${live ? ' live' : ''}"><strong>${escapeHtml(s.name)}</strong>${live ? ' (live)' : ''}: ${build}</span>`;
      })
      .join('');
    const running = t.running
      ? `<a href="${escapeHtml(releasePath(t.running.id))}">${escapeHtml(t.running.id)}</a> ` +
        `${badge(t.running)} <span class="muted">${escapeHtml(t.running.phase)}</span>`
      : '<span class="muted">none</span>';
    const live = t.liveSlot
      ? escapeHtml(t.liveSlot)
      : `<span class="o-failed">unknown</span> <span class="muted">${escapeHtml(t.liveSlotProblem ?? '')}</span>`;
    const provider = t.traffic ? ` <span class="muted">(${escapeHtml(t.traffic)})</span>` : '';
    const frozen = t.frozen ? ' <span class="badge b-Failed">Frozen</span>' : '';
    return (
      `<tr><th scope="row">${escapeHtml(t.name)}${frozen}</th><td>${live}${provider}</td>` +
      `<td><div class="slots">${slots}</div></td><td>${running}</td><td>${freezeCell(t)}</td></tr>`
    );
  });
  return (
    '<table><caption class="muted">Live slot as each target\'s traffic provider (in brackets) has it now; builds as the releases deployed them</caption>' +
    '<thead><tr><th scope="col">Target</th><th scope="col">Live slot</th><th scope="col">Slots and builds</th>' +
    `<th scope="col">Running release</th><th scope="col">Freeze</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  );
}

function filterForm(filter: ListFilter, targetNames: readonly string[]): string {
  const option = (value: string, label: string, selected: boolean) =>
    `<option value="${escapeHtml(value)}"${selected ? ' selected' : ''}>${escapeHtml(label)}</option>`;
  const targets = [
    option('', 'All targets', !filter.target),
    ...targetNames.map((n) => option(n, n, filter.target === n)),
  ];
  const statuses = [
    option('', 'Any status', !filter.status),
    ...RELEASE_STATUSES.map((s) => option(s, s, filter.status?.toLowerCase() === s.toLowerCase())),
  ];
  return (
    `<form class="filters" method="get" action="${CONSOLE_PATH}" aria-label="Filter releases">` +
    `<label for="f-target">Target<select id="f-target" name="target">${targets.join('')}</select></label>` +
    `<label for="f-status">Status<select id="f-status" name="status">${statuses.join('')}</select></label>` +
    `<label for="f-from">Created from<input id="f-from" name="createdFrom" type="date" value="${escapeHtml(filter.createdFrom?.slice(0, 10) ?? '')}"></label>` +
    `<label for="f-to">Created to<input id="f-to" name="createdTo" type="date" value="${escapeHtml(filter.createdTo?.slice(0, 10) ?? '')}"></label>` +
    `<label for="f-limit">Per page<input id="f-limit" name="limit" type="number" min="1" max="500" value="${escapeHtml(filter.limit)}"></label>` +
    '<button type="submit" class="plain">Show</button></form>'
  );
}

function releasesTable(releases: ReleaseView[]): string {
  if (releases.length === 0) return '<p>No releases match on this page.</p>';
  const rows = releases.map(
    (r) =>
      `<tr><td><a href="${escapeHtml(releasePath(r.id))}">${escapeHtml(r.id)}</a></td><td>${escapeHtml(r.target)}</td>` +
      `<td>${escapeHtml(r.build.number)}</td><td>${badge(r)}</td><td>${escapeHtml(r.phase)}</td>` +
      `<td>${escapeHtml(r.build.requestedBy ?? '')}</td><td>${time(r.createdAt)}</td><td>${time(r.updatedAt)}</td></tr>`,
  );
  return (
    '<table><caption class="muted">In the task hub\'s order: by release id, so by target and build</caption>' +
    '<thead><tr><th scope="col">Release</th><th scope="col">Target</th><th scope="col">Build</th>' +
    '<th scope="col">Status</th><th scope="col">Phase</th><th scope="col">Requested by</th>' +
    `<th scope="col">Created</th><th scope="col">Updated</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  );
}

/** The dashboard: every target's slots and running release, and the release list with its filters. */
export function renderDashboard(view: DashboardView): string {
  const links = [
    view.firstPage ? `<a href="${escapeHtml(view.firstPage)}">First page</a>` : '',
    view.nextPage ? `<a href="${escapeHtml(view.nextPage)}">Next page</a>` : '',
  ].filter(Boolean);
  const pager = links.length ? `<nav class="pager" aria-label="Pages">${links.join('')}</nav>` : '';
  const body =
    `<div data-poll="${escapeHtml(view.self)}" data-poll-ms="5000"></div>` +
    '<h1>Releases</h1><p id="poll-status" role="status" aria-live="polite">Live: updates every 5 s.</p>' +
    `<div data-part="notice">${noticeHtml(view.notice)}</div>` +
    `<section class="card" aria-labelledby="h-targets"><h2 id="h-targets">Targets</h2><div data-part="targets">${targetsTable(view.targets)}</div></section>` +
    '<section class="card" aria-labelledby="h-releases"><h2 id="h-releases">Release history</h2>' +
    filterForm(
      view.filter,
      view.targets.map((t) => t.name),
    ) +
    `<div data-part="releases">${releasesTable(view.releases)}${pager}</div></section>`;
  return layout('Release console', view.identity, body);
}

/** What a release page shows. */
export interface ReleasePageView {
  identity: string;
  release: ReleaseView;
  notice?: ConsoleNotice;
  now: Date;
}

/** Beside the badge: the phase while it runs, and where traffic is. */
function stateText(r: ReleaseView): string {
  // The badge already says it awaits approval; otherwise the phase tells where a running release is.
  const phase = hasEnded(r) || r.status === 'Queued' || r.phase === 'awaiting-approval' ? '' : r.phase;
  const live = r.liveSlot ? `traffic on ${r.liveSlot}` : '';
  return [phase, live].filter(Boolean).join('; ');
}

function summarySection(r: ReleaseView): string {
  const b = r.build;
  const facts = [
    row('Status', `${badge(r)} ${escapeHtml(stateText(r))}`),
    row('Target', text(r.target)),
    row('Build', safeLink(b.url, b.number) ?? text(b.number)),
    row('Pipeline', text(b.pipeline)),
    row('Branch', text(b.branch)),
    row('Commit', text(b.commit)),
    row('Requested by', text(b.requestedBy)),
    row('Production slot (when it started)', text(r.productionSlot)),
    row('Staging slot (the new build)', text(r.stagingSlot)),
    row('Live slot', text(r.liveSlot)),
    row(
      'Superseded by',
      r.supersededBy
        ? `<a href="${escapeHtml(releasePath(r.supersededBy))}">${escapeHtml(r.supersededBy)}</a>`
        : undefined,
    ),
    row(
      'Re-run of',
      r.rerun
        ? `<a href="${escapeHtml(releasePath(r.rerun.of))}">${escapeHtml(r.rerun.of)}</a> (attempt ${escapeHtml(r.rerun.attempt)}), asked by ${escapeHtml(r.rerun.requestedBy)}: ${escapeHtml(r.rerun.reason)}${r.rerun.forced ? ` (forced past ${escapeHtml(r.rerun.forced.newer)})` : ''}`
        : undefined,
    ),
    row(
      'Cancelled',
      r.cancellation
        ? `by ${escapeHtml(r.cancellation.requestedBy)} at ${time(r.cancellation.requestedAt)}${r.cancellation.phase ? ` (while ${escapeHtml(r.cancellation.phase)})` : ''}: ${escapeHtml(r.cancellation.reason)}`
        : undefined,
    ),
    row('Created', time(r.createdAt)),
    row('Updated', time(r.updatedAt)),
  ];
  return `<dl class="facts">${facts.join('')}</dl>`;
}

function warningsAndError(r: ReleaseView): string {
  const warnings = (r.warnings ?? []).map((w) => {
    const names = w.instances?.length ? ` Instances: ${w.instances.join(', ')}.` : '';
    return `<p class="notice"><strong>Warning (${escapeHtml(w.code)}):</strong> ${escapeHtml(w.message)}.${escapeHtml(names)}</p>`;
  });
  const held = r.freeze
    ? `<p class="notice"><strong>Swap held:</strong> target ${escapeHtml(r.target)} is frozen by ${escapeHtml(r.freeze.by)}` +
      `${r.freeze.until ? ` until ${time(r.freeze.until)}` : ''}: ${escapeHtml(r.freeze.reason)}. Traffic moves once it is unfrozen.</p>`
    : '';
  const error = r.error
    ? `<p class="notice error"><strong>Failed at ${escapeHtml(r.error.step)}</strong> (${escapeHtml(r.error.resource)}): ${escapeHtml(r.error.message)}</p>`
    : '';
  return held + warnings.join('') + error;
}

/** A form that posts to `action`, named by its heading's id or by a label, with its fields and submit button. */
interface PostForm {
  action: string;
  name: { labelledBy: string } | { label: string };
  className?: string;
  /** What stands above the button, as HTML. */
  fields: string;
  button: string;
  buttonClass?: string;
}

/** Every console form that acts: the same markup for the release actions and the freeze forms. */
function postForm(f: PostForm): string {
  const name =
    'label' in f.name
      ? `aria-label="${escapeHtml(f.name.label)}"`
      : `aria-labelledby="${escapeHtml(f.name.labelledBy)}"`;
  const cls = (c: string | undefined) => (c ? ` class="${c}"` : '');
  return (
    `<form${cls(f.className)} method="post" action="${escapeHtml(f.action)}" ${name}>${f.fields}` +
    `<button type="submit"${cls(f.buttonClass)}>${escapeHtml(f.button)}</button></form>`
  );
}

/** A release's action form: headed by its title, what it does (`note`, HTML), then its fields. */
function actionForm(
  r: ReleaseView,
  f: { action: string; title: string; note: string; fields: string; button: string; buttonClass?: string },
): string {
  return postForm({
    action: `${releasePath(r.id)}/${f.action}`,
    name: { labelledBy: `a-${f.action}` },
    fields: `<h3 id="a-${f.action}">${escapeHtml(f.title)}</h3><p class="muted">${f.note}</p>${f.fields}`,
    button: f.button,
    ...(f.buttonClass ? { buttonClass: f.buttonClass } : {}),
  });
}

/** An optional comment (approve, reject). */
function commentField(action: string): string {
  return (
    `<label for="${action}-comment">Comment (optional)</label>` +
    `<textarea id="${action}-comment" name="comment" rows="2" maxlength="1000"></textarea>`
  );
}

/** A required reason (roll back, cancel, re-run). */
function reasonField(action: string): string {
  return (
    `<label for="${action}-reason">Reason</label>` +
    `<input type="text" id="${action}-reason" name="reason" maxlength="1000" required>`
  );
}

function actionsSection(r: ReleaseView): string {
  const can = releaseActions(r);
  const forms: string[] = [];
  if (can.approve) {
    const acting = alertsNeedingAcknowledgement(r.alerts?.firing);
    const ack =
      acting.length > 0 || r.alerts?.checkError !== undefined
        ? '<label class="ack"><input type="checkbox" name="acknowledgeAlerts" value="true" required>' +
          'I have seen the firing alerts and want to swap anyway</label>'
        : '';
    forms.push(
      actionForm(r, {
        action: 'approve',
        title: 'Approve',
        note: `Swaps production traffic to ${escapeHtml(r.stagingSlot ?? 'the staging slot')}.`,
        fields: commentField('approve') + ack,
        button: 'Approve',
        buttonClass: 'approve',
      }),
    );
  }
  if (can.reject) {
    forms.push(
      actionForm(r, {
        action: 'reject',
        title: 'Reject',
        note: 'Ends the release; production is not touched.',
        fields: commentField('reject'),
        button: 'Reject',
        buttonClass: 'reject',
      }),
    );
  }
  if (can.rollback) {
    forms.push(
      actionForm(r, {
        action: 'rollback',
        title: 'Roll back',
        note: `Swaps traffic back to ${escapeHtml(r.productionSlot ?? 'the previous slot')}.`,
        fields: reasonField('rollback'),
        button: 'Roll back',
        buttonClass: 'rollback',
      }),
    );
  }
  if (can.cancel) {
    forms.push(
      actionForm(r, {
        action: 'cancel',
        title: 'Cancel',
        note: 'Stops the release before its swap (deploys in flight finish); production is not touched.',
        fields: reasonField('cancel'),
        button: 'Cancel release',
        buttonClass: 'cancel',
      }),
    );
  }
  if (can.rerun) {
    forms.push(
      actionForm(r, {
        action: 'rerun',
        title: 'Re-run',
        note: `Releases build ${escapeHtml(r.build.number)} again, as a new release through the lane.`,
        fields:
          reasonField('rerun') +
          '<label class="ack"><input type="checkbox" name="force" value="true">' +
          'Even if a newer build is live or running (moves production back)</label>',
        button: 'Re-run',
      }),
    );
  }
  if (forms.length === 0) return '<p class="muted">No action is possible in this state.</p>';
  return `<div class="actions">${forms.join('')}</div>`;
}

function approvalSection(r: ReleaseView): string {
  const a = r.approval;
  if (!a) return '';
  const state = a.decision
    ? `${a.decision}${a.approver ? ` by ${a.approver}` : ''}`
    : r.phase === 'awaiting-approval'
      ? 'waiting for a decision'
      : 'not asked yet';
  const votes = a.approvals ?? [];
  const progress =
    a.minApprovers !== undefined && a.minApprovers > 1
      ? `${votes.length} of ${a.minApprovers}${a.decision ? '' : `; ${a.needed ?? Math.max(0, a.minApprovers - votes.length)} still needed`}`
      : undefined;
  const facts = [
    row('Required', a.required ? 'yes' : 'no (approved automatically)'),
    row('State', escapeHtml(state)),
    row('Approvals', progress ? escapeHtml(progress) : undefined),
    row(
      'Approved so far',
      votes.length
        ? `<ul>${votes
            .map(
              (v) =>
                `<li>${escapeHtml(v.by)}${v.authenticated ? '' : ' (typed name)'} at ${time(v.at)}${v.comment ? `: ${escapeHtml(v.comment)}` : ''}</li>`,
            )
            .join('')}</ul>`
        : undefined,
    ),
    row('May decide', a.approvers?.length ? escapeHtml(a.approvers.join(', ')) : undefined),
    row('Decided', time(a.decidedAt)),
    row('Comment', text(a.comment)),
    row('Expires', a.decision ? undefined : time(a.expiresAt)),
    row(
      'Alerts acknowledged',
      r.alerts?.acknowledged
        ? escapeHtml(`${r.alerts.acknowledged.alertIds.length} by ${r.alerts.acknowledged.by}`)
        : undefined,
    ),
  ];
  return `<h3>Approval</h3><dl class="facts">${facts.join('')}</dl>`;
}

function timelineTable(r: ReleaseView, now: Date): string {
  if (r.timeline.length === 0) return '<p class="muted">Nothing has run yet.</p>';
  const rows = r.timeline.map(
    (t) =>
      `<tr><th scope="row">${escapeHtml(t.step)}</th><td>${outcomeCell(t)}</td><td>${time(t.startedAt)}</td>` +
      `<td class="num">${escapeHtml(formatDuration(stepElapsed(t, now)))}</td><td>${escapeHtml(t.detail ?? '')}</td></tr>`,
  );
  return (
    '<table><thead><tr><th scope="col">Step</th><th scope="col">Outcome</th><th scope="col">Started</th>' +
    `<th scope="col" class="num">Duration</th><th scope="col">Detail</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  );
}

function deploySection(r: ReleaseView): string {
  const d = r.deploy;
  if (!d) return '';
  const counted =
    d.total !== undefined && d.total > d.instances.length
      ? ` (showing ${d.instances.length} of ${d.total}; the full list once it ends)`
      : '';
  const rows = d.instances.map(
    (i, n) =>
      `<tr><th scope="row">${escapeHtml(i.instance)}</th><td class="${i.succeeded ? 'o-ok' : 'o-failed'}">${i.succeeded ? 'ok' : 'failed'}</td>` +
      `<td>${escapeHtml(i.exitCode)}</td><td>${
        i.outputTail
          ? `<details id="output-${n}"${i.succeeded ? '' : ' open'}><summary>output</summary><pre>${escapeHtml(i.outputTail)}</pre></details>`
          : '<span class="muted">no output</span>'
      }</td></tr>`,
  );
  return (
    `<h3>Deploy</h3><p class="muted">${escapeHtml(d.failed)} failed, ${escapeHtml(d.tolerated)} tolerated${escapeHtml(counted)}.</p>` +
    '<table><thead><tr><th scope="col">Instance</th><th scope="col">Result</th><th scope="col">Exit code</th>' +
    `<th scope="col">Output</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  );
}

function verifySection(r: ReleaseView): string {
  const v = r.verify;
  if (!v) return '';
  const head =
    `<p><span class="${v.ok ? 'o-ok' : 'o-failed'}">${v.ok ? 'passed' : 'failed'}</span> ` +
    `${escapeHtml(v.url)}${v.version ? `, version ${escapeHtml(v.version)}` : ''}, ${escapeHtml(v.attempts)} attempt(s)` +
    `${v.detail ? `: ${escapeHtml(v.detail)}` : ''}</p>`;
  const rows = (v.instances ?? []).map(
    (i) =>
      `<tr><th scope="row">${escapeHtml(i.instance)}</th><td>${escapeHtml(i.address ?? '')}</td>` +
      `<td class="${i.ok ? 'o-ok' : 'o-failed'}">${i.ok ? 'ok' : 'failed'}</td><td>${escapeHtml(i.version ?? '')}</td><td>${escapeHtml(i.detail)}</td></tr>`,
  );
  const table = rows.length
    ? '<table><thead><tr><th scope="col">Instance</th><th scope="col">Address</th><th scope="col">Verdict</th>' +
      `<th scope="col">Version</th><th scope="col">Detail</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
    : '';
  return `<h3>Verify</h3>${head}${table}`;
}

function briefRow(a: AlertBrief, extra: string): string {
  return (
    `<tr><th scope="row">${escapeHtml(a.rule)}</th><td>${escapeHtml(a.severity ?? '')}</td>` +
    `<td>${escapeHtml(a.slots.length ? a.slots.join(', ') : 'shared')}</td>${extra}` +
    `<td class="${a.acts ? 'o-failed' : 'o-other'}">${a.acts ? 'acts' : 'recorded'}</td><td>${escapeHtml(a.reason)}</td></tr>`
  );
}

function alertsSection(r: ReleaseView): string {
  const al = r.alerts;
  if (!al) return '';
  const parts: string[] = [];
  if (al.checkError)
    parts.push(
      `<p class="notice error">Firing alerts could not be checked: ${escapeHtml(al.checkError)}</p>`,
    );
  if (al.firing?.length) {
    parts.push(
      `<p>Firing when approval was asked (checked ${time(al.checkedAt)}${(al.firingTotal ?? 0) > al.firing.length ? `, ${escapeHtml(al.firingTotal)} in all` : ''}):</p>` +
        '<table><thead><tr><th scope="col">Rule</th><th scope="col">Severity</th><th scope="col">Slots</th>' +
        '<th scope="col">Fired</th><th scope="col">Decision</th><th scope="col">Why</th></tr></thead><tbody>' +
        al.firing.map((a) => briefRow(a, `<td>${time(a.firedAt)}</td>`)).join('') +
        '</tbody></table>',
    );
  }
  if (al.decisions?.length) {
    parts.push(
      '<p>Received during the bake:</p>' +
        '<table><thead><tr><th scope="col">Rule</th><th scope="col">Severity</th><th scope="col">Slots</th>' +
        '<th scope="col">Condition</th><th scope="col">Received</th><th scope="col">Decision</th><th scope="col">Why</th></tr></thead><tbody>' +
        al.decisions
          .map((d) => briefRow(d, `<td>${escapeHtml(d.monitorCondition)}</td><td>${time(d.receivedAt)}</td>`))
          .join('') +
        '</tbody></table>',
    );
  }
  if (al.rollbackHeld) {
    parts.push(
      `<p class="notice error">Rollback held at ${time(al.rollbackHeld.at)}: ${escapeHtml(al.rollbackHeld.rule)}: ${escapeHtml(al.rollbackHeld.reason)}</p>`,
    );
  }
  if (al.bake && !al.decisions?.length) parts.push('<p>No alert received during the bake.</p>');
  if (al.bake) {
    parts.push(`<p class="muted">Bake from ${time(al.bake.startedAt)} until ${time(al.bake.endsAt)}.</p>`);
  }
  if (parts.length === 0) return '';
  return `<h3>Alerts</h3>${parts.join('')}`;
}

function rollbackSection(r: ReleaseView): string {
  const rb = r.rollback;
  if (!rb) return '';
  const trigger =
    rb.trigger === 'manual'
      ? `manual, requested by ${rb.requestedBy ?? 'unknown'}`
      : `alert ${rb.alert?.rule ?? ''}${rb.alert?.severity ? ` (${rb.alert.severity})` : ''}`;
  const facts = [
    row('Trigger', escapeHtml(trigger)),
    row('Alert fired', time(rb.alert?.firedAt)),
    row('Requested', time(rb.requestedAt)),
    row('Traffic back', rb.trafficBackAt ? time(rb.trafficBackAt) : 'not yet'),
    row(
      rb.trigger === 'manual' ? 'Request to traffic back' : 'Alert fired to traffic back',
      rb.latencyMs !== undefined ? escapeHtml(formatDuration(rb.latencyMs)) : undefined,
    ),
    row(
      'Alert received to traffic back',
      rb.reactionMs !== undefined ? escapeHtml(formatDuration(rb.reactionMs)) : undefined,
    ),
    row('Attempts', text(rb.attempts)),
    row('Last error', text(rb.lastError)),
    row('Next attempt', time(rb.nextAttemptAt)),
  ];
  return `<h3>Rollback</h3><dl class="facts">${facts.join('')}</dl>`;
}

/** A release: summary, actions, and its live timeline with every step's evidence. */
export function renderReleasePage(view: ReleasePageView): string {
  const r = view.release;
  const live = !hasEnded(r);
  const body =
    (live ? `<div data-poll="${escapeHtml(releasePath(r.id))}" data-poll-ms="2000"></div>` : '') +
    `<h1>Release ${escapeHtml(r.id)}</h1>` +
    `<p id="poll-status" role="status" aria-live="polite">${live ? 'Live: updates every 2 s.' : 'This release has ended.'}</p>` +
    `<div data-part="notice">${noticeHtml(view.notice)}</div>` +
    `<section class="card" aria-labelledby="h-summary"><h2 id="h-summary">Summary</h2><div data-part="summary">${warningsAndError(r)}${summarySection(r)}</div></section>` +
    `<section class="card" aria-labelledby="h-actions"><h2 id="h-actions">Actions</h2><div data-part="actions">${actionsSection(r)}</div></section>` +
    `<section class="card" aria-labelledby="h-timeline"><h2 id="h-timeline">Timeline</h2><div data-part="timeline">` +
    timelineTable(r, view.now) +
    approvalSection(r) +
    deploySection(r) +
    verifySection(r) +
    alertsSection(r) +
    rollbackSection(r) +
    '</div></section>';
  return layout(`${r.id}: ${r.status}`, view.identity, body);
}

/** A page that only says something: sign-in needed, not found, an action refused. */
export function renderConsoleMessage(view: {
  title: string;
  message: string;
  identity?: string;
  kind?: 'ok' | 'error';
  link?: { href: string; label: string };
}): string {
  const link = view.link
    ? `<p><a href="${escapeHtml(view.link.href)}">${escapeHtml(view.link.label)}</a></p>`
    : '';
  return layout(
    view.title,
    view.identity,
    `<h1>${escapeHtml(view.title)}</h1><p class="notice ${view.kind ?? 'error'}">${escapeHtml(view.message)}</p>${link}`,
  );
}
