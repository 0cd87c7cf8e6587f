import { existsSync, readFileSync } from 'node:fs';
import type { Harness } from './harness';
import { PROFILE_ID, RG_ID, SUB, buildTopology, rawRequest, startHarness, vmssId } from './harness';

const TM = '?api-version=2022-04-01';
const CP = '?api-version=2026-04-01';

const waitFor = async (check: () => boolean | Promise<boolean>, what: string): Promise<void> => {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('ARM stand-in', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('serves the seeded profile with blue enabled, green disabled and dnsConfig', async () => {
    const res = await rawRequest(h.arm, 'GET', `${PROFILE_ID}${TM}`);
    expect(res.status).toBe(200);
    expect(res.body.properties.dnsConfig).toEqual({
      relativeName: 'tm-webapp',
      fqdn: 'tm-webapp.trafficmanager.net',
      ttl: 30,
    });
    expect(
      res.body.properties.endpoints.map((e: { name: string; properties: { endpointStatus: string } }) => [
        e.name,
        e.properties.endpointStatus,
      ]),
    ).toEqual([
      ['blue', 'Enabled'],
      ['green', 'Disabled'],
    ]);
    expect(res.body.properties.endpoints[0].properties.target).toBe('127.0.10.1');
  });

  it('answers ARM error bodies: unknown resource, unknown group, missing or wrong api-version, no token', async () => {
    const missing = await rawRequest(
      h.arm,
      'GET',
      `${RG_ID}/providers/Microsoft.Network/trafficManagerProfiles/nope${TM}`,
    );
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('ResourceNotFound');
    const noRg = await rawRequest(
      h.arm,
      'GET',
      `/subscriptions/${SUB}/resourceGroups/rg-x/providers/Microsoft.Compute/virtualMachines${CP}`,
    );
    expect(noRg.body.error.code).toBe('ResourceGroupNotFound');
    const noVersion = await rawRequest(h.arm, 'GET', PROFILE_ID);
    expect([noVersion.status, noVersion.body.error.code]).toEqual([400, 'MissingApiVersionParameter']);
    const badVersion = await rawRequest(h.arm, 'GET', `${PROFILE_ID}?api-version=1999-01-01`);
    expect(badVersion.body.error.code).toBe('InvalidApiVersionParameter');
    const anonymous = await rawRequest(h.arm, 'GET', `${PROFILE_ID}${TM}`, undefined, {});
    expect([anonymous.status, anonymous.body.error.code]).toEqual([401, 'AuthenticationFailed']);
  });

  it('matches paths case-insensitively, as ARM does', async () => {
    const res = await rawRequest(h.arm, 'GET', `${PROFILE_ID.toLowerCase()}/EXTERNALENDPOINTS/Green${TM}`);
    expect(res.status).toBe(200);
    expect(res.body.name).toBe('green');
  });

  it('PATCHes only the given endpoint properties and rejects an invalid status', async () => {
    const patched = await rawRequest(h.arm, 'PATCH', `${PROFILE_ID}/ExternalEndpoints/green${TM}`, {
      properties: { endpointStatus: 'Enabled' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.properties).toMatchObject({
      endpointStatus: 'Enabled',
      target: '127.0.11.1',
      priority: 2,
    });
    const bad = await rawRequest(h.arm, 'PATCH', `${PROFILE_ID}/ExternalEndpoints/green${TM}`, {
      properties: { endpointStatus: 'Maybe' },
    });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'BadRequest']);
  });

  it('tells change listeners of each applied write before answering it, and never of a refused one', async () => {
    const seen: string[] = [];
    const status = () =>
      h.arm.control
        .profile()
        .properties.endpoints.map((e) => `${e.name}:${e.properties.endpointStatus}`)
        .join(',');
    const unsubscribe = h.arm.control.onChange(() => seen.push(status()));
    const patched = await rawRequest(h.arm, 'PATCH', `${PROFILE_ID}/ExternalEndpoints/green${TM}`, {
      properties: { endpointStatus: 'Enabled' },
    });
    expect(patched.status).toBe(200);
    // The listener saw the profile as the write left it, by the time the answer arrived.
    expect(seen).toEqual(['blue:Enabled,green:Enabled']);
    const bad = await rawRequest(h.arm, 'PATCH', `${PROFILE_ID}/ExternalEndpoints/green${TM}`, {
      properties: { endpointStatus: 'Maybe' },
    });
    expect(bad.status).toBe(400);
    h.arm.control.setEndpointStatus('blue', 'Disabled');
    expect(seen).toEqual(['blue:Enabled,green:Enabled', 'blue:Disabled,green:Enabled']);
    unsubscribe();
    h.arm.control.setEndpointStatus('blue', 'Enabled');
    expect(seen).toHaveLength(2);
  });

  it('lists profiles by resource group', async () => {
    const res = await rawRequest(
      h.arm,
      'GET',
      `${RG_ID}/providers/Microsoft.Network/trafficmanagerprofiles${TM}`,
    );
    expect(res.body.value.map((p: { name: string }) => p.name)).toEqual(['tm-webapp']);
  });

  it('creates a run command as an LRO with Azure-AsyncOperation and keeps it Running until the executor returns', async () => {
    h.executor.hold();
    const url = `${vmssId('green')}/virtualMachines/1/runCommands/deploy-1`;
    const put = await rawRequest(h.arm, 'PUT', `${url}${CP}`, {
      location: 'westeurope',
      properties: {
        source: { script: 'echo hi' },
        parameters: [{ name: 'A', value: '1' }],
        timeoutInSeconds: 60,
      },
    });
    expect(put.status).toBe(201);
    expect(put.body.properties.provisioningState).toBe('Creating');
    const op = String(put.headers['azure-asyncoperation']);
    expect(op).toMatch(
      new RegExp(
        `/subscriptions/${SUB}/providers/Microsoft.Compute/locations/westeurope/operations/[0-9a-f-]+\\?api-version=2026-04-01$`,
      ),
    );
    await waitFor(() => h.executor.calls.length === 1, 'the executor call');
    expect(h.executor.calls[0]).toMatchObject({
      instanceName: 'vmss-webapp-green_1',
      runName: 'deploy-1',
      script: 'echo hi',
      parameters: { A: '1' },
      timeoutSeconds: 60,
    });
    const running = await rawRequest(h.arm, 'GET', `${url}${CP}&$expand=instanceView`);
    expect(running.body.properties.instanceView.executionState).toBe('Running');
    const poll = await rawRequest(h.arm, 'GET', op.slice(h.arm.url.length));
    expect(poll.body.status).toBe('InProgress');
    h.executor.release();
    await waitFor(
      async () => (await rawRequest(h.arm, 'GET', op.slice(h.arm.url.length))).body.status === 'Succeeded',
      'the operation',
    );
    const done = await rawRequest(h.arm, 'GET', `${url}${CP}&$expand=instanceView`);
    expect(done.body.properties.provisioningState).toBe('Succeeded');
    expect(done.body.properties.instanceView).toMatchObject({
      executionState: 'Succeeded',
      exitCode: 0,
      output: 'deployed on vmss-webapp-green_1',
    });
    const plain = await rawRequest(h.arm, 'GET', `${url}${CP}`);
    expect(plain.body.properties.instanceView).toBeUndefined();
  });

  it('hands protectedParameters to the executor like parameters and never returns them', async () => {
    const url = `${vmssId('blue')}/virtualMachines/1/runCommands/deploy-secret`;
    const sas = 'https://st.blob.core.windows.net/releases/7.tar.gz?sig=c2VjcmV0';
    const put = await rawRequest(h.arm, 'PUT', `${url}${CP}`, {
      location: 'westeurope',
      properties: {
        source: { script: 'echo hi' },
        parameters: [{ name: 'VERSION', value: '7' }],
        protectedParameters: [{ name: 'ARTIFACT_URL', value: sas }],
        timeoutInSeconds: 60,
      },
    });
    expect(put.status).toBe(201);
    expect(put.body.properties).not.toHaveProperty('protectedParameters');
    await waitFor(() => h.executor.calls.length === 1, 'the executor call');
    expect(h.executor.calls[0]?.parameters).toEqual({ VERSION: '7', ARTIFACT_URL: sas });
    const one = await rawRequest(h.arm, 'GET', `${url}${CP}&$expand=instanceView`);
    const list = await rawRequest(h.arm, 'GET', `${vmssId('blue')}/virtualMachines/1/runCommands${CP}`);
    for (const body of [one.body, list.body]) expect(JSON.stringify(body)).not.toContain('sig=');
    expect(one.body.properties.parameters).toEqual([{ name: 'VERSION', value: '7' }]);
  });

  it('does not execute an identical run command twice, and runs a changed one again', async () => {
    const url = `${vmssId('blue')}/virtualMachines/0/runCommands/deploy-2${CP}`;
    const body = {
      location: 'westeurope',
      properties: { source: { script: 'echo 1' }, timeoutInSeconds: 60 },
    };
    await rawRequest(h.arm, 'PUT', url, body);
    await waitFor(() => h.arm.control.runCommands()[0]?.provisioningState === 'Succeeded', 'the first run');
    const again = await rawRequest(h.arm, 'PUT', url, body);
    expect(again.status).toBe(200);
    expect(again.headers['azure-asyncoperation']).toBeUndefined();
    expect(h.executor.calls).toHaveLength(1);
    await rawRequest(h.arm, 'PUT', url, {
      ...body,
      properties: { ...body.properties, source: { script: 'echo 2' } },
    });
    await waitFor(() => h.executor.calls.length === 2, 'the changed run');
    expect(h.arm.control.runCommands()[0]?.executions).toBe(2);
  });

  it('fails run commands on chosen instances with the injected exit code and stderr', async () => {
    h.arm.control.failRunCommands({
      instances: ['vmss-webapp-blue_1'],
      exitCode: 12,
      stderr: 'download failed',
    });
    for (const i of ['0', '1']) {
      await rawRequest(h.arm, 'PUT', `${vmssId('blue')}/virtualMachines/${i}/runCommands/r${CP}`, {
        location: 'westeurope',
        properties: { source: { script: 'x' } },
      });
    }
    await waitFor(
      () => h.arm.control.runCommands().every((r) => r.provisioningState === 'Succeeded'),
      'both runs',
    );
    const failed = await rawRequest(
      h.arm,
      'GET',
      `${vmssId('blue')}/virtualMachines/1/runCommands/r${CP}&$expand=instanceView`,
    );
    expect(failed.body.properties.instanceView).toMatchObject({
      executionState: 'Failed',
      exitCode: 12,
      error: 'download failed',
    });
    expect(h.executor.calls.map((c) => c.instanceName)).toEqual(['vmss-webapp-blue_0']);
  });

  it('lists and deletes run commands (202 LRO, then 204 once gone), persisted across a restart', async () => {
    const first = await startHarness();
    try {
      const parent = `${vmssId('green')}/virtualMachines/0`;
      for (const name of ['deploy-1', 'deploy-2']) {
        await rawRequest(first.arm, 'PUT', `${parent}/runCommands/${name}${CP}`, {
          location: 'westeurope',
          properties: { source: { script: 'x' } },
        });
      }
      await waitFor(
        () => first.arm.control.runCommands().every((r) => r.provisioningState === 'Succeeded'),
        'both runs',
      );
      const list = await rawRequest(first.arm, 'GET', `${parent}/runCommands${CP}`);
      expect(list.body.value.map((r: { name: string }) => r.name).sort()).toEqual(['deploy-1', 'deploy-2']);

      const del = await rawRequest(first.arm, 'DELETE', `${parent}/runCommands/deploy-1${CP}`);
      expect(del.status).toBe(202);
      const poll = String(del.headers['azure-asyncoperation']);
      expect(String(del.headers.location)).toContain('monitor=true');
      const op = await rawRequest(first.arm, 'GET', poll.slice(poll.indexOf('/subscriptions/')));
      expect(op.body.status).toBe('Succeeded');
      expect((await rawRequest(first.arm, 'GET', `${parent}/runCommands/deploy-1${CP}`)).status).toBe(404);
      expect((await rawRequest(first.arm, 'DELETE', `${parent}/runCommands/deploy-1${CP}`)).status).toBe(204);
      expect(first.arm.control.runCommands().map((r) => r.name)).toEqual(['deploy-2']);
    } finally {
      await first.stop({ keepData: true });
    }
    const second = await startHarness({ dataDir: first.dataDir });
    try {
      expect(second.arm.control.runCommands().map((r) => r.name)).toEqual(['deploy-2']);
    } finally {
      await second.stop();
    }
  });

  it('runs the runCommand action (POST) with Azure-AsyncOperation and Location', async () => {
    const res = await rawRequest(h.arm, 'POST', `${vmssId('blue')}/virtualMachines/0/runCommand${CP}`, {
      commandId: 'RunShellScript',
      script: ['echo a', 'echo b'],
    });
    expect(res.status).toBe(202);
    const location = String(res.headers.location).slice(h.arm.url.length);
    await waitFor(async () => (await rawRequest(h.arm, 'GET', location)).status === 200, 'the action');
    const result = await rawRequest(h.arm, 'GET', location);
    expect(result.body.value[0].message).toContain('deployed on vmss-webapp-blue_0');
    expect(h.executor.calls[0]?.script).toBe('echo a\necho b');
  });

  it('injects 429 with Retry-After, 5xx and delays for matching requests only, counting down', async () => {
    h.arm.control.addFault({
      method: 'GET',
      path: 'trafficmanagerprofiles/tm-webapp$',
      status: 429,
      retryAfterSeconds: 7,
      count: 2,
    });
    h.arm.control.addFault({ method: 'PATCH', path: 'endpoints', status: 503 });
    const first = await rawRequest(h.arm, 'GET', `${PROFILE_ID}${TM}`);
    expect([first.status, first.headers['retry-after'], first.body.error.code]).toEqual([
      429,
      '7',
      'TooManyRequests',
    ]);
    expect((await rawRequest(h.arm, 'GET', `${PROFILE_ID}${TM}`)).status).toBe(429);
    expect((await rawRequest(h.arm, 'GET', `${PROFILE_ID}${TM}`)).status).toBe(200);
    const patch = await rawRequest(h.arm, 'PATCH', `${PROFILE_ID}/externalEndpoints/green${TM}`, {
      properties: {},
    });
    expect([patch.status, patch.body.error.code]).toEqual([503, 'ServiceUnavailable']);
    h.arm.control.addFault({ path: 'tm-webapp$', delayMs: 150 });
    const before = Date.now();
    expect((await rawRequest(h.arm, 'GET', `${PROFILE_ID}${TM}`)).status).toBe(200);
    expect(Date.now() - before).toBeGreaterThanOrEqual(140);
    const log = h.arm.control.requests();
    expect(log.filter((e) => e.faultId !== undefined)).toHaveLength(4);
    expect(log.every((e) => e.authorized)).toBe(true);
  });

  it('serves the control API over HTTPS: faults, concurrent change, alerts, request log', async () => {
    const fault = await rawRequest(h.arm, 'POST', '/_control/faults', { path: 'nothing', status: 500 }, {});
    expect(fault.status).toBe(201);
    const flip = await rawRequest(h.arm, 'POST', '/_control/endpoint-status', { endpoint: 'green' }, {});
    expect(flip.body.properties.endpointStatus).toBe('Enabled');
    const alert = await rawRequest(
      h.arm,
      'POST',
      '/_control/alerts',
      { targetResource: h.topology.appInsightsId, rule: 'errors' },
      {},
    );
    expect(alert.body.properties.essentials.monitorCondition).toBe('Fired');
    const guid = String(alert.body.id).split('/').pop();
    const resolved = await rawRequest(h.arm, 'POST', `/_control/alerts/${guid}/resolve`, {}, {});
    expect(resolved.body.properties.essentials.monitorCondition).toBe('Resolved');
    await rawRequest(h.arm, 'GET', `${PROFILE_ID}${TM}`);
    const log = await rawRequest(h.arm, 'GET', '/_control/requests', undefined, {});
    expect(log.body.value.map((e: { method: string; path: string }) => `${e.method} ${e.path}`)).toEqual([
      `GET ${PROFILE_ID}`,
    ]);
  });

  it('lists alerts with the API filters and pages with nextLink, at a resource group scope', async () => {
    const other = `${RG_ID}/providers/Microsoft.Compute/virtualMachines/vm-other`;
    for (let i = 0; i < 3; i++)
      h.arm.control.addAlert({ targetResource: h.topology.appInsightsId, rule: `rule-${i}` });
    h.arm.control.addAlert({ targetResource: other, rule: 'cpu' });
    h.arm.control.addAlert({ targetResource: other, rule: 'disk', alertState: 'Closed' });
    const base = `${RG_ID}/providers/Microsoft.AlertsManagement/alerts?api-version=2019-03-01`;
    const byTarget = await rawRequest(
      h.arm,
      'GET',
      `${base}&targetResource=${encodeURIComponent(h.topology.appInsightsId.toLowerCase())}&pageCount=2`,
    );
    expect(byTarget.body.value).toHaveLength(2);
    const next = String(byTarget.body.nextLink).slice(h.arm.url.length);
    expect(next.startsWith(`${RG_ID}/providers/Microsoft.AlertsManagement/alerts?`)).toBe(true);
    const page2 = await rawRequest(h.arm, 'GET', next);
    expect(page2.body.value).toHaveLength(1);
    expect(page2.body.nextLink).toBeUndefined();
    const closedOnly = await rawRequest(h.arm, 'GET', `${base}&alertState=Closed`);
    expect(closedOnly.body.value.map((a: { name: string }) => a.name)).toEqual(['disk']);
  });

  it('answers only the alerts under the scope asked, and authorizes the scope like ARM', async () => {
    h.arm.control.addVm({ name: 'vm-x', resourceGroup: 'rg-x' });
    h.arm.control.addAlert({ targetResource: vmssId('blue'), rule: 'here' });
    h.arm.control.addAlert({ targetResource: `${vmssId('blue')}/virtualMachines/0`, rule: 'instance' });
    h.arm.control.addAlert({ targetResource: vmssId('green'), rule: 'sibling' });
    h.arm.control.addAlert({
      targetResource: `/subscriptions/${SUB}/resourceGroups/rg-x/providers/Microsoft.Compute/virtualMachines/vm-x`,
      rule: 'elsewhere',
    });
    const list = async (scope: string) => {
      const res = await rawRequest(
        h.arm,
        'GET',
        `${scope}/providers/Microsoft.AlertsManagement/alerts?api-version=2019-03-01`,
      );
      return {
        status: res.status,
        body: res.body,
        names: (res.body.value ?? []).map((a: { name: string }) => a.name).sort(),
      };
    };
    expect((await list(RG_ID)).names).toEqual(['here', 'instance', 'sibling']);
    expect((await list(RG_ID.toLowerCase())).names).toEqual(['here', 'instance', 'sibling']);
    expect((await list(vmssId('blue'))).names).toEqual(['here', 'instance']);
    expect((await list(`${vmssId('blue')}/virtualMachines/0`)).names).toEqual(['instance']);

    // The default grant is the topology's resource group only (infra/app/rbac.bicep): the subscription and
    // another group are refused, as Azure refuses a list above or beside the role assignment.
    const sub = await list(`/subscriptions/${SUB}`);
    expect(sub.status).toBe(403);
    expect(sub.body.error.code).toBe('AuthorizationFailed');
    expect(sub.body.error.message).toContain(`over scope '/subscriptions/${SUB}'`);
    expect((await list(`/subscriptions/${SUB}/resourceGroups/rg-x`)).status).toBe(403);
  });

  it('serves the subscription scope and other groups when granted there; unknown groups are 404', async () => {
    const g = await startHarness({ alertReadScopes: [`/subscriptions/${SUB}`] });
    try {
      g.arm.control.addVm({ name: 'vm-x', resourceGroup: 'rg-x' });
      g.arm.control.addAlert({ targetResource: vmssId('blue'), rule: 'here' });
      g.arm.control.addAlert({
        targetResource: `/subscriptions/${SUB}/resourceGroups/rg-x/providers/Microsoft.Compute/virtualMachines/vm-x`,
        rule: 'elsewhere',
      });
      const path = (scope: string) =>
        `${scope}/providers/Microsoft.AlertsManagement/alerts?api-version=2019-03-01`;
      const all = await rawRequest(g.arm, 'GET', path(`/subscriptions/${SUB}`));
      expect(all.body.value.map((a: { name: string }) => a.name).sort()).toEqual(['elsewhere', 'here']);
      const x = await rawRequest(g.arm, 'GET', path(`/subscriptions/${SUB}/resourceGroups/rg-x`));
      expect(x.body.value.map((a: { name: string }) => a.name)).toEqual(['elsewhere']);
      const missing = await rawRequest(g.arm, 'GET', path(`/subscriptions/${SUB}/resourceGroups/rg-none`));
      expect(missing.status).toBe(404);
      expect(missing.body.error.code).toBe('ResourceGroupNotFound');
      const bad = await rawRequest(g.arm, 'GET', path(`/subscriptions/${SUB}/resourceGroups/rg-x/nonsense`));
      expect(bad.status).toBe(400);
    } finally {
      await g.stop();
    }
  });

  it('serves an App Service-style token endpoint that checks X-IDENTITY-HEADER', async () => {
    const path = `/msi/token?api-version=2019-08-01&resource=${encodeURIComponent(h.arm.url)}`;
    const ok = await rawRequest(h.arm, 'GET', path, undefined, {
      'X-IDENTITY-HEADER': h.arm.identity.header,
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: 'Bearer', resource: h.arm.url });
    expect(Number(ok.body.expires_on)).toBeGreaterThan(Date.now() / 1000);
    const wrong = await rawRequest(h.arm, 'GET', path, undefined, { 'X-IDENTITY-HEADER': 'nope' });
    expect(wrong.status).toBe(401);
  });
});

describe('ARM stand-in persistence', () => {
  it('keeps which endpoint is enabled, and its certificate, across a restart', async () => {
    const first = await startHarness();
    const certBefore = first.arm.caPem;
    first.arm.control.setEndpointStatus('green', 'Enabled');
    first.arm.control.setEndpointStatus('blue', 'Disabled');
    await first.stop({ keepData: true });
    expect(existsSync(`${first.dataDir}/arm-state.json`)).toBe(true);
    expect(readFileSync(first.arm.certPath, 'utf8')).toBe(certBefore);

    const second = await startHarness({ dataDir: first.dataDir, topology: buildTopology() });
    try {
      expect(second.arm.caPem).toBe(certBefore);
      const res = await rawRequest(second.arm, 'GET', `${PROFILE_ID}${TM}`);
      expect(
        res.body.properties.endpoints.map(
          (e: { properties: { endpointStatus: string } }) => e.properties.endpointStatus,
        ),
      ).toEqual(['Disabled', 'Enabled']);
    } finally {
      await second.stop();
    }
  });

  it('re-runs an execution a restart interrupted', async () => {
    const first = await startHarness();
    first.executor.hold();
    await rawRequest(first.arm, 'PUT', `${vmssId('blue')}/virtualMachines/0/runCommands/r${CP}`, {
      location: 'westeurope',
      properties: { source: { script: 'x' } },
    });
    await waitFor(() => first.executor.calls.length === 1, 'the first execution');
    // Simulate a crash: close without the executor finishing (close waits at most 2 s for it).
    const closing = first.stop({ keepData: true });
    await closing;
    first.executor.release();
    const second = await startHarness({ dataDir: first.dataDir });
    try {
      await waitFor(() => second.executor.calls.length === 1, 'the resumed execution');
      await waitFor(
        () => second.arm.control.runCommands()[0]?.instanceView.executionState === 'Succeeded',
        'completion',
      );
    } finally {
      await second.stop();
    }
  });
});
