/** Reading request bodies safely: content type checked, size capped while streaming, parse errors as 4xx. */
import type { HttpRequest } from '@azure/functions';
import { HttpError } from '../errors';
import { JsonTooDeepError, parseJson } from './json';

/** The largest body the service hooks accept (Azure DevOps payloads are a few KiB). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Body reading options. */
export interface BodyOptions {
  maxBytes: number;
}

/** The media type of a Content-Type header, lower-cased, and its charset parameter if any. */
export function mediaType(
  contentType: string | null | undefined,
): { type: string; charset?: string } | undefined {
  if (!contentType) return undefined;
  const [type, ...params] = contentType.split(';');
  const result: { type: string; charset?: string } = { type: (type ?? '').trim().toLowerCase() };
  for (const param of params) {
    const [k, v] = param.split('=');
    if (k?.trim().toLowerCase() === 'charset' && v !== undefined) {
      result.charset = v.trim().replace(/^"|"$/g, '').toLowerCase();
    }
  }
  return result.type === '' ? undefined : result;
}

/** application/json, or any structured `+json` type (e.g. application/merge-patch+json). */
export function isJsonType(type: string): boolean {
  return type === 'application/json' || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(type);
}

function checkCharset(charset: string | undefined): void {
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new HttpError(415, 'unsupported-media-type', `charset "${charset}" is not supported; send UTF-8`);
  }
}

/** Reads the raw body, refusing it (413) as soon as it is over `maxBytes`, or when Content-Length says so. */
export async function readRawBody(request: HttpRequest, { maxBytes }: BodyOptions): Promise<Buffer> {
  const tooLarge = (): HttpError =>
    new HttpError(413, 'payload-too-large', `request body is larger than ${maxBytes} bytes`);
  const declared = request.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > maxBytes) throw tooLarge();
  const stream = request.body as ReadableStream<Uint8Array> | null;
  if (stream === null) return Buffer.alloc(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

function decodeUtf8(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, 'invalid-encoding', 'request body is not valid UTF-8');
  }
}

/** Parses JSON text; a syntax error becomes 400 with the position (the body itself is never echoed). */
export function parseJsonText(text: string): unknown {
  if (text.trim() === '') throw new HttpError(400, 'empty-body', 'request body is empty; expected JSON');
  try {
    return parseJson(text);
  } catch (error) {
    if (error instanceof JsonTooDeepError) {
      throw new HttpError(400, 'json-too-deep', `request body is ${error.message}`);
    }
    throw new HttpError(400, 'invalid-json', `request body is ${(error as Error).message}`);
  }
}

/**
 * Reads a JSON body: 415 unless Content-Type is application/json or `+json` (UTF-8), 413 when over
 * `maxBytes` (declared or actual), 400 when empty, not UTF-8 or not JSON.
 */
export async function readJsonBody(request: HttpRequest, options: BodyOptions): Promise<unknown> {
  const type = mediaType(request.headers.get('content-type'));
  if (!type || !isJsonType(type.type)) {
    throw new HttpError(
      415,
      'unsupported-media-type',
      `Content-Type must be application/json, got ${type ? `"${type.type}"` : 'none'}`,
    );
  }
  checkCharset(type.charset);
  return parseJsonText(decodeUtf8(await readRawBody(request, options)));
}

/**
 * Reads the fields of a form post (application/x-www-form-urlencoded) or a JSON object, as strings:
 * the approval decision comes from the page's form or from a script. Null JSON values count as absent;
 * other non-string values and repeated form fields are refused (400) rather than guessed at.
 */
export async function readFormOrJson(
  request: HttpRequest,
  options: BodyOptions,
): Promise<Record<string, string>> {
  const type = mediaType(request.headers.get('content-type'));
  if (type && isJsonType(type.type)) {
    const body = await readJsonBody(request, options);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new HttpError(400, 'invalid-payload', 'request body must be a JSON object');
    }
    const fields: Record<string, string> = {};
    for (const [key, value] of Object.entries(body)) {
      if (value === null || value === undefined) continue;
      // Flags (e.g. acknowledgeAlerts) read naturally as JSON booleans; forms send them as text.
      if (typeof value === 'boolean') {
        fields[key] = String(value);
        continue;
      }
      if (typeof value !== 'string')
        throw new HttpError(400, 'invalid-payload', `field "${key}" must be a string`);
      fields[key] = value;
    }
    return fields;
  }
  if (type?.type === 'application/x-www-form-urlencoded') {
    checkCharset(type.charset);
    const text = decodeUtf8(await readRawBody(request, options));
    const fields: Record<string, string> = {};
    for (const [key, value] of new URLSearchParams(text)) {
      if (Object.prototype.hasOwnProperty.call(fields, key)) {
        throw new HttpError(400, 'invalid-payload', `field "${key}" is given more than once`);
      }
      fields[key] = value;
    }
    return fields;
  }
  throw new HttpError(
    415,
    'unsupported-media-type',
    `Content-Type must be application/x-www-form-urlencoded or application/json, got ${type ? `"${type.type}"` : 'none'}`,
  );
}
