import {
  basicAuthPassword,
  constantTimeEqual,
  crossSiteProblem,
  identityFromHeaders,
  principalFromHeaders,
} from '../../../src/core/http/auth';
import { basicAuthHeader } from '../../builders/http';

describe('basicAuthPassword', () => {
  it('returns the password, which may contain colons and any characters', () => {
    expect(basicAuthPassword(basicAuthHeader('devops', 's3cr:et-ü'))).toBe('s3cr:et-ü');
    expect(basicAuthPassword(basicAuthHeader('', 'only-password'))).toBe('only-password');
    expect(basicAuthPassword(`basic ${Buffer.from('u:p').toString('base64')}`)).toBe('p');
  });

  it.each([
    [undefined],
    [null],
    [''],
    ['Bearer abc'],
    ['Basic'],
    ['Basic !!!'],
    [`Basic ${Buffer.from('no-colon').toString('base64')}`],
  ])('returns undefined for %j', (header) => {
    expect(basicAuthPassword(header)).toBeUndefined();
  });
});

describe('constantTimeEqual', () => {
  it('compares strings of any length', () => {
    expect(constantTimeEqual('service-hook-secret', 'service-hook-secret')).toBe(true);
    expect(constantTimeEqual('service-hook-secret', 'service-hook-secreT')).toBe(false);
    expect(constantTimeEqual('short', 'a much longer string')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
    expect(constantTimeEqual('', 'x')).toBe(false);
  });
});

describe('principalFromHeaders', () => {
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64');

  it('reads x-ms-client-principal-name first', () => {
    const headers = new Headers({
      'x-ms-client-principal-name': 'alice@contoso.com',
      'x-ms-client-principal': encode({ claims: [] }),
    });
    expect(principalFromHeaders(headers)).toBe('alice@contoso.com');
  });

  it('falls back to the name claim of x-ms-client-principal (App Service authentication)', () => {
    const principal = {
      auth_typ: 'aad',
      name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
      role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
      claims: [
        { typ: 'aud', val: 'x' },
        { typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', val: 'bob@contoso.com' },
        { typ: 'name', val: 'Bob' },
      ],
    };
    expect(principalFromHeaders(new Headers({ 'x-ms-client-principal': encode(principal) }))).toBe(
      'bob@contoso.com',
    );
    const noNameTyp = { claims: [{ typ: 'preferred_username', val: 'carol@contoso.com' }] };
    expect(principalFromHeaders(new Headers({ 'x-ms-client-principal': encode(noNameTyp) }))).toBe(
      'carol@contoso.com',
    );
  });

  it('reads the Static Web Apps shape (userDetails)', () => {
    expect(
      principalFromHeaders(new Headers({ 'x-ms-client-principal': encode({ userDetails: 'dave' }) })),
    ).toBe('dave');
  });

  it('returns undefined without headers or with garbage', () => {
    expect(principalFromHeaders(new Headers())).toBeUndefined();
    expect(principalFromHeaders(new Headers({ 'x-ms-client-principal': 'not base64 json' }))).toBeUndefined();
    expect(
      principalFromHeaders(new Headers({ 'x-ms-client-principal': encode({ claims: 'x' }) })),
    ).toBeUndefined();
    expect(principalFromHeaders(new Headers({ 'x-ms-client-principal-name': '  ' }))).toBeUndefined();
  });
});

const encode = (x: unknown): string => Buffer.from(JSON.stringify(x), 'utf8').toString('base64');

describe('identityFromHeaders', () => {
  const signedIn = {
    'x-ms-client-principal-name': 'alice@contoso.com',
    'x-ms-client-principal-id': 'a1b2',
    'x-ms-client-principal-idp': 'aad',
    'x-ms-client-principal': encode({
      auth_typ: 'aad',
      claims: [
        { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: 'a1b2' },
        { typ: 'name', val: 'Alice Smith' },
      ],
    }),
  };

  it('reads nothing unless the platform owns the headers (App Service authentication on)', () => {
    expect(identityFromHeaders(new Headers(signedIn), false)).toBeUndefined();
  });

  it('reads name, object id, provider and display name as App Service authentication sets them', () => {
    expect(identityFromHeaders(new Headers(signedIn), true)).toEqual({
      name: 'alice@contoso.com',
      id: 'a1b2',
      idp: 'aad',
      displayName: 'Alice Smith',
    });
    // Only the base64 principal: the name, the provider (auth_typ) and the object id come from its claims.
    const only = encode({
      auth_typ: 'aad',
      name_typ: 'preferred_username',
      claims: [
        { typ: 'preferred_username', val: 'bob@contoso.com' },
        { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: 'b0b' },
      ],
    });
    expect(identityFromHeaders(new Headers({ 'x-ms-client-principal': only }), true)).toEqual({
      name: 'bob@contoso.com',
      id: 'b0b',
      idp: 'aad',
    });
  });

  it('needs a name and an identity provider; refuses control characters and over-long values', () => {
    expect(
      identityFromHeaders(new Headers({ 'x-ms-client-principal-name': 'a@x.com' }), true),
    ).toBeUndefined();
    expect(
      identityFromHeaders(
        new Headers({ 'x-ms-client-principal-name': 'a'.repeat(300), 'x-ms-client-principal-idp': 'aad' }),
        true,
      ),
    ).toBeUndefined();
    expect(identityFromHeaders(new Headers(), true)).toBeUndefined();
  });
});

describe('crossSiteProblem', () => {
  const base = 'https://func.example.net';
  it('lets same-origin browsers and non-browser clients through', () => {
    expect(crossSiteProblem(new Headers(), base)).toBeUndefined();
    expect(crossSiteProblem(new Headers({ origin: 'https://FUNC.example.net' }), base)).toBeUndefined();
    expect(crossSiteProblem(new Headers({ 'sec-fetch-site': 'same-origin' }), base)).toBeUndefined();
    expect(crossSiteProblem(new Headers({ 'sec-fetch-site': 'none' }), base)).toBeUndefined();
  });
  it('refuses another origin or a cross-site / same-site fetch, naming it', () => {
    expect(crossSiteProblem(new Headers({ origin: 'https://evil.example' }), base)).toMatch(
      /another origin \(Origin: https:\/\/evil\.example; this app is https:\/\/func\.example\.net\)/,
    );
    expect(crossSiteProblem(new Headers({ origin: 'null' }), base)).toMatch(/another origin/);
    expect(crossSiteProblem(new Headers({ 'sec-fetch-site': 'cross-site' }), base)).toMatch(/cross-site/);
    expect(crossSiteProblem(new Headers({ 'sec-fetch-site': 'same-site' }), base)).toMatch(/same-site/);
  });
});
