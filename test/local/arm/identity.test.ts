import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import type { Harness } from './harness';
import { RG, SUB, startHarness } from './harness';

/**
 * The app's unchanged DefaultAzureCredential gets its token from the stand-in's App Service-style endpoint.
 * Run in a child process: NODE_EXTRA_CA_CERTS is read only at process start, exactly as the launcher sets it.
 */
const CHILD = `
const { DefaultAzureCredential } = require('@azure/identity');
const { TrafficManagerManagementClient } = require('@azure/arm-trafficmanager');
(async () => {
  const options = process.env.AZURE_CLIENT_ID ? { managedIdentityClientId: process.env.AZURE_CLIENT_ID } : {};
  const credential = new DefaultAzureCredential(options);
  const scope = process.env.ARM_URL + '/.default';
  const token = await credential.getToken(scope);
  const client = new TrafficManagerManagementClient(credential, process.env.SUB, { endpoint: process.env.ARM_URL, credentialScopes: scope });
  const profile = await client.profiles.get(process.env.RG, 'tm-webapp');
  console.log(JSON.stringify({ token: token.token.slice(0, 6), endpoints: profile.endpoints.map((e) => e.name) }));
})().catch((e) => { console.error(e.message); process.exit(1); });
`;

function runChild(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['-e', CHILD],
      // A clean environment: no AZURE_* credentials or CLI logins leak in from the machine running the tests.
      {
        cwd: resolve(__dirname, '../../..'),
        env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', ...env },
        timeout: 20000,
      },
      (err, stdout, stderr) =>
        done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('managed identity through the stand-in', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.stop();
  });

  it('DefaultAzureCredential (IDENTITY_ENDPOINT + IDENTITY_HEADER) gets a token and the SDK calls ARM with it', async () => {
    // Exactly the environment the launcher gives the app process.
    const env = h.arm.appEnv();
    expect(env).toMatchObject({ ARM_ENDPOINT: h.arm.url, NODE_EXTRA_CA_CERTS: h.arm.certPath });
    const out = await runChild({ ...env, ARM_URL: env.ARM_ENDPOINT ?? '', SUB, RG });
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout)).toEqual({ token: 'local-', endpoints: ['blue', 'green'] });
    const call = h.arm.control.requests().find((e) => /trafficmanagerprofiles\/tm-webapp$/i.test(e.path));
    expect(call).toMatchObject({ authorized: true, managedIdentityToken: true, status: 200 });
  });

  it('passes a user-assigned client id (AZURE_CLIENT_ID) to the endpoint', async () => {
    const out = await runChild({
      IDENTITY_ENDPOINT: h.arm.identity.endpoint,
      IDENTITY_HEADER: h.arm.identity.header,
      NODE_EXTRA_CA_CERTS: h.arm.certPath,
      AZURE_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
      ARM_URL: h.arm.url,
      SUB,
      RG,
    });
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout).endpoints).toEqual(['blue', 'green']);
    const tokenCall = h.arm.control.requests().find((e) => e.path === '/msi/token' && e.query.client_id);
    expect(tokenCall?.query).toMatchObject({
      'api-version': '2019-08-01',
      resource: h.arm.url,
      client_id: '11111111-2222-3333-4444-555555555555',
    });
  });

  it('fails without the CA: the certificate is what NODE_EXTRA_CA_CERTS must supply', async () => {
    const out = await runChild({
      IDENTITY_ENDPOINT: h.arm.identity.endpoint,
      IDENTITY_HEADER: h.arm.identity.header,
      ARM_URL: h.arm.url,
      SUB,
      RG,
    });
    expect(out.code).not.toBe(0);
    // The token endpoint is HTTPS too: without the CA even the managed identity call fails.
    expect(out.stderr).toMatch(/ManagedIdentityCredential: Network unreachable/);
  });
});
