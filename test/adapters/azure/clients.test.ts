import type { TokenCredential } from '@azure/core-auth';
import { createAzureClients, scopeFor } from '../../../src/adapters/azure/clients';
import { createAlertsManagementSource } from '../../../src/adapters/azure/alertsManagement';
import { createRunCommandDeployer } from '../../../src/adapters/azure/runCommand';
import { createTrafficSwitch } from '../../../src/adapters/trafficManager';
import { retryNotBeforeOf, StepError } from '../../../src/core/errors';
import type { Harness } from '../../local/arm/harness';
import { APPI_ID, PROFILE_ID, startHarness, testClients, vmssId } from '../../local/arm/harness';

/** Requests to the profile, in arrival order. */
const profileGets = (h: Harness) =>
  h.arm.control.requests().filter((r) => r.method === 'GET' && /tm-webapp$/i.test(r.path));

describe('clients factory', () => {
  it('builds nothing, not even the credential, until a client is used', () => {
    const credentialFactory = jest.fn<TokenCredential, []>();
    const clients = createAzureClients({ armEndpoint: 'https://127.0.0.1:1', credential: credentialFactory });
    createTrafficSwitch(clients);
    createRunCommandDeployer(clients);
    createAlertsManagementSource(clients);
    expect(credentialFactory).not.toHaveBeenCalled();
    expect(clients.credentialScope).toBe('https://127.0.0.1:1/.default');
  });

  it('derives the token scope from the ARM endpoint (sovereign clouds) unless overridden', () => {
    expect(scopeFor('https://management.usgovcloudapi.net/')).toBe(
      'https://management.usgovcloudapi.net/.default',
    );
    const clients = createAzureClients({
      armEndpoint: 'https://management.chinacloudapi.cn',
      credential: { getToken: async () => null },
      credentialScope: 'https://management.core.chinacloudapi.cn/.default',
    });
    expect(clients.credentialScope).toBe('https://management.core.chinacloudapi.cn/.default');
    expect(createAzureClients({ credential: { getToken: async () => null } }).armEndpoint).toBe(
      'https://management.azure.com',
    );
  });
});

describe('network failures', () => {
  it('retries a refused connection, then fails as transient with the network code', async () => {
    const h = await startHarness();
    const clients = testClients(h.arm);
    await h.stop(); // the port is closed now
    const err = await createTrafficSwitch(clients)
      .readProfile(PROFILE_ID)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      step: 'read-profile',
      resource: PROFILE_ID,
      transient: true,
      cause: { code: 'ECONNREFUSED' },
    });
  });
});

describe('clients against the stand-in: scopes, retries and errors', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('asks every client’s token for <endpoint>/.default', async () => {
    const scopes: string[] = [];
    const credential: TokenCredential = {
      getToken: async (s) => {
        scopes.push(...(Array.isArray(s) ? s : [s]));
        return { token: 't', expiresOnTimestamp: Date.now() + 3.6e6 };
      },
    };
    const clients = createAzureClients({
      armEndpoint: h.arm.url,
      credential,
      clientOptions: { tlsOptions: { ca: h.arm.caPem } },
    });
    await createTrafficSwitch(clients).readProfile(PROFILE_ID);
    await createRunCommandDeployer(clients).listInstances({ kind: 'vmss', resourceId: vmssId('blue') });
    await createAlertsManagementSource(clients).firing(
      { resourceIds: [APPI_ID], ruleNames: [] },
      { trafficResource: PROFILE_ID },
    );
    expect(new Set(scopes)).toEqual(new Set([`${h.arm.url}/.default`]));
  });

  it('survives 429 and waits at least the Retry-After before retrying', async () => {
    h.arm.control.addFault({
      method: 'GET',
      path: 'tm-webapp$',
      status: 429,
      retryAfterSeconds: 1,
      count: 2,
    });
    const profile = await createTrafficSwitch(testClients(h.arm)).readProfile(PROFILE_ID);
    expect(profile.endpoints).toHaveLength(2);
    const gets = profileGets(h);
    expect(gets.map((g) => g.status)).toEqual([429, 429, 200]);
    expect(gets[1]!.atMs - gets[0]!.atMs).toBeGreaterThanOrEqual(1000);
    expect(gets[2]!.atMs - gets[1]!.atMs).toBeGreaterThanOrEqual(1000);
  });

  it('survives a 429 without Retry-After (backs off instead of failing)', async () => {
    h.arm.control.addFault({ method: 'GET', path: 'tm-webapp$', status: 429 });
    await createTrafficSwitch(testClients(h.arm)).readProfile(PROFILE_ID);
    expect(profileGets(h).map((g) => g.status)).toEqual([429, 200]);
  });

  it('survives 500 and 503 on reads, writes and run command polls', async () => {
    h.arm.control.addFault({ method: 'GET', path: 'tm-webapp$', status: 500 });
    h.arm.control.addFault({ method: 'PATCH', path: 'endpoints/green$', status: 503, count: 2 });
    h.arm.control.addFault({ method: 'GET', path: '/operations/', status: 502 });
    const traffic = createTrafficSwitch(testClients(h.arm));
    const profile = await traffic.readProfile(PROFILE_ID);
    await traffic.setEndpointEnabled(PROFILE_ID, profile.endpoints[1]!, true);
    const result = await createRunCommandDeployer(testClients(h.arm)).run(
      { id: `${vmssId('blue')}/virtualMachines/0`, name: 'vmss-webapp-blue_0', kind: 'vmssVm' },
      { runName: 'r1', scriptKind: 'linux', script: 'x', parameters: {}, timeoutSeconds: 60 },
    );
    expect(result.succeeded).toBe(true);
    expect(h.arm.control.profile().properties.endpoints[1]?.properties.endpointStatus).toBe('Enabled');
    const faulted = h.arm.control.requests().filter((r) => r.faultId !== undefined);
    expect(faulted.map((r) => r.status)).toEqual([500, 503, 503, 502]);
  });

  it('retries an attempt that gets no answer in time', async () => {
    h.arm.control.addFault({ method: 'GET', path: 'tm-webapp$', delayMs: 1500 });
    const traffic = createTrafficSwitch(testClients(h.arm, { perTryTimeoutMs: 300 }));
    await expect(traffic.readProfile(PROFILE_ID)).resolves.toMatchObject({ profileId: PROFILE_ID });
    // The abandoned first attempt is logged when the stand-in finishes its delayed answer.
    while (profileGets(h).length < 2) await new Promise((r) => setTimeout(r, 50));
    const [slow, retry] = [...profileGets(h)].sort((a, b) => a.atMs - b.atMs);
    expect(slow?.faultId).toBeDefined();
    expect(retry).toMatchObject({ status: 200 });
    expect(retry!.atMs - slow!.atMs).toBeGreaterThanOrEqual(300);
  });

  it('gives up after the bounded attempts with a transient error naming resource and cause', async () => {
    h.arm.control.addFault({
      method: 'GET',
      path: 'tm-webapp$',
      status: 503,
      count: 10,
      message: 'backend busy',
    });
    const err = await createTrafficSwitch(testClients(h.arm))
      .readProfile(PROFILE_ID)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepError);
    expect(err).toMatchObject({ step: 'read-profile', resource: PROFILE_ID, transient: true });
    expect((err as Error).message).toContain('HTTP 503 ServiceUnavailable: backend busy');
    expect(profileGets(h)).toHaveLength(4); // 1 + maxRetries (3 in the test clients)
  });

  it('does not wait in-process for a Retry-After beyond the cap: fails fast as transient', async () => {
    h.arm.control.addFault({ method: 'GET', path: 'tm-webapp$', status: 429, retryAfterSeconds: 3600 });
    const err = await createTrafficSwitch(testClients(h.arm, { maxRetryAfterSeconds: 30 }))
      .readProfile(PROFILE_ID)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ transient: true, cause: { statusCode: 429, code: 'TooManyRequests' } });
    expect(profileGets(h)).toHaveLength(1);
    // The wait travels in the error (and its message, the only part crossing the activity boundary).
    const notBefore = Date.parse((err as StepError).retryNotBefore!);
    expect(notBefore - profileGets(h)[0]!.atMs).toBeGreaterThanOrEqual(3599_000);
    expect(retryNotBeforeOf((err as Error).message)).toBe(notBefore);
    expect((err as StepError).cause).toMatchObject({ retryAfterSeconds: 3600 });
  });

  it('a 503 with a Retry-After beyond the cap is not retried in-process within seconds either', async () => {
    h.arm.control.addFault({ method: 'PATCH', status: 503, retryAfterSeconds: 120, count: 5 });
    const traffic = createTrafficSwitch(testClients(h.arm, { maxRetryAfterSeconds: 30 }));
    const green = (await traffic.readProfile(PROFILE_ID)).endpoints[1]!;
    const err = await traffic.setEndpointEnabled(PROFILE_ID, green, true).catch((e: unknown) => e);
    expect(err).toMatchObject({ step: 'enable-endpoint', transient: true, cause: { statusCode: 503 } });
    expect(h.arm.control.requests().filter((r) => r.method === 'PATCH')).toHaveLength(1);
    const patch = h.arm.control.requests().find((r) => r.method === 'PATCH')!;
    expect(Date.parse((err as StepError).retryNotBefore!) - patch.atMs).toBeGreaterThanOrEqual(119_000);
  });

  it('honours Retry-After as an HTTP-date: waited in-process under the cap, surfaced above it', async () => {
    h.arm.control.addFault({
      method: 'GET',
      path: 'tm-webapp$',
      status: 429,
      retryAfterSeconds: 2,
      retryAfterHttpDate: true,
    });
    await createTrafficSwitch(testClients(h.arm)).readProfile(PROFILE_ID);
    const gets = profileGets(h);
    expect(gets.map((g) => g.status)).toEqual([429, 200]);
    // An HTTP-date has whole seconds: the retry comes no sooner than the second it names.
    expect(gets[1]!.atMs).toBeGreaterThanOrEqual(Math.floor(gets[0]!.atMs / 1000) * 1000 + 2000);

    h.arm.control.addFault({
      method: 'GET',
      path: 'tm-webapp$',
      status: 429,
      retryAfterSeconds: 90,
      retryAfterHttpDate: true,
    });
    const err = await createTrafficSwitch(testClients(h.arm))
      .readProfile(PROFILE_ID)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ transient: true, cause: { statusCode: 429 } });
    expect(profileGets(h)).toHaveLength(3);
    const wait = Date.parse((err as StepError).retryNotBefore!) - profileGets(h)[2]!.atMs;
    expect(wait).toBeGreaterThanOrEqual(88_000);
    expect(wait).toBeLessThanOrEqual(91_000);
  });

  it('does not retry 403 or 404 and names step, resource and ARM error', async () => {
    h.arm.control.addFault({
      method: 'PATCH',
      status: 403,
      errorCode: 'AuthorizationFailed',
      message:
        "The client does not have authorization to perform action 'Microsoft.Network/trafficManagerProfiles/write'",
    });
    const traffic = createTrafficSwitch(testClients(h.arm));
    const green = (await traffic.readProfile(PROFILE_ID)).endpoints[1]!;
    const err = await traffic.setEndpointEnabled(PROFILE_ID, green, true).catch((e: unknown) => e);
    expect(err).toMatchObject({
      step: 'enable-endpoint',
      resource: `${PROFILE_ID}/externalEndpoints/green`,
      transient: false,
      cause: { statusCode: 403, code: 'AuthorizationFailed' },
    });
    expect((err as Error).message).toBe(
      `enable-endpoint failed on ${PROFILE_ID}/externalEndpoints/green: HTTP 403 AuthorizationFailed: The client does not have authorization to perform action 'Microsoft.Network/trafficManagerProfiles/write'`,
    );
    expect(h.arm.control.requests().filter((r) => r.method === 'PATCH')).toHaveLength(1);
  });
});
