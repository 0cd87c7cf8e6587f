import { createHmac } from 'node:crypto';
import {
  ApprovalTokenError,
  MAX_TOKEN_LENGTH,
  signApprovalToken,
  verifyApprovalToken,
  type ApprovalClaims,
} from '../../../src/core/approval/token';
import { TEST_SECRETS } from '../../builders/target';

const KEY = TEST_SECRETS.signingKey;
const NOW = new Date('2024-05-01T10:00:00Z');
const claims: ApprovalClaims = {
  releaseId: 'web-prod-b1234',
  decision: 'approve',
  nonce: 'round-1',
  expiresAt: NOW.getTime() / 1000 + 3600,
};

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ApprovalTokenError);
    return (error as ApprovalTokenError).reason;
  }
  throw new Error('expected an ApprovalTokenError');
}

function b64(json: unknown): string {
  return Buffer.from(JSON.stringify(json)).toString('base64url');
}

describe('approval tokens', () => {
  it('round-trips the claims', () => {
    const token = signApprovalToken(KEY, claims);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(verifyApprovalToken(KEY, token, NOW)).toEqual(claims);
  });

  it('carries the compact payload { r, d, n, e }', () => {
    const [payload] = signApprovalToken(KEY, claims).split('.');
    expect(JSON.parse(Buffer.from(payload as string, 'base64url').toString())).toEqual({
      r: 'web-prod-b1234',
      d: 'approve',
      n: 'round-1',
      e: claims.expiresAt,
    });
  });

  it('binds the decision: approve and reject tokens differ and verify to their own decision', () => {
    const approve = signApprovalToken(KEY, claims);
    const reject = signApprovalToken(KEY, { ...claims, decision: 'reject' });
    expect(approve).not.toBe(reject);
    expect(verifyApprovalToken(KEY, reject, NOW).decision).toBe('reject');
  });

  it('refuses a token whose payload was changed (decision flipped, release swapped)', () => {
    const [, sig] = signApprovalToken(KEY, claims).split('.');
    const flipped = `${b64({ r: claims.releaseId, d: 'reject', n: claims.nonce, e: claims.expiresAt })}.${sig}`;
    const other = `${b64({ r: 'api-prod-b1', d: 'approve', n: claims.nonce, e: claims.expiresAt })}.${sig}`;
    const later = `${b64({ r: claims.releaseId, d: 'approve', n: claims.nonce, e: claims.expiresAt + 86400 })}.${sig}`;
    expect(failure(() => verifyApprovalToken(KEY, flipped, NOW))).toBe('bad-signature');
    expect(failure(() => verifyApprovalToken(KEY, other, NOW))).toBe('bad-signature');
    expect(failure(() => verifyApprovalToken(KEY, later, NOW))).toBe('bad-signature');
  });

  it('refuses a tampered or truncated signature and another key', () => {
    const token = signApprovalToken(KEY, claims);
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    expect(failure(() => verifyApprovalToken(KEY, token.slice(0, -1) + last, NOW))).toBe('bad-signature');
    expect(failure(() => verifyApprovalToken(KEY, token.slice(0, -4), NOW))).toBe('bad-signature');
    expect(failure(() => verifyApprovalToken(`${KEY}-rotated`, token, NOW))).toBe('bad-signature');
  });

  it('refuses an expired token, at and after the expiry second', () => {
    const token = signApprovalToken(KEY, claims);
    expect(failure(() => verifyApprovalToken(KEY, token, new Date(claims.expiresAt * 1000)))).toBe('expired');
    expect(failure(() => verifyApprovalToken(KEY, token, new Date(claims.expiresAt * 1000 + 1)))).toBe(
      'expired',
    );
    expect(verifyApprovalToken(KEY, token, new Date(claims.expiresAt * 1000 - 1)).releaseId).toBe(
      claims.releaseId,
    );
  });

  it.each([
    ['empty', ''],
    ['no dot', 'abc'],
    ['three parts', 'a.b.c'],
    ['not base64url', 'ab+c.de/f'],
    ['padding', 'abc=.def'],
    ['too long', `${'a'.repeat(MAX_TOKEN_LENGTH)}.b`],
  ])('refuses a malformed token (%s)', (_, token) => {
    expect(failure(() => verifyApprovalToken(KEY, token, NOW))).toBe('malformed');
  });

  it('refuses a correctly signed payload with missing claims as malformed', () => {
    // Only someone with the key can produce this; it still must not be trusted.
    const payload = b64({ r: 'x', d: 'maybe', n: 'n', e: 1 });
    const sig = createHmac('sha256', KEY).update(`approval.v1.${payload}`).digest('base64url');
    expect(failure(() => verifyApprovalToken(KEY, `${payload}.${sig}`, NOW))).toBe('malformed');
  });

  it('refuses to sign with a short key or incomplete claims', () => {
    expect(() => signApprovalToken('short', claims)).toThrow(/at least 32/);
    expect(() => signApprovalToken(KEY, { ...claims, nonce: '' })).toThrow(/nonce/);
    expect(() => signApprovalToken(KEY, { ...claims, expiresAt: 1.5 })).toThrow(/epoch seconds/);
  });
});
