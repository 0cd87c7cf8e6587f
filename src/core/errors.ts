/** Error types shared across the app: validation problems, failed steps, and HTTP answers. */

/** One problem found while validating input: where (a dotted path) and what is wrong. */
export interface Problem {
  path: string;
  message: string;
}

/** Formats a path such as `['RELEASE_TARGETS', 0, 'slots', 1, 'name']` as `RELEASE_TARGETS[0].slots[1].name`. */
export function formatPath(segments: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out === '' ? '(root)' : out;
}

/** Input that failed validation; lists every problem at once so one fix round is enough. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  readonly problems: readonly Problem[];

  /** `subject` names what was validated (e.g. `configuration`, `build.complete payload`). */
  constructor(problems: readonly Problem[], subject = 'input') {
    super(`invalid ${subject}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    this.problems = Object.freeze([...problems]);
  }
}

/** What a failed step reports: which step, on which resource, why, and whether a retry may help. */
export interface StepErrorInit {
  step: string;
  resource: string;
  cause: unknown;
  transient?: boolean;
  /** ARM asked (Retry-After) not to be called again before this instant (ISO 8601). */
  retryNotBefore?: string;
}

/** A step of a release failed; the message names the step, the resource and the cause. */
export class StepError extends Error {
  override readonly name = 'StepError';
  readonly step: string;
  readonly resource: string;
  /** True when retrying later may succeed (429, 5xx, timeouts). */
  readonly transient: boolean;
  /** Not before this instant (ISO 8601) may the call be retried, as ARM's Retry-After asked. */
  readonly retryNotBefore?: string;

  constructor(init: StepErrorInit) {
    // Only the message crosses the activity boundary, so the retry time travels inside it.
    const retry = init.retryNotBefore ? ` ${retryNotBeforeText(init.retryNotBefore)}` : '';
    super(`${init.step} failed on ${init.resource}: ${causeMessage(init.cause)}${retry}`, {
      cause: init.cause,
    });
    this.step = init.step;
    this.resource = init.resource;
    this.transient = init.transient ?? false;
    if (init.retryNotBefore) this.retryNotBefore = init.retryNotBefore;
  }
}

/** How a StepError message says when ARM may be called again: `(retry not before 2026-01-01T00:02:00.000Z)`. */
export function retryNotBeforeText(iso: string): string {
  return `(retry not before ${iso})`;
}

/** The retry instant (epoch ms) a StepError message carries, if any: what an orchestrator must wait for. */
export function retryNotBeforeOf(message: string): number | undefined {
  const m = /\(retry not before (\d{4}-\d\d-\d\dT[\d:.]+Z)\)/.exec(message);
  if (!m) return undefined;
  const at = Date.parse(m[1]!);
  return Number.isFinite(at) ? at : undefined;
}

/** An error answered over HTTP as `{ error: { code, message } }` with this status. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;
  /** Stable machine-readable code, e.g. `unsupported-media-type`. */
  readonly code: string;
  /** Optional structured detail, e.g. the validation problems. */
  readonly details?: readonly Problem[];

  constructor(status: number, code: string, message: string, details?: readonly Problem[]) {
    super(message);
    this.status = status;
    this.code = code;
    if (details) this.details = details;
  }
}

/** The message of any thrown value, without its stack. */
export function causeMessage(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  if (typeof cause === 'string') return cause;
  try {
    return JSON.stringify(cause) ?? String(cause);
  } catch {
    return String(cause);
  }
}
