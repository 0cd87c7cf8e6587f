/** Turns Azure SDK failures into the core's StepError: which step, which resource (ARM ID), why, transient or not. */
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { StepError } from '../../core/errors';

/** ARM error bodies by request: the SDKs' pagers throw "Pagination failed with unexpected statusCode" and drop them. */
const errorBodies = new WeakMap<object, string>();

/** Per-call policy keeping the body of every failed answer, so the error can carry ARM's own code and message. */
export const armErrorBodyPolicy: PipelinePolicy = {
  name: 'armErrorBodyPolicy',
  async sendRequest(request, next) {
    const response = await next(request);
    if (response.status >= 400 && response.bodyAsText) errorBodies.set(request, response.bodyAsText);
    return response;
  },
};

/** What ARM (or the network) said: the cause carried by a StepError from these adapters. */
export class ArmCallError extends Error {
  override readonly name = 'ArmCallError';
  /** HTTP status, when there was a response. */
  readonly statusCode?: number;
  /** ARM error code (`ResourceNotFound`, `AuthorizationFailed`, ...) or a network error code (`ECONNRESET`). */
  readonly code?: string;
  /** `Retry-After` of a throttled answer, in seconds (either header form, rounded up). */
  readonly retryAfterSeconds?: number;
  /** The instant before which ARM asked not to be called again (ISO 8601), from `Retry-After`. */
  readonly retryNotBefore?: string;

  constructor(init: {
    statusCode?: number;
    code?: string;
    message: string;
    retryAfterSeconds?: number;
    retryNotBefore?: string;
  }) {
    const head = [init.statusCode !== undefined ? `HTTP ${init.statusCode}` : undefined, init.code]
      .filter(Boolean)
      .join(' ');
    super(head ? `${head}: ${init.message}` : init.message);
    if (init.statusCode !== undefined) this.statusCode = init.statusCode;
    if (init.code !== undefined) this.code = init.code;
    if (init.retryAfterSeconds !== undefined) this.retryAfterSeconds = init.retryAfterSeconds;
    if (init.retryNotBefore !== undefined) this.retryNotBefore = init.retryNotBefore;
  }
}

/** Headers carrying a retry delay, in the order the SDK's throttling policy reads them. */
const RETRY_AFTER_MS_HEADERS = ['retry-after-ms', 'x-ms-retry-after-ms'];

/**
 * The delay an answer asks for, in ms, from `retry-after-ms`, `x-ms-retry-after-ms` or `Retry-After`
 * (delay-seconds or HTTP-date, RFC 9110 §10.2.3); undefined when there is none or it cannot be read.
 */
export function retryAfterMsOf(
  headers: { get(name: string): string | undefined } | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  for (const h of RETRY_AFTER_MS_HEADERS) {
    const v = headers.get(h);
    if (v !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  }
  const raw = headers.get('retry-after')?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw) * 1000;
  const at = Date.parse(raw);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'REQUEST_SEND_ERROR',
]);

/** True for answers a later retry may fix: 408, 429, 5xx (but 501/505), network errors and timeouts. */
export function isTransientStatus(statusCode: number | undefined): boolean {
  if (statusCode === undefined) return false;
  return (
    statusCode === 408 ||
    statusCode === 429 ||
    (statusCode >= 500 && statusCode !== 501 && statusCode !== 505)
  );
}

interface RestErrorLike {
  name?: string;
  message?: string;
  statusCode?: number;
  code?: string;
  response?: {
    status?: number;
    headers?: { get(name: string): string | undefined };
    bodyAsText?: string | null;
  };
  request?: object;
  details?: unknown;
}

function armBodyError(err: RestErrorLike): { code?: string; message?: string } {
  const fromDetails = (d: unknown): { code?: string; message?: string } | undefined => {
    if (!d || typeof d !== 'object') return undefined;
    const o = d as Record<string, unknown>;
    const inner = (o.error && typeof o.error === 'object' ? o.error : o) as Record<string, unknown>;
    if (typeof inner.code === 'string' || typeof inner.message === 'string') {
      return {
        ...(typeof inner.code === 'string' ? { code: inner.code } : {}),
        ...(typeof inner.message === 'string' ? { message: inner.message } : {}),
      };
    }
    return undefined;
  };
  const d = fromDetails(err.details);
  if (d) return d;
  const text = err.response?.bodyAsText ?? (err.request ? errorBodies.get(err.request) : undefined);
  if (text) {
    try {
      return fromDetails(JSON.parse(text)) ?? {};
    } catch {
      return {};
    }
  }
  return {};
}

/** The ARM cause of any thrown value. */
export function armCause(err: unknown): ArmCallError {
  if (err instanceof ArmCallError) return err;
  if (!err || typeof err !== 'object') return new ArmCallError({ message: String(err) });
  const e = err as RestErrorLike;
  const statusCode = e.statusCode ?? e.response?.status;
  const body = armBodyError(e);
  const nowMs = Date.now();
  const given = (e as { retryAfterMs?: unknown }).retryAfterMs;
  const retryAfterMs = typeof given === 'number' ? given : retryAfterMsOf(e.response?.headers, nowMs);
  const code = body.code ?? e.code ?? (e.name === 'AbortError' ? 'Timeout' : undefined);
  return new ArmCallError({
    ...(statusCode !== undefined && statusCode > 0 ? { statusCode } : {}),
    ...(code !== undefined ? { code } : {}),
    message: body.message ?? e.message ?? String(err),
    ...(retryAfterMs !== undefined && retryAfterMs > 0
      ? {
          retryAfterSeconds: Math.ceil(retryAfterMs / 1000),
          retryNotBefore: new Date(nowMs + retryAfterMs).toISOString(),
        }
      : {}),
  });
}

/** Wraps a failure of one Azure call: the error names the step, the ARM ID and ARM's answer. */
export function armStepError(step: string, resource: string, err: unknown): StepError {
  if (err instanceof StepError) return err;
  const cause = armCause(err);
  const transient =
    isTransientStatus(cause.statusCode) ||
    (cause.statusCode === undefined &&
      cause.code !== undefined &&
      (TRANSIENT_NETWORK_CODES.has(cause.code) || cause.code === 'Timeout'));
  return new StepError({
    step,
    resource,
    cause,
    transient,
    ...(cause.retryNotBefore ? { retryNotBefore: cause.retryNotBefore } : {}),
  });
}

/** Runs one Azure call and wraps its failure with `armStepError`. */
export async function armCall<T>(step: string, resource: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw armStepError(step, resource, err);
  }
}
