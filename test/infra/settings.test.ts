/**
 * The contract between the infrastructure and the app: every setting the code reads (SETTINGS in
 * src/core/config) is set by the Bicep, secrets only as Key Vault references, and the sample target the
 * Bicep builds passes the app's own RELEASE_TARGETS schema.
 */
import { SETTINGS, targetsSchema } from '../../src/core/config';
import { HttpFunctions } from '../../src/core/names';
import { ids } from '../builders/target';
import {
  evaluate,
  modules,
  objectEntries,
  objectKeys,
  params,
  repoFile,
  skipBalanced,
  stripComments,
  varLiteral,
} from './bicep';

const main = repoFile('infra/main.bicep');
const api = repoFile('infra/app/api.bicep');
const apiModule = modules(main).find((m) => m.symbol === 'api');

/** Setting names in an expression such as `union({ A: x }, cond ? {} : { B: y })`. */
function keysIn(text: string): string[] {
  return [...text.matchAll(/([A-Z][A-Z0-9_]*)\s*:/g)].map((m) => m[1] as string);
}

const plainSettings = objectKeys(apiModule?.values.appSettings ?? '{}');
// Secrets: `secretSettings`, plus `notifySecretSetting` when a notify webhook is configured.
const secretSettings = [
  ...objectKeys(varLiteral(main, 'secretSettings')),
  ...objectKeys(varLiteral(main, 'notifySecretSetting')),
];
const hostSettings = objectKeys(varLiteral(api, 'hostSettings'));
const settingsResource = (() => {
  const text = stripComments(api);
  const start = text.indexOf("resource settings 'Microsoft.Web/sites/config");
  const open = text.indexOf('{', start);
  return text.slice(open, skipBalanced(text, open));
})();
const apiBicepSettings = keysIn(settingsResource.slice(settingsResource.indexOf('union(')));
const setByInfra = new Set([...plainSettings, ...secretSettings, ...hostSettings, ...apiBicepSettings]);

describe('app settings', () => {
  it('finds the settings the Bicep sets', () => {
    expect(apiModule).toBeDefined();
    expect(plainSettings).toContain('RELEASE_TARGETS');
    expect(secretSettings).toContain('SERVICE_HOOK_SECRET');
    expect(apiModule?.values.secretSettings).toBe(
      'empty(notifyWebhookUrl) ? secretSettings : union(secretSettings, notifySecretSetting)',
    );
    expect(apiBicepSettings).toContain('PUBLIC_BASE_URL');
  });

  it.each(SETTINGS.filter((s) => !s.platform).map((s) => [s.name, s] as const))(
    '%s is set by the Bicep',
    (name) => {
      expect(setByInfra.has(name)).toBe(true);
    },
  );

  it.each(SETTINGS.filter((s) => s.secret).map((s) => s.name))(
    '%s (a secret) is a Key Vault reference only',
    (name) => {
      expect(secretSettings).toContain(name);
      expect(plainSettings).not.toContain(name);
      expect(hostSettings).not.toContain(name);
    },
  );

  it('leaves the settings App Service sets itself alone', () => {
    const platform = SETTINGS.filter((s) => s.platform).map((s) => s.name);
    expect(platform.filter((name) => setByInfra.has(name))).toEqual([]);
  });

  it('sets no app setting the code does not read, besides the Functions host and Application Insights ones', () => {
    const known = new Set(SETTINGS.map((s) => s.name));
    const stray = [...setByInfra].filter(
      (name) =>
        !known.has(name) &&
        !name.startsWith('AzureWebJobsStorage__') &&
        !name.startsWith('APPLICATIONINSIGHTS_'),
    );
    expect(stray).toEqual([]);
  });

  it('resolves Key Vault references with the user-assigned identity', () => {
    expect(api).toMatch(/keyVaultReferenceIdentity: identityId/);
    expect(api).toContain("'@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${entry.value})'");
  });

  it('connects the host and the Durable task hub to storage with the managed identity (no connection string)', () => {
    const host = Object.fromEntries(objectEntries(varLiteral(api, 'hostSettings')));
    expect(host.AzureWebJobsStorage__credential).toBe("'managedidentity'");
    expect(host.AzureWebJobsStorage__clientId).toBe('identityClientId');
    for (const service of ['blob', 'queue', 'table']) {
      expect(host[`AzureWebJobsStorage__${service}ServiceUri`]).toBe(
        `hostStorage.properties.primaryEndpoints.${service}`,
      );
    }
    expect(host.APPLICATIONINSIGHTS_AUTHENTICATION_STRING).toBe(
      "'ClientId=${identityClientId};Authorization=AAD'",
    );
    expect(setByInfra.has('AzureWebJobsStorage')).toBe(false);
    // Flex Consumption rejects these: the runtime is set in functionAppConfig.
    expect(setByInfra.has('FUNCTIONS_WORKER_RUNTIME')).toBe(false);
    expect(setByInfra.has('FUNCTIONS_EXTENSION_VERSION')).toBe(false);
    // The task hub uses that default connection (no connectionName in host.json).
    const hostJson = JSON.parse(repoFile('host.json')) as {
      extensions: { durableTask: { storageProvider: Record<string, unknown> } };
    };
    expect(hostJson.extensions.durableTask.storageProvider.connectionName).toBeUndefined();
  });

  it('documents every setting in docs/azure.md', () => {
    const docs = repoFile('docs/azure.md');
    expect(SETTINGS.map((s) => s.name).filter((name) => !docs.includes(`\`${name}\``))).toEqual([]);
  });
});

describe('RELEASE_TARGETS built by main.bicep', () => {
  // What the modules output after a deployment, in the shapes ARM returns.
  const outputs: Record<string, unknown> = {
    'target.outputs.profileId': ids.profile('traf-token', 'rg-test'),
    'target.outputs.vmssIds[0]': ids.scaleSet('vmss-blue-token', 'rg-test'),
    'target.outputs.vmssIds[1]': ids.scaleSet('vmss-green-token', 'rg-test'),
    'storage.outputs.artifactsBlobEndpoint': 'https://stpkgtoken.blob.core.windows.net/',
    'identity.outputs.vmClientId': '6b2f7c4e-0c1d-4a5e-9f3a-2b1c0d9e8f7a',
    'monitoring.outputs.targetAppInsightsId': ids.appInsights('appi-sample-token', 'rg-test'),
  };
  const mainParams = params(main);
  const resolve = (expression: string): unknown => {
    if (expression in outputs) return outputs[expression];
    const param = mainParams.find((p) => p.name === expression);
    if (param?.defaultText !== undefined) return evaluate(param.defaultText, resolve);
    const simpleVar = new RegExp(`^var ${expression} = (.+)$`, 'm').exec(main);
    if (simpleVar) return evaluate(simpleVar[1] as string, resolve);
    throw new Error(`unresolved expression in releaseTargets: ${expression}`);
  };
  const json = evaluate(varLiteral(main, 'releaseTargets'), resolve);
  const parsed = targetsSchema.safeParse(json);
  const target = parsed.success ? parsed.data[0] : undefined;

  it("passes the app's own schema", () => {
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(parsed.success).toBe(true);
  });

  it('is passed to the app as RELEASE_TARGETS', () => {
    expect(apiModule?.values.appSettings).toMatch(/RELEASE_TARGETS: string\(releaseTargets\)/);
  });

  it('names the slots as the Traffic Manager endpoints, in the same order (blue enabled first)', () => {
    const targetBicep = repoFile('infra/app/target.bicep');
    const slotNames = evaluate(varLiteral(targetBicep, 'slotNames'), resolve);
    expect(target?.slots.map((s) => s.name)).toEqual(slotNames);
    expect(targetBicep).toMatch(
      /name: slotNames\[0\][\s\S]*?endpointStatus: 'Enabled'[\s\S]*?name: slotNames\[1\][\s\S]*?endpointStatus: 'Disabled'/,
    );
  });

  it('watches the component the alerts fire on, and names both alert rules', () => {
    const alertsModule = modules(main).find((m) => m.symbol === 'alerts');
    expect(alertsModule?.values.targetAppInsightsName).toBe('monitoring.outputs.targetAppInsightsName');
    expect(target?.alerts.resourceIds).toEqual([outputs['monitoring.outputs.targetAppInsightsId']]);
    expect(target?.alerts.ruleNames).toEqual([
      resolve(alertsModule?.values.failedRequestsAlertName ?? ''),
      resolve(alertsModule?.values.availabilityAlertName ?? ''),
    ]);
    const alerts = repoFile('infra/app/alerts.bicep');
    expect(alerts).toContain("metricName: 'requests/failed'");
    expect(alerts).toContain("metricName: 'availabilityResults/availabilityPercentage'");
    expect(alerts).toMatch(
      /serviceUri: 'https:\/\/\$\{apiHostName\}\/api\/hooks\/alerts\?code=\$\{alertsFunctionKey\}'/,
    );
    expect(alerts).toMatch(/useCommonAlertSchema: true/);
  });

  it('deploys with parameters that match how cloud-init prepares the instances', () => {
    const cloudInit = repoFile('infra/app/cloud-init.yaml');
    const p = target?.deploy.parameters ?? {};
    expect(cloudInit).toContain(`${p.INSTALL_ROOT}/current/server.js`);
    expect(cloudInit).toContain(`path: /etc/systemd/system/${p.SERVICE_NAME}.service`);
    expect(p.HEALTH_URL).toBe(`http://127.0.0.1${target?.health.path}`);
    expect(cloudInit).toContain('Environment=PORT=80');
    expect(target?.deploy.scriptKind).toBe('linux');
  });

  it('downloads from where the example pipeline uploads, and expects the version the package carries', () => {
    const pipeline = repoFile('examples/azure-pipelines.yml');
    expect(target?.artifactUrlTemplate).toBe(
      'https://stpkgtoken.blob.core.windows.net/releases/builds/{id}/webapp.tar.gz',
    );
    expect(pipeline).toContain("packagePath: 'builds/$(Build.BuildId)'");
    expect(pipeline).toContain('--name "$(packagePath)/webapp.tar.gz"');
    expect(target?.health.expectVersion).toBe('{number}');
    expect(pipeline).toContain('app.version = process.env.BUILD_BUILDNUMBER');
    expect(target?.health.versionHeader).toBe('x-app-version');
  });

  it('routes the service hook to this target', () => {
    expect(main).toContain(
      "output DEVOPS_HOOK_URL string = 'https://${api.outputs.defaultHostName}/api/hooks/devops/${targetName}'",
    );
    expect(target?.name).toBe(resolve('targetName'));
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
