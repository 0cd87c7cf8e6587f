/** Credentials on requests: Basic auth passwords, constant-time comparison, App Service principals. */
import { createHash, timingSafeEqual } from 'node:crypto';

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
