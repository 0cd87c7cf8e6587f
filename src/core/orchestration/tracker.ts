import type { OrchestrationContext } from 'durable-functions';
import type { ReleaseError, ReleasePhase, ReleaseStatus, ReleaseView, TimelineEntry } from '../domain';
import type { ReleaseInput } from './contracts';

/**
 * Budget of the custom status, in UTF-16 code units of its JSON text. Durable on Azure fails an orchestration whose
 * custom status exceeds 16 KB of UTF-16 (whole KB, so under 17,408 bytes passes); 7,600 units (14.8 KiB) leaves a
 * margin for the serializer's own escaping.
 */
export const STATUS_BUDGET_CHARS = 7_600;

/** Keys whose values are never shortened: links and ids that callers act on (bounded by construction). */
const VERBATIM_KEYS = new Set([
  'id',
  'approveUrl',
  'rejectUrl',
  'decisionId',
  'round',
  // Alert IDs are compared (acknowledgements, once per alert) and delivery IDs looked up by the alert hook.
  'alertId',
  'deliveryId',
  'acted',
  'alertIds',
]);

/** Successive abridgements tried until the status fits: longest string, most array items. */
const LEVELS: { text: number; items: number }[] = [
  { text: 400, items: 40 },
  { text: 200, items: 15 },
  { text: 100, items: 6 },
  { text: 48, items: 2 },
];

/** Shortens every string (except verbatim keys) to `text` chars and every array to `items` entries (newest kept). */
function abridge(value: unknown, level: { text: number; items: number }, key = ''): unknown {
  if (typeof value === 'string') {
    return value.length > level.text && !VERBATIM_KEYS.has(key)
      ? `${value.slice(0, level.text - 1)}…`
      : value;
  }
  if (Array.isArray(value)) {
    // The newest entries say the most about a running release (timeline, queue); the deploy list is sorted first.
    const kept = value.length > level.items ? value.slice(-level.items) : value;
    // Items inherit the array's key, so a verbatim list of ids (`acted`) stays whole.
    return kept.map((x) => abridge(x, level, key));
  }
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = abridge(v, level, k);
    return out;
  }
  return value;
}

const fits = (x: unknown): boolean => JSON.stringify(x).length <= STATUS_BUDGET_CHARS;

/**
 * The document as custom status: whole when it fits the budget, else abridged (per-instance results listed
 * failures last so the abridgement keeps them, strings and lists shortened) until it does. The full document is the
 * orchestration's output, which the status API serves once the release has ended. Pure: replays build the same one.
 */
export function statusDocument(view: ReleaseView): ReleaseView {
  if (fits(view)) return view;
  const deploy = view.deploy;
  const ordered: ReleaseView = deploy
    ? {
        ...view,
        deploy: {
          ...deploy,
          total: deploy.total ?? deploy.instances.length,
          instances: [
            ...deploy.instances.filter((x) => x.succeeded),
            ...deploy.instances.filter((x) => !x.succeeded),
          ],
        },
      }
    : view;
  for (const level of LEVELS) {
    const candidate = abridge(ordered, level) as ReleaseView;
    if (fits(candidate)) return candidate;
  }
  // Unreachable with the fixed shape of ReleaseView, kept so no input can ever break the cap.
  const last = LEVELS[LEVELS.length - 1]!;
  return abridge(
    {
      id: view.id,
      target: view.target,
      status: view.status,
      phase: view.phase,
      build: view.build,
      approval: view.approval,
      liveSlot: view.liveSlot,
      error: view.error,
      timeline: view.timeline.slice(-1),
      createdAt: view.createdAt,
      updatedAt: view.updatedAt,
    },
    last,
  ) as ReleaseView;
}

/**
 * Builds a release's status document as the orchestration goes, and publishes it as custom status.
 * Times come only from `currentUtcDateTime`, so replays rebuild the same document.
 */
export class ReleaseTracker {
  readonly view: ReleaseView;
  private open: TimelineEntry | undefined;
  /** Set before the first deploy is scheduled: from then on the staging slot counts as touched. */
  private touched = false;

  constructor(
    private readonly ctx: OrchestrationContext,
    input: ReleaseInput,
  ) {
    const now = this.now();
    this.view = {
      id: input.releaseId,
      target: input.target.name,
      status: 'Running',
      phase: 'queued',
      build: input.build,
      timeline: [],
      ...(input.rerun ? { rerun: input.rerun } : {}),
      ...(ctx.df.version ? { orchestrationVersion: ctx.df.version } : {}),
      createdAt: now,
      updatedAt: now,
    };
  }

  now(): string {
    return this.ctx.df.currentUtcDateTime.toISOString();
  }

  nowMs(): number {
    return this.ctx.df.currentUtcDateTime.getTime();
  }

  /** Enters a phase and opens its timeline step (closing the previous one as ok). */
  phase(phase: ReleasePhase, step: string = phase, detail?: string): void {
    this.view.phase = phase;
    this.begin(step, detail);
  }

  /** Opens a timeline step. */
  begin(step: string, detail?: string): void {
    if (this.open) this.end('ok');
    this.open = { step, startedAt: this.now(), ...(detail ? { detail } : {}) };
    this.view.timeline.push(this.open);
    this.publish();
  }

  /** True while a timeline step is open. */
  hasOpenStep(): boolean {
    return this.open !== undefined;
  }

  /** Replaces the open step's detail and publishes (a wait whose reason changed). */
  detail(detail: string): void {
    if (!this.open || this.open.detail === detail) return;
    this.open.detail = detail;
    this.publish();
  }

  /** Closes the open step with an outcome. */
  end(outcome: TimelineEntry['outcome'], detail?: string): void {
    const entry = this.open;
    if (!entry) return;
    entry.endedAt = this.now();
    entry.durationMs = Date.parse(entry.endedAt) - Date.parse(entry.startedAt);
    entry.outcome = outcome;
    if (detail) entry.detail = detail;
    this.open = undefined;
    this.publish();
  }

  /** Records a finished step that took no orchestrator time of its own (e.g. measured by an activity). */
  mark(step: string, startedAt: string, endedAt: string, outcome: TimelineEntry['outcome'], detail?: string) {
    if (this.open) this.end('ok');
    this.view.timeline.push({
      step,
      startedAt,
      endedAt,
      durationMs: Math.max(0, Date.parse(endedAt) - Date.parse(startedAt)),
      outcome,
      ...(detail ? { detail } : {}),
    });
    this.publish();
  }

  /** Records that a deploy on the staging slot is about to start (call before scheduling it). */
  touchStaging(): void {
    this.touched = true;
  }

  /** Ends the release in a final status. */
  finish(status: Exclude<ReleaseStatus, 'Running' | 'Queued'>, outcome: TimelineEntry['outcome'] = 'ok') {
    if (this.open) this.end(outcome);
    // Only a release that never reached a deploy says so; its lane may then keep its rollback target.
    if (!this.touched && status !== 'Succeeded' && status !== 'RolledBack') this.view.stagingTouched = false;
    this.view.status = status;
    this.view.phase = 'done';
    this.publish();
    return this.view;
  }

  /** Ends the release as Failed with the step, the resource and the cause. */
  fail(error: ReleaseError) {
    if (this.open) this.end('failed', error.message);
    this.view.error = error;
    return this.finish('Failed', 'failed');
  }

  /** Publishes the document as custom status, abridged to stay under Azure's 16 KB custom status cap. */
  publish(): void {
    this.view.updatedAt = this.now();
    const doc = statusDocument(this.view);
    // The SDK keeps the object and serializes it when the episode ends: a view that fits whole is copied, or
    // changes made after this call (results added while waiting) would reach the status unabridged.
    this.ctx.df.setCustomStatus(doc === this.view ? structuredClone(doc) : doc);
  }
}

/** Message of an error thrown by a failed activity, without the host's stack-trace details. */
export function causeOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // The Durable host appends " \n <details>" (the stack) to the activity's message.
  return message.split(' \n ')[0]!.trim();
}
