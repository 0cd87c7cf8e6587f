/** What the console and the CLI compute from status documents: final states, actions, durations; who is signed in. */
import { consoleIdentity, crossSiteActionProblem } from '../../../src/core/console/auth';
import {
  EXIT_CODES,
  RELEASE_STATUSES,
  formatDuration,
  hasEnded,
  isFinal,
  releaseActions,
} from '../../../src/core/console/model';
import { aReleaseView } from '../../builders/release';

const headers = (h: Record<string, string>) => new Headers(h);

describe('console model', () => {
  it('exits 0 only for Succeeded, with a distinct code for every other status', () => {
    expect(EXIT_CODES.Succeeded).toBe(0);
    const codes = RELEASE_STATUSES.map((s) => EXIT_CODES[s]);
    expect(new Set(codes).size).toBe(RELEASE_STATUSES.length);
    expect(RELEASE_STATUSES.filter((s) => s !== 'Succeeded').every((s) => EXIT_CODES[s] > 2)).toBe(true);
    expect(RELEASE_STATUSES.filter(isFinal)).toEqual([
      'Succeeded',
      'Failed',
      'RolledBack',
      'Rejected',
      'Expired',
      'Superseded',
    ]);
  });

  it('has ended only when final and no manual rollback is under way', () => {
    expect(hasEnded({ status: 'Succeeded', phase: 'done' })).toBe(true);
    expect(hasEnded({ status: 'Succeeded', phase: 'rolling-back' })).toBe(false);
    expect(hasEnded({ status: 'Running', phase: 'baking' })).toBe(false);
    expect(hasEnded({ status: 'Queued', phase: 'queued' })).toBe(false);
  });

  it('offers decisions while awaiting approval and rollback while baking or after success', () => {
    expect(releaseActions(aReleaseView())).toEqual({ approve: true, reject: true, rollback: false });
    const freeze = { by: 'ops', authenticated: true, at: 't', since: 't', reason: 'incident' };
    expect(releaseActions(aReleaseView({ freeze }))).toEqual({
      approve: false,
      reject: true,
      rollback: false,
    });
    expect(releaseActions(aReleaseView({ phase: 'deploying' }))).toEqual({
      approve: false,
      reject: false,
      rollback: false,
    });
    expect(releaseActions(aReleaseView({ phase: 'baking' }))).toEqual({
      approve: false,
      reject: false,
      rollback: true,
    });
    expect(releaseActions(aReleaseView({ status: 'Succeeded', phase: 'done' })).rollback).toBe(true);
    expect(releaseActions(aReleaseView({ status: 'RolledBack', phase: 'done' })).rollback).toBe(false);
  });

  it('formats durations for people', () => {
    expect([850, 12_345, 245_000, 7_380_000].map(formatDuration)).toEqual([
      '850 ms',
      '12.3 s',
      '4 min 05 s',
      '2 h 03 min',
    ]);
    expect(formatDuration(undefined)).toBe('');
    expect(formatDuration(-1)).toBe('');
  });
});

describe('console identity', () => {
  it('reads the principal only where the platform owns the headers', () => {
    const h = headers({
      'x-ms-client-principal-name': 'alice@example.com',
      'x-ms-client-principal-idp': 'aad',
    });
    expect(consoleIdentity(h, true)).toBe('alice@example.com');
    // A name without the identity provider App Service always sets is not a sign-in.
    expect(
      consoleIdentity(headers({ 'x-ms-client-principal-name': 'alice@example.com' }), true),
    ).toBeUndefined();
    expect(consoleIdentity(h, false)).toBeUndefined();
    expect(consoleIdentity(headers({}), true)).toBeUndefined();
    expect(
      consoleIdentity(
        headers({ 'x-ms-client-principal-name': 'a\u0007b', 'x-ms-client-principal-idp': 'aad' }),
        true,
      ),
    ).toBeUndefined();
    expect(
      consoleIdentity(
        headers({ 'x-ms-client-principal-name': 'x'.repeat(257), 'x-ms-client-principal-idp': 'aad' }),
        true,
      ),
    ).toBeUndefined();
  });

  it('accepts an action only from the app’s own pages', () => {
    const base = 'https://release.example.com';
    expect(crossSiteActionProblem(headers({ 'sec-fetch-site': 'same-origin' }), base)).toBeUndefined();
    expect(crossSiteActionProblem(headers({ origin: 'https://release.example.com' }), base)).toBeUndefined();
    expect(crossSiteActionProblem(headers({ 'sec-fetch-site': 'cross-site' }), base)).toMatch(/another site/);
    expect(crossSiteActionProblem(headers({ 'sec-fetch-site': 'same-site' }), base)).toMatch(/another site/);
    expect(crossSiteActionProblem(headers({ origin: 'https://evil.example' }), base)).toMatch(
      /another origin/,
    );
    expect(crossSiteActionProblem(headers({}), base)).toMatch(/neither Sec-Fetch-Site nor Origin/);
  });
});
