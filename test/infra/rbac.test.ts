/** Least privilege: every role assignment, its role and its scope, in infra/app/rbac.bicep only. */
import {
  evaluate,
  filesUnder,
  modules,
  objectEntries,
  repoFile,
  skipBalanced,
  stripComments,
  varLiteral,
} from './bicep';
import { alertQueryScopes } from '../../src/adapters/azure/alertsManagement';

/**
 * Built-in role definition IDs as Azure publishes them (they are the same in every tenant).
 * Sources: MicrosoftDocs/azure-docs, articles/role-based-access-control/built-in-roles/{networking,storage,
 * security,monitor}.md; cross-checked with the `builtInRoleNames` tables of Azure/bicep-registry-modules
 * (avm/res/**) and Azure-Samples/functions-quickstart-typescript-azd infra/app/rbac.bicep.
 */
const BUILT_IN_ROLES: Record<string, { id: string; name: string }> = {
  trafficManagerContributor: {
    id: 'a4b10055-b0c7-44c2-b00f-c7b5b3550cf7',
    name: 'Traffic Manager Contributor',
  },
  storageBlobDataOwner: { id: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b', name: 'Storage Blob Data Owner' },
  storageBlobDataContributor: {
    id: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
    name: 'Storage Blob Data Contributor',
  },
  storageBlobDataReader: { id: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1', name: 'Storage Blob Data Reader' },
  storageQueueDataContributor: {
    id: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
    name: 'Storage Queue Data Contributor',
  },
  storageTableDataContributor: {
    id: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
    name: 'Storage Table Data Contributor',
  },
  keyVaultSecretsUser: { id: '4633458b-17de-408a-b874-0445c86b69e6', name: 'Key Vault Secrets User' },
  keyVaultSecretsOfficer: { id: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7', name: 'Key Vault Secrets Officer' },
  monitoringMetricsPublisher: {
    id: '3913510d-42f4-4e42-8a64-420c390055eb',
    name: 'Monitoring Metrics Publisher',
  },
};

/** Roles whose names give too much and must never be used here. */
const TOO_BROAD = {
  Owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  Contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  'User Access Administrator': '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
  'Virtual Machine Contributor': '9980e02c-c2be-4d73-94e8-173b1dc7cf3c',
  'Network Contributor': '4d97b98b-1d4f-4787-a291-c67834d212e7',
  'Storage Account Contributor': '17d1049b-9a84-46fb-8f53-869881c3d3ab',
};

const rbac = stripComments(repoFile('infra/app/rbac.bicep'));

/** Each `resource <symbol> 'Microsoft.Authorization/roleAssignments@...'` with its body. */
function assignments(): Array<{ symbol: string; body: string }> {
  const out: Array<{ symbol: string; body: string }> = [];
  for (const m of rbac.matchAll(/^resource (\w+) 'Microsoft\.Authorization\/roleAssignments@[^']+' = /gm)) {
    const start = (m.index as number) + m[0].length;
    const open = rbac.slice(start).search(/[[{]/) + start;
    out.push({ symbol: m[1] as string, body: rbac.slice(open, skipBalanced(rbac, open)) });
  }
  return out;
}

describe('role definition IDs', () => {
  const roles = evaluate(varLiteral(rbac, 'roles'), (e) => {
    throw new Error(`unexpected expression ${e}`);
  }) as Record<string, string>;

  it.each(Object.entries(BUILT_IN_ROLES))('%s is the built-in role %#', (key, expected) => {
    expect(`${expected.name}: ${roles[key]}`).toBe(`${expected.name}: ${expected.id}`);
  });

  it('uses only roles from the table', () => {
    expect(Object.keys(roles).sort()).toEqual(Object.keys(BUILT_IN_ROLES).sort());
  });

  it('uses none of the broad roles anywhere', () => {
    const all = filesUnder('infra', '.bicep').map(repoFile).join('\n');
    for (const [name, id] of Object.entries(TOO_BROAD))
      expect(`${name}: ${all.includes(id)}`).toBe(`${name}: false`);
  });
});

describe('role assignments', () => {
  it('are all in infra/app/rbac.bicep', () => {
    const elsewhere = filesUnder('infra', '.bicep').filter(
      (f) => f !== 'infra/app/rbac.bicep' && repoFile(f).includes('Microsoft.Authorization/roleAssignments'),
    );
    expect(elsewhere).toEqual([]);
  });

  it('are deployed into the resource group, never at subscription scope', () => {
    const rbacModule = modules(repoFile('infra/main.bicep')).find((m) => m.path === 'app/rbac.bicep');
    expect(rbacModule).toBeDefined();
    expect(repoFile('infra/main.bicep')).toMatch(
      /module rbac 'app\/rbac\.bicep' = \{\s*name: 'rbac'\s*scope: rg\b/,
    );
    expect(rbac).not.toMatch(/targetScope/);
    expect(rbac).not.toMatch(/scope:\s*(subscription|tenant|managementGroup)\(/);
  });

  /** symbol -> [role (key of `roles`, or the custom role's symbol), scope expression or 'resourceGroup']. */
  const expected: Record<string, [string, string]> = {
    apiTrafficManager: ['trafficManagerContributor', 'profile'],
    apiRunCommands: ['runCommandRole', 'scaleSets[i]'],
    apiAlertsReader: ['alertsReaderRole', 'resourceGroup'],
    apiBlob: ['storageBlobDataOwner', 'hostStorage'],
    apiQueue: ['storageQueueDataContributor', 'hostStorage'],
    apiTable: ['storageTableDataContributor', 'hostStorage'],
    apiSecrets: ['keyVaultSecretsUser', 'appSecrets[i]'],
    apiMetrics: ['monitoringMetricsPublisher', 'appInsights'],
    vmPackages: ['storageBlobDataReader', 'artifactsStorage::blobService::releasesContainer'],
    deployerSecrets: ['keyVaultSecretsOfficer', 'vault'],
    pipelinePackages: ['storageBlobDataContributor', 'artifactsStorage::blobService::releasesContainer'],
  };

  it('are exactly the expected ones', () => {
    expect(
      assignments()
        .map((a) => a.symbol)
        .sort(),
    ).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))('%s: role and scope', (symbol, [role, scope]) => {
    const body = assignments().find((a) => a.symbol === symbol)?.body ?? '';
    const scopeMatch = /\n\s*scope: ([^\n]+)/.exec(body);
    expect(scopeMatch?.[1]?.trim() ?? 'resourceGroup').toBe(scope);
    const roleRef = role.endsWith('Role') ? `${role}.name` : `roles.${role}`;
    expect(body).toContain(
      `roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ${roleRef})`,
    );
  });
});

describe('alerts reader scope', () => {
  it('covers every scope the AlertSource lists alerts at for the sample target', () => {
    // The sample's alert component, its profile and the role assignments share one resource group...
    const main = repoFile('infra/main.bicep');
    for (const symbol of ['rbac', 'target', 'monitoring', 'alerts'])
      expect(main).toMatch(new RegExp(`module ${symbol} '[^']+' = \\{\\s*name: '[^']+'\\s*scope: rg\\b`));
    // ...and the adapter asks at that group's scope (ARM authorizes at the URL's scope), never above it.
    const rg = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-test';
    const scopes = alertQueryScopes(
      {
        resourceIds: [`${rg}/providers/Microsoft.Insights/components/appi-sample-token`],
        ruleNames: ['alert-sample-failed-requests', 'alert-sample-availability'],
      },
      { profileId: `${rg}/providers/Microsoft.Network/trafficManagerProfiles/traf-token` },
    );
    expect(scopes.map((q) => q.scopeId)).toEqual([rg]);
  });
});

describe('custom roles', () => {
  const actions = (name: string): unknown => evaluate(varLiteral(rbac, name), () => undefined);

  it('run commands: exactly reading the slot and its instances, and managing run commands on them', () => {
    expect(actions('runCommandActions')).toEqual([
      'Microsoft.Compute/virtualMachineScaleSets/read',
      'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/read',
      'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommands/read',
      'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommands/write',
      // Published operation names (Azure resource provider operations, Microsoft.Compute).
      'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommands/delete',
      'Microsoft.Compute/virtualMachines/read',
      'Microsoft.Compute/virtualMachines/runCommands/read',
      'Microsoft.Compute/virtualMachines/runCommands/write',
      'Microsoft.Compute/virtualMachines/runCommands/delete',
    ]);
  });

  it('alerts reader: reading alerts only', () => {
    expect(actions('alertsReadActions')).toEqual(['Microsoft.AlertsManagement/alerts/read']);
  });

  it('are assignable in this resource group only, without wildcards', () => {
    for (const symbol of ['runCommandRole', 'alertsReaderRole']) {
      const m = new RegExp(
        `^resource ${symbol} 'Microsoft\\.Authorization/roleDefinitions@[^']+' = `,
        'm',
      ).exec(rbac);
      expect(m).not.toBeNull();
      const open = rbac.indexOf('{', (m?.index ?? 0) + (m?.[0].length ?? 0) - 1);
      const body = rbac.slice(open, skipBalanced(rbac, open));
      const props = Object.fromEntries(objectEntries(body));
      expect(props.name).toMatch(/^guid\(resourceGroup\(\)\.id, '/);
      expect(body).toMatch(/assignableScopes: \[\s*resourceGroup\(\)\.id\s*\]/);
      expect(body).toMatch(/notActions: \[\]/);
    }
    expect(rbac).not.toMatch(/'[^']*\*[^']*'/);
  });
});
