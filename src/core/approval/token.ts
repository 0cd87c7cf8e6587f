/**
 * Signed approval tokens: `base64url(payload).base64url(HMAC-SHA256(key, "approval.v1." + payload))`.
 *
 * The payload is compact JSON `{ r: releaseId, d: 'approve'|'reject', n: nonce, e: expiry (epoch s) }`.
 * A token proves who issued it, for which release, which decision and until when. It does not by itself
 * stop a second use: single use is enforced by the orchestration, which binds the nonce to the current
 * approval round (one nonce per wait) and acts on the first decision of that round only; a replayed token,
 * or one from an earlier round, finds no waiting round and changes nothing.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The decision a link carries. */
export type ApprovalDecision = 'approve' | 'reject';

/** What an approval token asserts. */
export interface ApprovalClaims {
  releaseId: string;
  decision: ApprovalDecision;
  /** The approval round this token belongs to (one per wait for approval). */
  nonce: string;
  /** Expiry, in seconds since the epoch. */
  expiresAt: number;
}

/** Why a token was refused. */
export type ApprovalTokenFailure = 'malformed' | 'bad-signature' | 'expired';

/** A token that cannot be used; `reason` says why (never which part of the signature differed). */
export class ApprovalTokenError extends Error {
  override readonly name = 'ApprovalTokenError';
  readonly reason: ApprovalTokenFailure;

  constructor(reason: ApprovalTokenFailure, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** Tokens longer than this are refused before any work (they travel in URLs). */
export const MAX_TOKEN_LENGTH = 2048;
const DOMAIN = 'approval.v1.';
const B64URL = /^[A-Za-z0-9_-]+$/;

function sign(key: string, payload: string): Buffer {
  return createHmac('sha256', key)
    .update(DOMAIN + payload)
    .digest();
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length < 32)
    throw new Error('approval signing key must be at least 32 characters');
}

/** Signs claims into a URL-safe token. */
export function signApprovalToken(key: string, claims: ApprovalClaims): string {
  checkKey(key);
  if (!claims.releaseId || !claims.nonce) throw new Error('approval token needs a releaseId and a nonce');
  if (claims.decision !== 'approve' && claims.decision !== 'reject')
    throw new Error('decision must be approve or reject');
  if (!Number.isInteger(claims.expiresAt) || claims.expiresAt <= 0)
    throw new Error('expiresAt must be epoch seconds');
  const payload = Buffer.from(
    JSON.stringify({ r: claims.releaseId, d: claims.decision, n: claims.nonce, e: claims.expiresAt }),
    'utf8',
  ).toString('base64url');
  return `${payload}.${sign(key, payload).toString('base64url')}`;
}

/**
 * Verifies a token and returns its claims. Throws ApprovalTokenError with reason `malformed` (not a
 * token), `bad-signature` (not signed with this key, or altered) or `expired` (`now` at or past expiry).
 * The signature is checked before the payload is trusted, in constant time.
 */
export function verifyApprovalToken(key: string, token: string, now: Date): ApprovalClaims {
  checkKey(key);
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    throw new ApprovalTokenError('malformed', 'approval token is empty or too long');
  }
  const parts = token.split('.');
  if (parts.length !== 2 || !B64URL.test(parts[0] as string) || !B64URL.test(parts[1] as string)) {
    throw new ApprovalTokenError('malformed', 'approval token is not <payload>.<signature> in base64url');
  }
  const [payload, signature] = parts as [string, string];
  const given = Buffer.from(signature, 'base64url');
  const expected = sign(key, payload);
  // timingSafeEqual needs equal lengths; a wrong length is already a wrong signature.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new ApprovalTokenError('bad-signature', 'approval token signature does not match');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new ApprovalTokenError('malformed', 'approval token payload is not JSON');
  }
  const p = raw as { r?: unknown; d?: unknown; n?: unknown; e?: unknown };
  if (
    typeof raw !== 'object' ||
    raw === null ||
    typeof p.r !== 'string' ||
    p.r === '' ||
    (p.d !== 'approve' && p.d !== 'reject') ||
    typeof p.n !== 'string' ||
    p.n === '' ||
    typeof p.e !== 'number' ||
    !Number.isInteger(p.e)
  ) {
    throw new ApprovalTokenError('malformed', 'approval token payload lacks r, d, n or e');
  }
  if (now.getTime() >= p.e * 1000) {
    throw new ApprovalTokenError(
      'expired',
      `approval token expired at ${new Date(p.e * 1000).toISOString()}`,
    );
  }
  return { releaseId: p.r, decision: p.d, nonce: p.n, expiresAt: p.e };
}
