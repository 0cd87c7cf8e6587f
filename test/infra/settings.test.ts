/**
 * The contract between the infrastructure and the app, read from the compiled template (infra/main.json)
 * deployed in memory: every setting the code reads (SETTINGS in src/core/config) is set, secrets only as
 * Key Vault references, the Durable backend is wired as selected, and the sample target passes the app's
 * own RELEASE_TARGETS schema.
 */
import { TRAFFIC_PROVIDERS } from '../../src/adapters/traffic/factory';
import { targetsSchema } from '../../src/core/config';
import { SETTINGS } from '../../src/settings';
import { HttpFunctions } from '../../src/core/names';
import { type DeployedResource, type Deployment, deployMain, repoFile } from './template';

const NOTIFY_URL = 'https://example.webhook.office.com/workflows/abc';
const byDefault = deployMain();
const withNotify = deployMain({ notifyWebhookUrl: NOTIFY_URL });
const withStorage = deployMain({ durableBackend: 'azureStorage' });

const one = (d: Deployment, path: string): DeployedResource => {
  const found = d.resources.filter((r) => r.path === path);
  if (found.length !== 1) throw new Error(`${found.length} resources at ${path}`);
  return found[0] as DeployedResource;
};
const appSettings = (d: Deployment): Record<string, string> =>
  one(d, 'api/settings').properties as Record<string, string>;
const hostJson = JSON.parse(repoFile('host.json')) as {
  extensions: { durableTask: { hubName: string; storageProvider: Record<string, unknown> } };
};

describe('app settings', () => {
  const settings = appSettings(withNotify);
  const apiIdentity = one(withNotify, 'identity/apiIdentity');
  const vault = one(withNotify, 'keyVault/vault');

  it.each(SETTINGS.filter((s) => !s.platform).map((s) => s.name))('%s is set', (name) => {
    expect(Object.keys(settings)).toContain(name);
  });

  it.each(SETTINGS.filter((s) => s.secret).map((s) => s.name))(
    '%s (a secret) is a Key Vault reference to a secret the app alone may read',
    (name) => {
      const m = /^@Microsoft\.KeyVault\(VaultName=([^;]+);SecretName=([^)]+)\)$/.exec(settings[name] ?? '');
      expect(m?.[1]).toBe(vault.name);
      const secret = withNotify.resources.find(
        (r) => r.path.startsWith('keyVault/') && r.name === `${vault.name}/${m?.[2]}`,
      );
      expect(secret?.type).toBe('Microsoft.KeyVault/vaults/secrets');
      const readers = withNotify.resources.filter(
        (r) => r.type === 'Microsoft.Authorization/roleAssignments' && r.scope === secret?.id,
      );
      expect(readers.map((r) => r.properties.principalId)).toEqual([apiIdentity.properties.principalId]);
    },
  );

  it('has no notify webhook setting (nor secret, nor role) when none is given', () => {
    expect(appSettings(byDefault).NOTIFY_WEBHOOK_URL).toBeUndefined();
    expect(byDefault.resources.filter((r) => r.name.endsWith('/notify-webhook-url'))).toEqual([]);
  });

  it('leaves the settings App Service sets itself alone', () => {
    const platform = SETTINGS.filter((s) => s.platform).map((s) => s.name);
    expect(platform.filter((name) => name in settings)).toEqual([]);
  });

  it('sets no app setting the code does not read, besides the Functions host, Durable and Application Insights ones', () => {
    const known = new Set(SETTINGS.map((s) => s.name));
    const stray = Object.keys(settings).filter(
      (name) =>
        !known.has(name) &&
        !name.startsWith('AzureWebJobsStorage__') &&
        !name.startsWith('AzureFunctionsJobHost__extensions__durableTask__') &&
        name !== 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING' &&
        !name.startsWith('APPLICATIONINSIGHTS_'),
    );
    expect(stray).toEqual([]);
  });

  it('runs as the user-assigned identity and resolves Key Vault references with it', () => {
    const site = one(withNotify, 'api/site');
    expect(site.properties.keyVaultReferenceIdentity).toBe(apiIdentity.id);
    expect(settings.AZURE_CLIENT_ID).toBe(apiIdentity.properties.clientId);
  });

  it('connects the host to storage with the managed identity (no connection string)', () => {
    const storage = one(withNotify, 'storage/hostStorage');
    expect(settings.AzureWebJobsStorage__credential).toBe('managedidentity');
    expect(settings.AzureWebJobsStorage__clientId).toBe(apiIdentity.properties.clientId);
    for (const service of ['blob', 'queue', 'table'])
      expect(settings[`AzureWebJobsStorage__${service}ServiceUri`]).toBe(
        `https://${storage.name}.${service}.core.windows.net/`,
      );
    expect(settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING).toBe(
      `ClientId=${String(apiIdentity.properties.clientId)};Authorization=AAD`,
    );
    expect(settings.AzureWebJobsStorage).toBeUndefined();
    // Flex Consumption rejects these: the runtime is set in functionAppConfig.
    expect(settings.FUNCTIONS_WORKER_RUNTIME).toBeUndefined();
    expect(settings.FUNCTIONS_EXTENSION_VERSION).toBeUndefined();
  });

  it('documents every setting in docs/azure.md', () => {
    const docs = repoFile('docs/azure.md');
    expect(SETTINGS.map((s) => s.name).filter((name) => !docs.includes(`\`${name}\``))).toEqual([]);
  });
});

describe('runtime', () => {
  it('runs the Function App on Node 22 (Node 20 reached end of life on 2026-04-30), as package.json declares', () => {
    const site = one(byDefault, 'api/site');
    const runtime = (site.properties.functionAppConfig as { runtime: { name: string; version: string } })
      .runtime;
    expect(runtime).toEqual({ name: 'node', version: '22' });
    const pkg = JSON.parse(repoFile('package.json')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(`>=${runtime.version}`);
  });

  it("installs Node 22 LTS on the sample VMs from NodeSource, key pinned by fingerprint (not Ubuntu 24.04's Node 18)", () => {
    const cloudInit = repoFile('infra/app/cloud-init.yaml');
    const apt = /^apt:\n {2}sources:\n {4}nodesource\.list:\n {6}source: '(.+)'\n {6}keyid: (\S+)$/m.exec(
      cloudInit,
    );
    // NodeSource <gpg@nodesource.com>, the key of deb.nodesource.com/gpgkey/nodesource-repo.gpg.key.
    expect(apt?.[2]).toBe('6F71F525282841EEDAF851B42F59B5F99B1BE0B4');
    expect(apt?.[1]).toBe('deb [signed-by=$KEY_FILE] https://deb.nodesource.com/node_22.x nodistro main');
    expect(cloudInit).toMatch(/^packages:\n {2}- nodejs$/m);
    // The boot fails loudly when another Node ended up installed.
    expect(cloudInit).toContain(`node --version | grep -q "^v22\\." ||`);
  });

  it('refuses an end-of-life Node version', () => {
    expect(() => deployMain({ nodeVersion: '20' })).toThrow(/not allowed/);
  });
});

describe('Durable backend', () => {
  it('keeps Azure Storage in host.json (the local host and the azureStorage backend use it as is)', () => {
    expect(hostJson.extensions.durableTask.storageProvider.type).toBeUndefined();
    // The task hub uses the host's identity-based AzureWebJobsStorage connection (no connectionName).
    expect(hostJson.extensions.durableTask.storageProvider.connectionName).toBeUndefined();
  });

  it('durableTaskScheduler (the default): a scheduler and the host.json task hub, selected through host.json overrides', () => {
    const settings = appSettings(byDefault);
    const scheduler = one(byDefault, 'durable/scheduler');
    const taskHub = one(byDefault, 'durable/scheduler::taskHub');
    const apiIdentity = one(byDefault, 'identity/apiIdentity');
    expect(taskHub.name).toBe(`${scheduler.name}/${hostJson.extensions.durableTask.hubName}`);
    expect(scheduler.properties).toMatchObject({ sku: { name: 'Consumption' }, ipAllowlist: ['0.0.0.0/0'] });
    expect(settings.AzureFunctionsJobHost__extensions__durableTask__storageProvider__type).toBe(
      'azureManaged',
    );
    expect(
      settings.AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName,
    ).toBe('DURABLE_TASK_SCHEDULER_CONNECTION_STRING');
    expect(settings.DURABLE_TASK_SCHEDULER_CONNECTION_STRING).toBe(
      `Endpoint=${String(scheduler.properties.endpoint)};Authentication=ManagedIdentity;ClientID=${String(apiIdentity.properties.clientId)}`,
    );
    expect(byDefault.outputs.DURABLE_BACKEND).toBe('durableTaskScheduler');
  });

  it('azureStorage: no scheduler, no override, the host storage account holds the task hub', () => {
    const settings = appSettings(withStorage);
    expect(
      withStorage.resources.filter((r) => r.type.startsWith('Microsoft.DurableTask/') && !r.existing),
    ).toEqual([]);
    expect(Object.keys(settings).filter((k) => /durableTask|DURABLE_TASK/.test(k))).toEqual([]);
    expect(settings.AzureWebJobsStorage__queueServiceUri).toMatch(
      /^https:\/\/st\w+\.queue\.core\.windows\.net\/$/,
    );
  });

  it('refuses any other backend', () => {
    expect(() => deployMain({ durableBackend: 'netherite' })).toThrow(/not allowed/);
  });
});

describe('RELEASE_TARGETS built by main.bicep', () => {
  const parsed = targetsSchema(TRAFFIC_PROVIDERS).safeParse(
    JSON.parse(appSettings(byDefault).RELEASE_TARGETS ?? 'null'),
  );
  const target = parsed.success ? parsed.data[0] : undefined;

  it("passes the app's own schema", () => {
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(parsed.success).toBe(true);
  });

  it('points at the profile and scale sets the template creates', () => {
    expect(target?.traffic.resource).toBe(one(byDefault, 'target/profile').id);
    expect(
      target?.slots.map((s) => (s.compute.kind === 'vmss' ? s.compute.resourceId : s.compute.kind)),
    ).toEqual([one(byDefault, 'target/slots[0]/vmss').id, one(byDefault, 'target/slots[1]/vmss').id]);
  });

  it('names the slots as the Traffic Manager endpoints, in the same order (blue enabled first)', () => {
    const endpoints = one(byDefault, 'target/profile').properties.endpoints as Array<{
      name: string;
      properties: { endpointStatus: string; priority: number; targetResourceId: string };
    }>;
    expect(target?.slots.map((s) => s.name)).toEqual(endpoints.map((e) => e.name));
    expect(endpoints.map((e) => [e.name, e.properties.endpointStatus, e.properties.priority])).toEqual([
      ['blue', 'Enabled', 1],
      ['green', 'Disabled', 2],
    ]);
    expect(endpoints.map((e) => e.properties.targetResourceId)).toEqual([
      one(byDefault, 'target/slots[0]/pip').id,
      one(byDefault, 'target/slots[1]/pip').id,
    ]);
  });

  it('watches the component the alerts fire on, and names both alert rules', () => {
    const component = one(byDefault, 'monitoring/targetAppInsights');
    const failed = one(byDefault, 'alerts/failedRequestsAlert');
    const availability = one(byDefault, 'alerts/availabilityAlert');
    expect(target?.alerts.resourceIds).toEqual([component.id]);
    expect(target?.alerts.ruleNames).toEqual([failed.name, availability.name]);
    const metric = (r: DeployedResource): unknown =>
      (r.properties.criteria as { allOf: Array<{ metricName: string }> }).allOf.map((c) => c.metricName);
    expect(metric(failed)).toEqual(['requests/failed']);
    expect(metric(availability)).toEqual(['availabilityResults/availabilityPercentage']);
    for (const rule of [failed, availability]) {
      expect(rule.properties.scopes).toEqual([component.id]);
      expect(rule.properties.actions).toEqual([{ actionGroupId: one(byDefault, 'alerts/actionGroup').id }]);
    }
    const group = one(byDefault, 'alerts/actionGroup').properties as {
      webhookReceivers: Array<{ serviceUri: string; useCommonAlertSchema: boolean }>;
    };
    const host = String(one(byDefault, 'api/site').properties.defaultHostName);
    expect(group.webhookReceivers).toHaveLength(1);
    expect(group.webhookReceivers[0]?.serviceUri).toMatch(
      new RegExp(`^https://${host}/api/hooks/alerts\\?code=[A-Za-z0-9-]{32,}$`),
    );
    expect(group.webhookReceivers[0]?.useCommonAlertSchema).toBe(true);
  });

  it('deploys with parameters that match how cloud-init prepares the instances', () => {
    const cloudInit = repoFile('infra/app/cloud-init.yaml');
    const p = target?.deploy.parameters ?? {};
    expect(cloudInit).toContain(`${p.INSTALL_ROOT}/current/server.js`);
    expect(cloudInit).toContain(`path: /etc/systemd/system/${p.SERVICE_NAME}.service`);
    expect(p.HEALTH_URL).toBe(`http://127.0.0.1${target?.health.path}`);
    expect(cloudInit).toContain('Environment=PORT=80');
    expect(target?.deploy.scriptKind).toBe('linux');
    expect(p.ARTIFACT_IDENTITY_CLIENT_ID).toBe(one(byDefault, 'identity/vmIdentity').properties.clientId);
    // The scale sets boot with exactly that cloud-init (base64 custom data).
    const vmss = one(byDefault, 'target/slots[0]/vmss').properties as {
      virtualMachineProfile: { osProfile: { customData: string } };
    };
    expect(Buffer.from(vmss.virtualMachineProfile.osProfile.customData, 'base64').toString('utf8')).toBe(
      cloudInit,
    );
  });

  it('downloads from where the example pipeline uploads, and expects the version the package carries', () => {
    const pipeline = repoFile('examples/azure-pipelines.yml');
    const artifacts = one(byDefault, 'storage/artifactsStorage');
    expect(target?.artifactUrlTemplate).toBe(
      `https://${artifacts.name}.blob.core.windows.net/releases/builds/{id}/webapp.tar.gz`,
    );
    expect(pipeline).toContain("packagePath: 'builds/$(Build.BuildId)'");
    expect(pipeline).toContain('--name "$(packagePath)/webapp.tar.gz"');
    expect(target?.health.expectVersion).toBe('{number}');
    expect(pipeline).toContain('app.version = process.env.BUILD_BUILDNUMBER');
    expect(target?.health.versionHeader).toBe('x-app-version');
  });

  it('routes the service hook to this target', () => {
    const host = String(one(byDefault, 'api/site').properties.defaultHostName);
    expect(byDefault.outputs.DEVOPS_HOOK_URL).toBe(`https://${host}/api/hooks/devops/${target?.name}`);
    expect(byDefault.outputs.RELEASE_TARGET_NAME).toBe(target?.name);
    expect(appSettings(byDefault).PUBLIC_BASE_URL).toBe(`https://${host}`);
  });

  it('sets the hook function keys on the functions the app registers', () => {
    for (const hook of ['infra/hooks/postdeploy.sh', 'infra/hooks/postdeploy.ps1']) {
      const text = repoFile(hook);
      expect(text).toMatch(
        new RegExp(
          `DEVOPS_FUNCTION\\s*=\\s*'?${HttpFunctions.DevOpsHook}'?|DevOpsFunction = '${HttpFunctions.DevOpsHook}'`,
        ),
      );
      expect(text).toMatch(
        new RegExp(
          `ALERTS_FUNCTION\\s*=\\s*'?${HttpFunctions.AlertHook}'?|AlertsFunction = '${HttpFunctions.AlertHook}'`,
        ),
      );
    }
  });
});

describe('orchestration versioning', () => {
  it('ships with the code (host.json), never as an app setting that a code deployment would not change', () => {
    // An override left in the app settings would stamp new releases with an old version after a code deploy.
    for (const d of [byDefault, withStorage]) {
      const overrides = Object.keys(appSettings(d)).filter((name) =>
        /__durableTask__(defaultVersion|versionMatchStrategy|versionFailureStrategy)$/i.test(name),
      );
      expect(overrides).toEqual([]);
    }
    expect(JSON.parse(repoFile('host.json'))).toMatchObject({
      extensions: { durableTask: { defaultVersion: expect.any(String) } },
    });
  });
});
