/** Credentials on requests: Basic auth passwords, constant-time comparison, App Service principals. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Identity } from '../domain';
import { hasControlCharacters } from '../contract';

/** The password of an `Authorization: Basic ...` header (what Azure DevOps' basic authentication sends). */
export function basicAuthPassword(authorization: string | null | undefined): string | undefined {
  if (!authorization) return undefined;
  const match = /^\s*basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(authorization);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/**
 * Compares secrets in constant time. Both sides are hashed first so the comparison is over equal-length
 * digests: neither the content nor the length of the expected secret leaks through timing.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

/** Anything with a case-insensitive `get` (the Fetch `Headers` of an HttpRequest). */
export interface HeaderSource {
  get(name: string): string | null;
}

const NAME_CLAIMS = [
  'name',
  'preferred_username',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  'email',
];

/**
 * The signed-in principal that App Service authentication put on the request: `x-ms-client-principal-name`,
 * else the name claim of the base64 JSON `x-ms-client-principal`. App Service strips these headers from
 * incoming requests when authentication is on; without it a client could set them, which is why the
 * approval token, not this name, is what authorises a decision.
 */
export function principalFromHeaders(headers: HeaderSource): string | undefined {
  const name = headers.get('x-ms-client-principal-name')?.trim();
  if (name) return name;
  const encoded = headers.get('x-ms-client-principal');
  if (!encoded || encoded.length > 16384) return undefined;
  try {
    const principal = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as {
      name_typ?: unknown;
      claims?: unknown;
      userDetails?: unknown;
    };
    if (typeof principal.userDetails === 'string' && principal.userDetails.trim())
      return principal.userDetails.trim();
    if (!Array.isArray(principal.claims)) return undefined;
    const claims = principal.claims.filter(
      (c): c is { typ: string; val: string } =>
        typeof c === 'object' && c !== null && typeof c.typ === 'string' && typeof c.val === 'string',
    );
    const wanted = [...(typeof principal.name_typ === 'string' ? [principal.name_typ] : []), ...NAME_CLAIMS];
    for (const typ of wanted) {
      const claim = claims.find((c) => c.typ === typ && c.val.trim() !== '');
      if (claim) return claim.val.trim();
    }
  } catch {
    // not base64 JSON: no principal
  }
  return undefined;
}

const OBJECT_ID_CLAIMS = ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid'];

/** The claims of a base64 JSON `x-ms-client-principal`, or undefined when it is absent or not that. */
function principalClaims(
  headers: HeaderSource,
): { authType?: string; claims: { typ: string; val: string }[] } | undefined {
  const encoded = headers.get('x-ms-client-principal');
  if (!encoded || encoded.length > 16384) return undefined;
  try {
    const p = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as {
      auth_typ?: unknown;
      claims?: unknown;
    };
    const claims = Array.isArray(p.claims)
      ? p.claims.filter(
          (c): c is { typ: string; val: string } =>
            typeof c === 'object' && c !== null && typeof c.typ === 'string' && typeof c.val === 'string',
        )
      : [];
    return { ...(typeof p.auth_typ === 'string' ? { authType: p.auth_typ } : {}), claims };
  } catch {
    return undefined;
  }
}

const clean = (v: string | null | undefined, max = 256): string | undefined => {
  const t = v?.trim();
  // Control characters never belong in a name (they would also forge log lines).
  return t && t.length <= max && !hasControlCharacters(t) ? t : undefined;
};

/**
 * The person App Service authentication signed in, from the headers it sets, or undefined. `trusted` must be
 * true only where the platform owns these headers: App Service authentication is on (`WEBSITE_AUTH_ENABLED`),
 * whose front end removes any `X-MS-CLIENT-PRINCIPAL*` header a client sends and sets them for a signed-in
 * caller, or the local host, which does the same for its development sign-in. Anywhere else anyone can send
 * them, so nothing is read. A principal needs a name and an identity provider.
 */
export function identityFromHeaders(headers: HeaderSource, trusted: boolean): Identity | undefined {
  if (!trusted) return undefined;
  const decoded = principalClaims(headers);
  const name = clean(headers.get('x-ms-client-principal-name')) ?? clean(principalFromHeaders(headers));
  const idp = clean(headers.get('x-ms-client-principal-idp'), 64) ?? clean(decoded?.authType, 64);
  if (name === undefined || idp === undefined) return undefined;
  const claim = (types: string[]) =>
    clean(decoded?.claims.find((c) => types.includes(c.typ) && c.val.trim() !== '')?.val);
  const id = clean(headers.get('x-ms-client-principal-id'), 128) ?? claim(OBJECT_ID_CLAIMS);
  const displayName = claim(['name']);
  return { name, idp, ...(id ? { id } : {}), ...(displayName ? { displayName } : {}) };
}

/**
 * Why a browser request must not act, or undefined: it came from another site (`Sec-Fetch-Site`, else an `Origin`
 * other than the app's own). A signed-in session travels in a cookie that a page on another site can make the
 * browser send; such a request carries no approval token, so it must prove it comes from the app's own pages.
 * Clients that are not browsers (scripts, the CLI) send neither header.
 */
export function crossSiteProblem(headers: HeaderSource, publicBaseUrl: string): string | undefined {
  const site = headers.get('sec-fetch-site')?.trim().toLowerCase();
  if (site !== undefined && site !== '' && site !== 'same-origin' && site !== 'none') {
    return `the request came from another site (Sec-Fetch-Site: ${site.slice(0, 20)})`;
  }
  const origin = headers.get('origin')?.trim();
  if (origin !== undefined && origin !== '') {
    let own: string;
    try {
      own = new URL(publicBaseUrl).origin;
    } catch {
      return 'the app has no valid PUBLIC_BASE_URL to compare the Origin with';
    }
    if (origin.toLowerCase() !== own.toLowerCase()) {
      return `the request came from another origin (Origin: ${origin.slice(0, 100)}; this app is ${own})`;
    }
  }
  return undefined;
}
