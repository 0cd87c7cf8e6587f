/**
 * The local host's stand-in for App Service authentication: a development sign-in that sets a signed session
 * cookie, and on every request to the app the platform's rule: client-sent principal headers are removed, the
 * session's are set.
 */
import { createTestHost, type TestHost } from '../../../local/host/host';
import { DEV_AUTH_COOKIE, devSessionCookie, readDevSession } from '../../../local/host/devAuth';
import { registerSampleApp } from './sampleApp';

let host: TestHost;
beforeAll(async () => {
  host = await createTestHost({ register: registerSampleApp, functionKey: 'k3y-for-tests' });
});
afterAll(async () => {
  await host.close();
});

const call = (path: string, init?: RequestInit): Promise<Response> =>
  fetch(`${host.url}${path}`, { redirect: 'manual', ...init });
const whoami = async (headers: Record<string, string>): Promise<Record<string, string>> =>
  (await (await call('/api/whoami', { headers })).json()) as Record<string, string>;

async function signIn(fields: Record<string, string>): Promise<Response> {
  return call('/.auth/login/aad', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

describe('development sign-in', () => {
  it('GET shows a sign-in form that posts to itself; nothing is set by looking', async () => {
    const res = await call(
      '/.auth/login/aad?post_login_redirect_uri=%2Fapi%2Fapprovals%2Fx%2Fapprove%3Ftoken%3Dt',
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain('<form method="post" action="/.auth/login/aad">');
    expect(html).toContain('value="/api/approvals/x/approve?token=t"');
  });

  it('POST signs in: a session cookie and a redirect back; then the app sees the principal headers', async () => {
    const res = await signIn({
      name: 'alice@contoso.com',
      displayName: 'Alice',
      post_login_redirect_uri: '/api/whoami',
    });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/api/whoami');
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(
      new RegExp(`^${DEV_AUTH_COOKIE}=[^;]+; Path=/; HttpOnly; SameSite=Lax; Max-Age=\\d+$`),
    );
    const cookie = setCookie.split(';')[0]!;
    const seen = await whoami({ cookie });
    expect(seen).toMatchObject({
      'x-ms-client-principal-name': 'alice@contoso.com',
      'x-ms-client-principal-idp': 'aad',
      'x-ms-client-principal-id': expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    const principal = JSON.parse(Buffer.from(seen['x-ms-client-principal']!, 'base64').toString('utf8')) as {
      auth_typ: string;
      claims: { typ: string; val: string }[];
    };
    expect(principal.auth_typ).toBe('aad');
    expect(principal.claims).toContainEqual({ typ: 'name', val: 'Alice' });
    const me = (await (await call('/.auth/me', { headers: { cookie } })).json()) as { user_id: string }[];
    expect(me).toEqual([expect.objectContaining({ provider_name: 'aad', user_id: 'alice@contoso.com' })]);
  });

  it('a client-sent principal header never reaches the app, signed in or not', async () => {
    const spoofed = {
      'x-ms-client-principal-name': 'mallory@contoso.com',
      'X-MS-CLIENT-PRINCIPAL-IDP': 'aad',
      'x-ms-client-principal': Buffer.from('{"auth_typ":"aad","claims":[]}').toString('base64'),
      'x-ms-client-principal-id': 'x',
      'x-ms-token-aad-access-token': 'forged',
    };
    expect(await whoami(spoofed)).toEqual({});
    const cookie = (await signIn({ name: 'alice@contoso.com' })).headers.get('set-cookie')!.split(';')[0]!;
    const seen = await whoami({ ...spoofed, cookie });
    expect(seen['x-ms-client-principal-name']).toBe('alice@contoso.com');
    expect(seen).not.toHaveProperty('x-ms-token-aad-access-token');
  });

  it('a tampered, foreign or expired session is no session', async () => {
    const cookie = (await signIn({ name: 'alice@contoso.com' })).headers.get('set-cookie')!.split(';')[0]!;
    const [payload, sig] = cookie.slice(DEV_AUTH_COOKIE.length + 1).split('.');
    const forged = Buffer.from(
      JSON.stringify({ n: 'root@contoso.com', i: 'x', e: Date.now() + 60_000 }),
    ).toString('base64url');
    expect(await whoami({ cookie: `${DEV_AUTH_COOKIE}=${forged}.${sig}` })).toEqual({});
    expect(await whoami({ cookie: `${DEV_AUTH_COOKIE}=${payload}.${sig}x` })).toEqual({});
    const otherKey = devSessionCookie('another-secret', { name: 'a@x.com', id: 'x' }, Date.now() + 60_000);
    expect(await whoami({ cookie: `${DEV_AUTH_COOKIE}=${otherKey}` })).toEqual({});
    expect(
      readDevSession('s', devSessionCookie('s', { name: 'a@x.com', id: 'x' }, 1000), 1000),
    ).toBeUndefined();
    expect(
      readDevSession('s', devSessionCookie('s', { name: 'a@x.com', id: 'x' }, 1001), 1000),
    ).toMatchObject({
      name: 'a@x.com',
    });
  });

  it('refuses a missing or control-character name, and never redirects off the host', async () => {
    expect((await signIn({ name: '' })).status).toBe(400);
    expect((await signIn({ name: 'a\r\nSet-Cookie: x=y' })).status).toBe(400);
    for (const target of ['https://evil.example/', '//evil.example/', '/\\evil.example']) {
      const res = await signIn({ name: 'a@x.com', post_login_redirect_uri: target });
      expect(res.headers.get('location')).toBe('/.auth/me');
    }
  });

  it('logout clears the session', async () => {
    const res = await call('/.auth/logout?post_logout_redirect_uri=/api/whoami');
    expect(res.status).toBe(302);
    expect(res.headers.get('set-cookie')).toMatch(new RegExp(`^${DEV_AUTH_COOKIE}=; .*Max-Age=0`));
    expect(res.headers.get('location')).toBe('/api/whoami');
  });
});
