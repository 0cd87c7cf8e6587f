/**
 * The infrastructure's own wiring, read from the compiled template (infra/main.json): what it is compiled
 * from, the modules and where they deploy, tags, secure parameters and outputs, the azd parameter file
 * and azure.yaml. Whether infra/main.json is what the Bicep sources compile to is `npm run check:infra`'s
 * job (it needs the Bicep CLI); these tests need only Node.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  type ArmTemplate,
  type Deployment,
  REPO,
  SITE,
  azdParameters,
  compiledTemplate,
  deploy,
  deployMain,
  repoFile,
} from './template';

const template = compiledTemplate();
const byDefault = deployMain();

/** Every template in the tree (main and each nested module), with its module path. */
function templates(t: ArmTemplate, at = 'main'): Array<[string, ArmTemplate]> {
  return [
    [at, t],
    ...Object.entries(t.resources).flatMap(([symbol, r]) =>
      r.properties?.template ? templates(r.properties.template, `${at}/${symbol}`) : [],
    ),
  ];
}

describe('infra/main.json', () => {
  it('is compiled by the pinned Bicep CLI (npm run build:infra) at subscription scope', () => {
    const pinned = /^BICEP_VERSION=(\S+)$/m.exec(repoFile('scripts/tools/install.sh'))?.[1];
    expect(template.metadata?._generator?.name).toBe('bicep');
    expect(template.metadata?._generator?.version.startsWith(`${pinned}.`)).toBe(true);
    expect(template.$schema).toBe(
      'https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#',
    );
  });

  it('deploys every module into the one resource group it creates', () => {
    const modules = Object.entries(template.resources).filter(
      ([, r]) => r.type === 'Microsoft.Resources/deployments',
    );
    expect(modules.map(([symbol]) => symbol).sort()).toEqual(
      ['alerts', 'api', 'durable', 'identity', 'keyVault', 'monitoring', 'rbac', 'storage', 'target'].sort(),
    );
    const groups = new Set(
      byDefault.resources
        .filter((r) => r.type !== 'Microsoft.Resources/resourceGroups')
        .map((r) => r.resourceGroup),
    );
    expect([...groups]).toEqual(['rg-test']);
  });

  it('tags every resource it creates with azd-env-name (the api site also with azd-service-name)', () => {
    const untagged = byDefault.resources
      .filter(
        (r) =>
          !r.existing && r.type.split('/').length === 2 && !r.type.startsWith('Microsoft.Authorization/'),
      )
      .filter((r) => (r.tags as Record<string, string> | undefined)?.['azd-env-name'] !== 'test')
      .map((r) => r.path);
    expect(untagged).toEqual([]);
    const site = byDefault.resources.find((r) => r.path === 'api/site');
    expect(site?.tags).toEqual({ 'azd-env-name': 'test', 'azd-service-name': 'api' });
  });

  it("integrates the Function App with the slots' VNet, so verify reaches each instance's private address", () => {
    const created = byDefault.resources.filter((r) => !r.existing);
    const vnet = created.find((r) => r.type === 'Microsoft.Network/virtualNetworks');
    const subnets = (vnet?.properties.subnets ?? []) as {
      name: string;
      properties: { addressPrefix: string; delegations?: { properties: { serviceName: string } }[] };
    }[];
    const functions = subnets.find((x) => x.name === 'functions');
    // Flex Consumption integrates only with a subnet delegated to Microsoft.App/environments.
    expect(functions?.properties.delegations?.map((d) => d.properties.serviceName)).toEqual([
      'Microsoft.App/environments',
    ]);
    const site = created.find((r) => r.type === 'Microsoft.Web/sites');
    expect(site?.properties.virtualNetworkSubnetId).toBe(`${vnet?.id}/subnets/functions`);
  });

  it('declares every secret-bearing parameter as securestring, in every module', () => {
    const insecure = templates(template).flatMap(([at, t]) =>
      Object.entries(t.parameters ?? {})
        .filter(
          ([name]) =>
            /secret|password|key$|Key$|webhookUrl/i.test(name) &&
            !/Name$|Names$|Id$|Settings$|References$/.test(name),
        )
        .filter(([, p]) => p.type !== 'securestring')
        .map(([name]) => `${at}: ${name}`),
    );
    expect(insecure).toEqual([]);
  });

  it('outputs no secret value (deployed with known secrets, none appears in any output)', () => {
    const secrets = {
      serviceHookSecret: 'Hook-secret-value-0123456789abcdef',
      approvalSigningKey: 'Signing-key-value-0123456789abcdef',
      alertsFunctionKey: 'Alerts-key-value-0123456789abcdef',
      devopsFunctionKey: 'Devops-key-value-0123456789abcdef',
      vmAdminPassword: 'Vm-password-value-0123456789',
      notifyWebhookUrl: 'https://example.webhook.office.com/secret-path',
    };
    const d: Deployment = deploy(template, azdParameters(secrets), SITE);
    const outputs = JSON.stringify(d.outputs);
    expect(Object.values(secrets).filter((s) => outputs.includes(s))).toEqual([]);
    // ...while they do reach the vault (the test would prove nothing if they went nowhere).
    const stored = d.resources.filter((r) => r.type === 'Microsoft.KeyVault/vaults/secrets' && !r.existing);
    expect(stored.map((r) => r.properties.value)).toEqual(expect.arrayContaining(Object.values(secrets)));
  });
});

describe('infra/main.parameters.json', () => {
  const file = JSON.parse(repoFile('infra/main.parameters.json')) as {
    parameters: Record<string, { value: unknown }>;
  };
  const declared = template.parameters ?? {};

  it('names only params main.bicep declares', () => {
    expect(Object.keys(file.parameters).filter((n) => !(n in declared))).toEqual([]);
  });

  it('supplies every param main.bicep declares without a default', () => {
    const given = new Set(Object.keys(file.parameters));
    expect(
      Object.entries(declared)
        .filter(([n, p]) => !('defaultValue' in p) && !given.has(n))
        .map(([n]) => n),
    ).toEqual([]);
  });

  it('maps the azd environment as the azd templates do', () => {
    expect(file.parameters.environmentName?.value).toBe('${AZURE_ENV_NAME}');
    expect(file.parameters.location?.value).toBe('${AZURE_LOCATION}');
    expect(file.parameters.principalId?.value).toBe('${AZURE_PRINCIPAL_ID}');
    expect(file.parameters.durableBackend?.value).toBe('${DURABLE_BACKEND=durableTaskScheduler}');
  });

  it('never passes secretSeed (it must stay a fresh newGuid() on every deployment)', () => {
    expect(file.parameters.secretSeed).toBeUndefined();
    expect(declared.secretSeed?.defaultValue).toBe('[newGuid()]');
  });

  it('reads every generated secret back from the vault, under the name keyvault.bicep stores it', () => {
    const generated = Object.entries(file.parameters)
      .map(([name, p]) => [name, String(p.value)] as const)
      .filter(([, value]) => value.includes('secretOrRandomPassword'));
    expect(generated.map(([name]) => name).sort()).toEqual(
      [
        'alertsFunctionKey',
        'approvalSigningKey',
        'devopsFunctionKey',
        'serviceHookSecret',
        'vmAdminPassword',
      ].sort(),
    );
    // Deploy with a recognisable value per secret and see under which vault secret name each is stored.
    const values = Object.fromEntries(
      generated.map(([name]) => [name, `Value-of-${name}-0123456789abcdef0123`]),
    );
    const d = deploy(template, azdParameters(values), SITE);
    for (const [name, value] of generated) {
      const m = /^\$\(secretOrRandomPassword \$\{AZURE_KEY_VAULT_NAME\} ([a-z0-9-]+)\)$/.exec(value);
      expect(m).not.toBeNull();
      const stored = d.resources.find(
        (r) => r.type === 'Microsoft.KeyVault/vaults/secrets' && r.properties.value === values[name],
      );
      expect(`${name}: ${stored?.name.split('/')[1]}`).toBe(`${name}: ${m?.[1]}`);
      expect(declared[name]?.type).toBe('securestring');
    }
  });

  it('gets the vault name from an output, so azd can read the secrets back next time', () => {
    expect(byDefault.outputs.AZURE_KEY_VAULT_NAME).toBe(
      byDefault.resources.find((r) => r.path === 'keyVault/vault')?.name,
    );
  });

  it('gets SAMPLE_TARGET_EXISTS from an output after the first provision, and then leaves the profile alone', () => {
    expect(file.parameters.sampleTargetExists?.value).toBe('${SAMPLE_TARGET_EXISTS=false}');
    expect(byDefault.outputs.SAMPLE_TARGET_EXISTS).toBe(true);
    const profiles = (d: Deployment): string[] =>
      d.resources
        .filter((r) => r.type === 'Microsoft.Network/trafficmanagerprofiles' && !r.existing)
        .map((r) => r.path);
    expect(profiles(byDefault)).toEqual(['target/profile']);
    // A re-provision must not PUT the profile: that would reset which endpoint is live.
    expect(profiles(deployMain({ sampleTargetExists: true }))).toEqual([]);
  });
});

describe('azure.yaml', () => {
  const yaml = repoFile('azure.yaml');

  it('declares the api service as a TypeScript Function App at the repository root', () => {
    expect(yaml).toMatch(/^services:\n {2}api:\n {4}project: \.\n {4}language: ts\n {4}host: function\n/m);
    expect(existsSync(path.join(REPO, 'package.json'))).toBe(true);
    expect(existsSync(path.join(REPO, 'host.json'))).toBe(true);
    expect(existsSync(path.join(REPO, 'infra/main.bicep'))).toBe(true);
  });

  it('points every hook at an existing script', () => {
    const runs = [...yaml.matchAll(/^\s+run: (\S+)$/gm)].map((m) => m[1] as string);
    expect(runs.length).toBeGreaterThanOrEqual(4);
    expect(runs.filter((r) => !existsSync(path.join(REPO, r)))).toEqual([]);
  });
});
