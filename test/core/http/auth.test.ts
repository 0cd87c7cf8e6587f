import { basicAuthPassword, constantTimeEqual, principalFromHeaders } from '../../../src/core/http/auth';
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
