/** JSON responses and errors in one shape: `{ error: { code, message } }`. */
import type { HttpResponseInit } from '@azure/functions';
import { HttpError, ValidationError } from '../errors';

/** Headers on every JSON answer: never cached (status changes; tokens must not linger). */
export const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
});

/** A JSON response with the given status. */
export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResponseInit {
  return { status, body: JSON.stringify(body), headers: { ...JSON_HEADERS, ...headers } };
}

/** The JSON answer for an HttpError: `{ error: { code, message, details? } }`. */
export function errorResponse(error: HttpError, headers: Record<string, string> = {}): HttpResponseInit {
  const body: { code: string; message: string; details?: unknown } = {
    code: error.code,
    message: error.message,
  };
  if (error.details) body.details = error.details;
  return jsonResponse(error.status, { error: body }, headers);
}

/**
 * Maps anything thrown in a handler to an HttpError: HttpError as is, ValidationError as 400 with its
 * problems, anything else as 500 without internals (log the original; never send it).
 */
export function httpErrorFrom(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof ValidationError)
    return new HttpError(400, 'invalid-payload', error.message, error.problems);
  return new HttpError(500, 'internal-error', 'internal error');
}
