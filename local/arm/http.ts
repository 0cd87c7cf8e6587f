/** HTTP plumbing of the ARM stand-in: JSON answers, body reading, and the route tables the providers declare. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ArmError } from './errors';
import { armErrors } from './errors';

/** Writes a JSON answer (no body when `body` is undefined) with ARM's `x-ms-request-id`. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(body === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' }),
    'x-ms-request-id': randomUUID(),
    ...headers,
  });
  res.end(text);
}

/** Writes an ARM error body. */
export function sendError(res: ServerResponse, e: ArmError): void {
  sendJson(res, e.status, e.body(), e.headers);
}

/** Reads the request body as text, refusing more than 4 MiB (ARM's request size limit). */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 4 * 1024 * 1024) {
        reject(armErrors.requestTooLarge());
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Plain-object test used by every body reader. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What a route handler gets. */
export interface RouteRequest {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** URL path as received. */
  path: string;
  /** `{name}` placeholders of the pattern, decoded (`scope` for a `{*scope}` prefix). */
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  /** `Host` header, for URLs the answer carries (LRO headers, nextLink). */
  host: string;
  /** The api-version accepted (empty when the route takes any). */
  apiVersion: string;
}

/** One operation of a resource provider: method, path pattern, api-versions and the RBAC action it needs. */
export interface Route {
  method: 'GET' | 'PUT' | 'PATCH' | 'DELETE' | 'POST';
  /**
   * Path pattern, literals compared case-insensitively: `{name}` is one segment, a leading `{*scope}` is one
   * or more segments (an ARM scope).
   */
  pattern: string;
  /** Accepted api-versions; every request must carry one of them. Omitted: any (or none). */
  apiVersions?: readonly string[];
  /** RBAC action the operation needs (Azure's `{provider}/{type}/{read|write|delete|action}`). */
  action: string | ((params: Record<string, string>) => string);
  /** ARM ID the action is authorized at; default the request path. */
  scope?: (params: Record<string, string>, path: string) => string;
  /** Sends the answer or throws an ArmError. */
  handle(r: RouteRequest): void | Promise<void>;
}

interface Compiled {
  route: Route;
  splat: string | undefined;
  parts: string[];
}

/** What the router found for a request. */
export type RouteMatch =
  | { kind: 'route'; route: Route; params: Record<string, string> }
  /** The path exists but not with this method. */
  | { kind: 'method'; allowed: string[] }
  | { kind: 'none' };

/** A route table: the union of the providers' routes, matched segment by segment. */
export class Router {
  private readonly compiled: Compiled[];

  constructor(routes: Route[]) {
    this.compiled = routes.map((route) => {
      const parts = route.pattern.split('/').filter(Boolean);
      const first = parts[0] ?? '';
      const splat = /^\{\*(\w+)\}$/.exec(first)?.[1];
      return { route, splat, parts: splat ? parts.slice(1) : parts };
    });
  }

  match(method: string, segments: string[]): RouteMatch {
    const allowed: string[] = [];
    for (const c of this.compiled) {
      const params = matchParts(c, segments);
      if (!params) continue;
      if (c.route.method === method) return { kind: 'route', route: c.route, params };
      allowed.push(c.route.method);
    }
    return allowed.length > 0 ? { kind: 'method', allowed } : { kind: 'none' };
  }
}

function matchParts(c: Compiled, segments: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  let offset = 0;
  if (c.splat) {
    offset = segments.length - c.parts.length;
    if (offset < 1) return undefined;
    params[c.splat] = `/${segments.slice(0, offset).join('/')}`;
  } else if (segments.length !== c.parts.length) return undefined;
  for (let i = 0; i < c.parts.length; i++) {
    const p = c.parts[i] ?? '';
    const s = segments[offset + i] ?? '';
    const name = /^\{(\w+)\}$/.exec(p)?.[1];
    if (name) params[name] = s;
    else if (p.toLowerCase() !== s.toLowerCase()) return undefined;
  }
  return params;
}

/** Checks the api-version against a route's list. */
export function requireApiVersion(q: URLSearchParams, allowed: readonly string[]): string {
  const v = q.get('api-version');
  if (!v) throw armErrors.missingApiVersion();
  if (!allowed.includes(v)) throw armErrors.invalidApiVersion(v, allowed);
  return v;
}
