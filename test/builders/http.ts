/** Builders of @azure/functions HttpRequest objects (they work without the Functions host). */
import { HttpRequest } from '@azure/functions';

/** Options of aRequest. */
export interface RequestOptions {
  method?: string;
  url?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  params?: Record<string, string>;
  /** A string or bytes body, sent as is. */
  body?: string | Uint8Array;
}

/** An HttpRequest as the host would hand it to a handler. */
export function aRequest(options: RequestOptions = {}): HttpRequest {
  const { body } = options;
  return new HttpRequest({
    method: options.method ?? 'POST',
    url: options.url ?? 'https://release.example.com/api/test',
    headers: options.headers ?? {},
    query: options.query ?? {},
    params: options.params ?? {},
    ...(body === undefined ? {} : { body: typeof body === 'string' ? { string: body } : { bytes: body } }),
  });
}

/** A POST with a JSON body (Content-Type application/json unless headers say otherwise). */
export function aJsonRequest(body: unknown, options: Omit<RequestOptions, 'body'> = {}): HttpRequest {
  return aRequest({
    ...options,
    headers: { 'content-type': 'application/json; charset=utf-8', ...(options.headers ?? {}) },
    body: JSON.stringify(body),
  });
}

/** The Authorization header Azure DevOps sends for basic authentication. */
export function basicAuthHeader(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}
