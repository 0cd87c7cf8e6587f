import type { OrchestrationContext } from 'durable-functions';
import type { ReleaseError, ReleasePhase, ReleaseStatus, ReleaseView, TimelineEntry } from '../domain';
import type { ReleaseInput } from './contracts';

/** Largest output tail kept per instance in the custom status (Azure Storage caps custom status at 16 KB). */
const STATUS_TAIL_CHARS = 300;

/**
 * Builds a release's status document as the orchestration goes, and publishes it as custom status.
 * Times come only from `currentUtcDateTime`, so replays rebuild the same document.
 */
export class ReleaseTracker {
  readonly view: ReleaseView;
  private open: TimelineEntry | undefined;

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

  /** Ends the release in a final status. */
  finish(status: Exclude<ReleaseStatus, 'Running' | 'Queued'>, outcome: TimelineEntry['outcome'] = 'ok') {
    if (this.open) this.end(outcome);
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

  /** Publishes the document as custom status, with output tails shortened to fit the status size cap. */
  publish(): void {
    this.view.updatedAt = this.now();
    const deploy = this.view.deploy;
    const compact: ReleaseView = deploy
      ? {
          ...this.view,
          deploy: {
            ...deploy,
            instances: deploy.instances.map((r) => ({
              ...r,
              outputTail: r.outputTail.slice(-STATUS_TAIL_CHARS),
            })),
          },
        }
      : this.view;
    this.ctx.df.setCustomStatus(compact);
  }
}

/** Message of an error thrown by a failed activity, without the host's stack-trace details. */
export function causeOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // The Durable host appends " \n <details>" (the stack) to the activity's message.
  return message.split(' \n ')[0]!.trim();
}
