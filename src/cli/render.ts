/**
 * The CLI's text views of releases: the list, one release's timeline frame (what `show` prints and `watch`
 * redraws), and the one-line changes `watch` prints when its output is not a terminal (a pipeline's log).
 */
import type { ReleaseView, TimelineEntry } from '../core/domain';
import { formatDuration, statusLine, stepElapsed } from '../core/console/model';

/** How text is styled: ANSI colours on a terminal, plain otherwise (and with NO_COLOR). */
export interface Style {
  color: boolean;
}

const ANSI = { red: 31, green: 32, yellow: 33, blue: 34, grey: 90, bold: 1 } as const;

function paint(style: Style, code: keyof typeof ANSI, text: string): string {
  return style.color ? `\u001b[${ANSI[code]}m${text}\u001b[0m` : text;
}

/** Time of day in UTC, `02:31:05`, or the text itself when it is not a time. */
function clock(iso: string | undefined): string {
  if (!iso) return '';
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(11, 19) : iso;
}

function statusColour(view: Pick<ReleaseView, 'status' | 'phase'>): keyof typeof ANSI {
  if (view.status === 'Succeeded') return 'green';
  if (view.status === 'Failed' || view.status === 'RolledBack') return 'red';
  if (view.status === 'Running') return view.phase === 'awaiting-approval' ? 'yellow' : 'blue';
  return 'grey';
}

function outcomeText(style: Style, entry: TimelineEntry): string {
  const outcome = entry.outcome ?? (entry.endedAt ? 'done' : 'running');
  if (outcome === 'ok') return paint(style, 'green', '✔ ok');
  if (outcome === 'failed') return paint(style, 'red', '✖ failed');
  if (outcome === 'running') return paint(style, 'blue', '◌ running');
  return paint(style, 'grey', `• ${outcome}`);
}

/** Pads to a width, counting what is visible (ANSI codes take no room). */
function pad(text: string, width: number): string {
  // eslint-disable-next-line no-control-regex
  const visible = text.replace(/\u001b\[[0-9;]*m/g, '').length;
  return visible >= width ? `${text} ` : text + ' '.repeat(width - visible);
}

function table(rows: string[][], widths: number[]): string[] {
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : pad(cell, widths[i] ?? 0)))
      .join('')
      .trimEnd(),
  );
}

/** `release ls`: one line per release, newest first. */
export function renderList(releases: readonly ReleaseView[], style: Style): string {
  if (releases.length === 0) return 'No releases.';
  const rows = [
    ['RELEASE', 'TARGET', 'BUILD', 'STATUS', 'PHASE', 'CREATED (UTC)'].map((h) => paint(style, 'bold', h)),
    ...releases.map((r) => [
      r.id,
      r.target,
      r.build.number,
      paint(style, statusColour(r), r.status),
      r.phase,
      r.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    ]),
  ];
  const w = (f: (r: ReleaseView) => string, min: number) =>
    Math.max(min, ...releases.map((r) => f(r).length)) + 2;
  const widths = [
    w((r) => r.id, 7),
    w((r) => r.target, 6),
    w((r) => r.build.number, 5),
    12,
    w((r) => r.phase, 5),
    0,
  ];
  return table(rows, widths).join('\n');
}

/** `release show` / one `watch` frame: the release, its timeline and the evidence of each step. */
export function renderRelease(view: ReleaseView, now: Date, style: Style): string {
  const b = view.build;
  const lines: string[] = [];
  const field = (label: string, value: string | undefined) => {
    if (value) lines.push(`${paint(style, 'bold', pad(label, 11))}${value}`);
  };
  field('Release:', `${view.id}  ${paint(style, statusColour(view), statusLine(view))}`);
  field(
    'Build:',
    `${b.number}${b.branch ? ` (${b.branch}${b.commit ? ` @ ${b.commit.slice(0, 10)}` : ''})` : ''}` +
      `${b.requestedBy ? `, requested by ${b.requestedBy}` : ''}`,
  );
  field('Target:', view.target);
  if (view.productionSlot || view.stagingSlot) {
    field('Slots:', `production ${view.productionSlot ?? '?'} → staging ${view.stagingSlot ?? '?'}`);
  }
  const a = view.approval;
  if (a?.decision) {
    field(
      'Approval:',
      `${a.decision}${a.approver ? ` by ${a.approver}` : ''}${a.decidedAt ? ` at ${clock(a.decidedAt)}` : ''}${a.comment ? `: ${a.comment}` : ''}`,
    );
  } else if (view.phase === 'awaiting-approval') {
    // The quorum fields, when the status carries them (targets with approval.minApprovers).
    const q = a;
    const votes = q?.approvals ?? [];
    const quorum =
      q?.minApprovers !== undefined && q.minApprovers > 1
        ? `; ${votes.length} of ${q.minApprovers} approvals${votes.length ? ` (${votes.map((v) => v.by).join(', ')})` : ''}`
        : '';
    const who = q?.approvers?.length ? `; may decide: ${q.approvers.join(', ')}` : '';
    field(
      'Approval:',
      paint(
        style,
        'yellow',
        `waiting for a decision${quorum}${who}${a?.expiresAt ? ` (expires ${a.expiresAt})` : ''}`,
      ),
    );
  }
  const rb = view.rollback;
  if (rb) {
    const why =
      rb.trigger === 'manual' ? `manual, by ${rb.requestedBy ?? '?'}` : `alert ${rb.alert?.rule ?? '?'}`;
    const latency =
      rb.latencyMs !== undefined
        ? `; ${rb.trigger === 'manual' ? 'request' : 'alert fired'} → traffic back ${formatDuration(rb.latencyMs)}`
        : '';
    const reaction = rb.reactionMs !== undefined ? ` (received → back ${formatDuration(rb.reactionMs)})` : '';
    const retry = rb.lastError ? `; attempt ${rb.attempts ?? '?'} failed: ${rb.lastError}` : '';
    field('Rollback:', paint(style, 'red', `${why}${latency}${reaction}${retry}`));
  }
  if (view.supersededBy) field('Superseded:', `by ${view.supersededBy}`);
  if (view.freeze) {
    const f = view.freeze;
    const until = f.until ? ` until ${f.until}` : '';
    lines.push(paint(style, 'yellow', `Swap held: target frozen by ${f.by}${until}: ${f.reason}`));
  }
  for (const w of view.warnings ?? []) lines.push(paint(style, 'yellow', `Warning ${w.code}: ${w.message}`));
  if (view.error) {
    lines.push(
      paint(style, 'red', `Error at ${view.error.step} (${view.error.resource}): ${view.error.message}`),
    );
  }

  lines.push('');
  if (view.timeline.length === 0) lines.push(paint(style, 'grey', 'Nothing has run yet.'));
  else {
    const rows = [
      ['STEP', 'OUTCOME', 'STARTED', 'DURATION', 'DETAIL'].map((h) => paint(style, 'bold', h)),
      ...view.timeline.map((t) => [
        t.step,
        outcomeText(style, t),
        clock(t.startedAt),
        formatDuration(stepElapsed(t, now)),
        t.detail ?? '',
      ]),
    ];
    const stepWidth = Math.max(...view.timeline.map((t) => t.step.length), 4) + 2;
    lines.push(...table(rows, [stepWidth, 12, 10, 11, 0]));
  }

  const d = view.deploy;
  if (d && d.instances.length > 0) {
    lines.push(
      '',
      paint(
        style,
        'bold',
        `DEPLOY  ${d.failed} failed, ${d.tolerated} tolerated${d.total ? `, ${d.total} in all` : ''}`,
      ),
    );
    const width = Math.max(...d.instances.map((i) => i.instance.length)) + 2;
    for (const i of d.instances) {
      const mark = i.succeeded ? paint(style, 'green', '✔') : paint(style, 'red', '✖');
      const tail = i.outputTail.trim().split('\n').pop() ?? '';
      lines.push(
        `  ${pad(i.instance, width)}${mark} exit ${pad(String(i.exitCode), 4)}${paint(style, 'grey', tail)}`,
      );
    }
  }
  const v = view.verify;
  if (v) {
    const mark = v.ok ? paint(style, 'green', '✔') : paint(style, 'red', '✖');
    lines.push(
      '',
      `${paint(style, 'bold', 'VERIFY')}  ${mark} ${v.url}${v.version ? ` version ${v.version}` : ''} (${v.attempts} attempt(s))${v.detail ? `: ${v.detail}` : ''}`,
    );
    const instances = v.instances ?? [];
    const width = Math.max(0, ...instances.map((i) => i.instance.length)) + 2;
    for (const i of instances) {
      const m = i.ok ? paint(style, 'green', '✔') : paint(style, 'red', '✖');
      lines.push(
        `  ${pad(i.instance, width)}${m} ${pad(i.address ?? '', 14)}${i.version ?? ''}${i.ok ? '' : `  ${i.detail}`}`,
      );
    }
  }
  const al = view.alerts;
  const decisions = al?.decisions ?? [];
  if ((al?.firing?.length ?? 0) > 0 || decisions.length > 0 || al?.rollbackHeld) {
    lines.push('', paint(style, 'bold', 'ALERTS'));
    for (const f of al?.firing ?? []) {
      lines.push(
        `  firing at approval: ${f.rule} ${f.severity ?? ''} ${f.acts ? paint(style, 'red', 'acts') : 'recorded'}: ${f.reason}`,
      );
    }
    for (const x of decisions) {
      lines.push(
        `  ${clock(x.receivedAt)} ${x.rule} ${x.monitorCondition} ${x.severity ?? ''} ${x.acts ? paint(style, 'red', 'acts') : 'recorded'}: ${x.reason}`,
      );
    }
    if (al?.rollbackHeld)
      lines.push(paint(style, 'red', `  rollback held: ${al.rollbackHeld.rule}: ${al.rollbackHeld.reason}`));
  }
  return lines.join('\n');
}

/** A timeline entry's identity and state: `watch` prints an entry again when this changes. */
function entryKey(t: TimelineEntry): string {
  return `${t.step}@${t.startedAt}`;
}

/**
 * For a log rather than a terminal: one line per change since `before` (the status, each step that started or
 * ended), so a pipeline's log reads as the release's story without redraws.
 */
export function renderChanges(before: ReleaseView | undefined, after: ReleaseView, style: Style): string[] {
  const out: string[] = [];
  const seen = new Map((before?.timeline ?? []).map((t) => [entryKey(t), t] as const));
  for (const t of after.timeline) {
    const old = seen.get(entryKey(t));
    if (old && old.outcome === t.outcome && old.endedAt === t.endedAt && old.detail === t.detail) continue;
    const duration =
      t.endedAt || t.durationMs !== undefined
        ? ` ${formatDuration(t.durationMs ?? stepElapsed(t, new Date(t.endedAt!)))}`
        : '';
    out.push(
      `${clock(t.endedAt ?? t.startedAt)}   ${pad(t.step, 16)}${outcomeText(style, t)}${duration}${t.detail ? `  ${t.detail}` : ''}`,
    );
  }
  // The status last: it is where the steps above have brought the release.
  if (!before || before.status !== after.status || before.phase !== after.phase) {
    out.push(`${clock(after.updatedAt)} ${after.id} ${paint(style, statusColour(after), statusLine(after))}`);
  }
  if (after.rollback?.trafficBackAt && !before?.rollback?.trafficBackAt) {
    const rb = after.rollback;
    out.push(
      `${clock(rb.trafficBackAt)}   traffic back${rb.latencyMs !== undefined ? ` ${formatDuration(rb.latencyMs)} after the ${rb.trigger === 'manual' ? 'request' : 'alert fired'}` : ''}`,
    );
  }
  return out;
}
