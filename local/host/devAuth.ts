/**
 * The local host's stand-in for App Service authentication (Entra ID, "Easy Auth"): a development sign-in at
 * `/.auth/login/aad` (a form: anyone can be anyone, which is the point locally) that sets a signed session cookie,
 * `/.auth/me` and `/.auth/logout`. On every request to the app it does what the platform's front end does: it removes
 * every `X-MS-CLIENT-PRINCIPAL*` and `X-MS-TOKEN-*` header the client sent and, for a signed-in session, sets
 * `X-MS-CLIENT-PRINCIPAL-NAME`, `-ID`, `-IDP` and the base64 JSON `X-MS-CLIENT-PRINCIPAL`, so a spoofed header never
 * reaches the app.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hasControlCharacters } from '../../src/core/contract';

/** The session cookie (App Service names its own `AppServiceAuthSession`). */
export const DEV_AUTH_COOKIE = 'AppServiceAuthSession';
/** How long a development sign-in lasts. */
export const DEV_SESSION_SECONDS = 8 * 3600;
const DOMAIN = 'dev-auth.v1.';

/** Who is signed in. */
export interface DevPrincipal {
  name: string;
  id: string;
  displayName?: string;
}

function sign(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret)
    .update(DOMAIN + payload)
    .digest();
}

/** A stable object id for a name, so one person keeps one id across sign-ins. */
export function devObjectId(name: string): string {
  const h = createHash('sha256').update(`dev-oid:${name.toLowerCase()}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The cookie value of a session for `p` until `expiresAtMs`. */
export function devSessionCookie(secret: string, p: DevPrincipal, expiresAtMs: number): string {
  const payload = Buffer.from(
    JSON.stringify({ n: p.name, i: p.id, ...(p.displayName ? { d: p.displayName } : {}), e: expiresAtMs }),
    'utf8',
  ).toString('base64url');
  return `${payload}.${sign(secret, payload).toString('base64url')}`;
}

/** The principal of a valid, unexpired session cookie value, else undefined. */
export function readDevSession(
  secret: string,
  value: string | undefined,
  nowMs: number,
): DevPrincipal | undefined {
  if (!value || value.length > 4096) return undefined;
  const [payload, signature, extra] = value.split('.');
  if (!payload || !signature || extra !== undefined) return undefined;
  const given = Buffer.from(signature, 'base64url');
  const expected = sign(secret, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const p = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (typeof p.n !== 'string' || typeof p.i !== 'string' || typeof p.e !== 'number' || p.e <= nowMs)
      return undefined;
    return { name: p.n, id: p.i, ...(typeof p.d === 'string' ? { displayName: p.d } : {}) };
  } catch {
    return undefined;
  }
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** True for the headers only the platform may set. */
export function isPlatformIdentityHeader(name: string): boolean {
  const n = name.toLowerCase();
  return n.startsWith('x-ms-client-principal') || n.startsWith('x-ms-token-');
}

/**
 * The request headers the app gets: the client's without any platform identity header, plus the signed-in
 * session's, as App Service authentication sets them.
 */
export function platformHeaders(
  incoming: Record<string, string>,
  secret: string,
  nowMs: number,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(incoming)) if (!isPlatformIdentityHeader(k)) out[k] = v;
  const p = readDevSession(secret, cookieValue(incoming.cookie, DEV_AUTH_COOKIE), nowMs);
  if (!p) return out;
  const claims = [
    { typ: 'preferred_username', val: p.name },
    { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: p.id },
    ...(p.displayName ? [{ typ: 'name', val: p.displayName }] : []),
  ];
  out['x-ms-client-principal-name'] = p.name;
  out['x-ms-client-principal-id'] = p.id;
  out['x-ms-client-principal-idp'] = 'aad';
  out['x-ms-client-principal'] = Buffer.from(
    JSON.stringify({ auth_typ: 'aad', claims, name_typ: 'preferred_username', role_typ: 'roles' }),
    'utf8',
  ).toString('base64');
  return out;
}

const esc = (v: string): string => v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Only a path of this host: never an open redirect. */
function safeRedirect(target: string | null | undefined): string {
  return target && target.startsWith('/') && !target.startsWith('//') && !target.includes('\\')
    ? target
    : '/.auth/me';
}

const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy':
    "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 16 * 1024) {
        reject(new Error('sign-in form over 16 KiB'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const type = String(req.headers['content-type'] ?? '').toLowerCase();
      if (type.includes('json')) {
        try {
          const j = JSON.parse(text) as Record<string, unknown>;
          resolve(new URLSearchParams(Object.entries(j).map(([k, v]): [string, string] => [k, String(v)])));
        } catch {
          reject(new Error('the sign-in body is not JSON'));
        }
      } else resolve(new URLSearchParams(text));
    });
    req.on('error', reject);
  });
}

function sendText(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { ...PAGE_HEADERS, ...headers });
  res.end(body);
}

/**
 * Serves `/.auth/*`; returns false for any other path. `GET /.auth/login/aad` shows the development sign-in form,
 * `POST` it (`name`, optional `displayName`, `id`, `post_login_redirect_uri`) to sign in, `GET /.auth/me` shows the
 * session's principal (`[]` when signed out), `GET /.auth/logout` signs out.
 */
export async function handleDevAuth(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  secret: string,
  nowMs: () => number,
): Promise<boolean> {
  if (!url.pathname.startsWith('/.auth/')) return false;
  const method = (req.method ?? 'GET').toUpperCase();
  const path = url.pathname.replace(/\/+$/, '');
  if (path === '/.auth/login/aad' || path === '/.auth/login/dev') {
    if (method === 'GET') {
      const back = esc(safeRedirect(url.searchParams.get('post_login_redirect_uri')));
      sendText(
        res,
        200,
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Development sign-in</title></head><body>' +
          '<main><h1>Development sign-in (local host)</h1>' +
          '<p>Stands in for App Service authentication (Entra ID). Anyone can sign in as anyone here: local only.</p>' +
          `<form method="post" action="/.auth/login/aad"><input type="hidden" name="post_login_redirect_uri" value="${back}">` +
          '<label for="name">User principal name or e-mail</label><br><input id="name" name="name" required maxlength="256" autocomplete="email"><br>' +
          '<label for="displayName">Display name (optional)</label><br><input id="displayName" name="displayName" maxlength="256"><br>' +
          '<button type="submit">Sign in</button></form></main></body></html>',
      );
      return true;
    }
    if (method === 'POST') {
      let form: URLSearchParams;
      try {
        form = await readForm(req);
      } catch (err) {
        sendText(res, 400, esc((err as Error).message));
        return true;
      }
      const name = form.get('name')?.trim() ?? '';
      const displayName = form.get('displayName')?.trim() || undefined;
      const bad = (v: string | undefined) => v !== undefined && (v.length > 256 || hasControlCharacters(v));
      if (name === '' || bad(name) || bad(displayName)) {
        sendText(res, 400, 'name is required: at most 256 characters without control characters');
        return true;
      }
      const id = form.get('id')?.trim() || devObjectId(name);
      const value = devSessionCookie(
        secret,
        { name, id, ...(displayName ? { displayName } : {}) },
        nowMs() + DEV_SESSION_SECONDS * 1000,
      );
      res.writeHead(302, {
        Location: safeRedirect(form.get('post_login_redirect_uri')),
        'Set-Cookie': `${DEV_AUTH_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${DEV_SESSION_SECONDS}`,
        'Cache-Control': 'no-store',
      });
      res.end();
      return true;
    }
  }
  if (path === '/.auth/me' && method === 'GET') {
    const p = readDevSession(secret, cookieValue(req.headers.cookie, DEV_AUTH_COOKIE), nowMs());
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(
      JSON.stringify(
        p
          ? [
              {
                provider_name: 'aad',
                user_id: p.name,
                user_claims: [
                  { typ: 'preferred_username', val: p.name },
                  { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: p.id },
                  ...(p.displayName ? [{ typ: 'name', val: p.displayName }] : []),
                ],
              },
            ]
          : [],
      ),
    );
    return true;
  }
  if (path === '/.auth/logout' && method === 'GET') {
    res.writeHead(302, {
      Location: safeRedirect(url.searchParams.get('post_logout_redirect_uri')),
      'Set-Cookie': `${DEV_AUTH_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`,
      'Cache-Control': 'no-store',
    });
    res.end();
    return true;
  }
  res.writeHead(404, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({ error: `no route ${method} ${url.pathname}` }));
  return true;
}
