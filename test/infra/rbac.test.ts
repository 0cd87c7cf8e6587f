/**
 * Least privilege, read from the compiled template (infra/main.json) deployed in memory: every role
 * assignment, its role and its scope, and the custom roles' actions.
 */
import { alertQueryScopes } from '../../src/adapters/azure/alertsManagement';
import { type DeployedResource, SITE, deployMain, repoFile } from './template';

/**
 * Built-in role definition IDs as Azure publishes them (they are the same in every tenant).
 * Sources: MicrosoftDocs/azure-docs, articles/role-based-access-control/built-in-roles/{networking,storage,
 * security,monitor,integration}.md; cross-checked with the `builtInRoleNames` tables of
 * Azure/bicep-registry-modules (avm/res/**) and Azure-Samples/functions-quickstart-typescript-azd
 * infra/app/rbac.bicep (Durable Task Data Contributor: Azure-Samples Durable Task Scheduler quickstarts).
 */
const BUILT_IN_ROLES = {
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
  durableTaskDataContributor: {
    id: '0ad04412-c4d5-4796-b79c-f76d14c8d402',
    name: 'Durable Task Data Contributor',
  },
} as const;

/** Roles whose names give too much and must never be used here. */
const TOO_BROAD = {
  Owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  Contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  'User Access Administrator': '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
  'Virtual Machine Contributor': '9980e02c-c2be-4d73-94e8-173b1dc7cf3c',
  'Network Contributor': '4d97b98b-1d4f-4787-a291-c67834d212e7',
  'Storage Account Contributor': '17d1049b-9a84-46fb-8f53-869881c3d3ab',
  Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
};

const CUSTOM_ROLES = {
  runCommandRole: [
    'Microsoft.Compute/virtualMachineScaleSets/read',
    // Verify probes each instance on its NIC's private address ("Get properties of all network interfaces of a
    // Virtual Machine Scale Set"; a standalone VM's NIC is Microsoft.Network/networkInterfaces).
    'Microsoft.Compute/virtualMachineScaleSets/networkInterfaces/read',
    'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/read',
    'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommands/read',
    'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommands/write',
    // Published operation names (Azure resource provider operations, Microsoft.Compute).
    'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommands/delete',
    'Microsoft.Compute/virtualMachines/read',
    'Microsoft.Compute/virtualMachines/runCommands/read',
    'Microsoft.Compute/virtualMachines/runCommands/write',
    'Microsoft.Compute/virtualMachines/runCommands/delete',
    'Microsoft.Network/networkInterfaces/read',
  ],
  alertsReaderRole: ['Microsoft.AlertsManagement/alerts/read'],
  operationStatusRole: ['Microsoft.Compute/locations/operations/read'],
} as const;

const RG = `/subscriptions/${SITE.subscriptionId}/resourceGroups/rg-test`;
const byDefault = deployMain({ principalId: '11111111-1111-4111-8111-111111111111' });
const withStorage = deployMain({
  durableBackend: 'azureStorage',
  pipelinePrincipalId: '22222222-2222-4222-8222-222222222222',
});

const created = (d: typeof byDefault): DeployedResource[] => d.resources.filter((r) => !r.existing);
const one = (d: typeof byDefault, path: string): DeployedResource => {
  const found = d.resources.filter((r) => r.path === path);
  if (found.length !== 1) throw new Error(`${found.length} resources at ${path}`);
  return found[0] as DeployedResource;
};
const assignments = (d: typeof byDefault): DeployedResource[] =>
  created(d).filter((r) => r.type === 'Microsoft.Authorization/roleAssignments');
const customRoles = (d: typeof byDefault): DeployedResource[] =>
  created(d).filter((r) => r.type === 'Microsoft.Authorization/roleDefinitions');
/** The role an assignment grants: a built-in role's key, or the custom role's symbol. */
const roleOf = (d: typeof byDefault, a: DeployedResource): string => {
  const id = String(a.properties.roleDefinitionId);
  const m =
    /^\/subscriptions\/[^/]+\/providers\/Microsoft\.Authorization\/roleDefinitions\/([0-9a-f-]{36})$/.exec(
      id,
    );
  if (!m) return `malformed ${id}`;
  const builtIn = Object.entries(BUILT_IN_ROLES).find(([, r]) => r.id === m[1]);
  if (builtIn) return builtIn[0];
  return customRoles(d).find((r) => r.name === m[1])?.symbol ?? `unknown ${m[1] as string}`;
};
/** The scope an assignment applies at: its `scope`, or the resource group it is deployed into. */
const scopeOf = (a: DeployedResource): string =>
  a.scope ?? `/subscriptions/${SITE.subscriptionId}/resourceGroups/${a.resourceGroup}`;
const principal = (d: typeof byDefault, identityPath: string): string =>
  String(one(d, identityPath).properties.principalId);
const table = (d: typeof byDefault): string[] =>
  assignments(d)
    .map((a) => {
      const who =
        a.properties.principalId === principal(d, 'identity/apiIdentity')
          ? 'app'
          : a.properties.principalId === principal(d, 'identity/vmIdentity')
            ? 'vms'
            : String(a.properties.principalId);
      return `${who} ${roleOf(d, a)} @ ${scopeOf(a).replace(RG, '<rg>')}`;
    })
    .sort();

describe('role definition IDs', () => {
  it.each(Object.entries(BUILT_IN_ROLES))('%s is the built-in role %#', (key, expected) => {
    const rbacVars = JSON.parse(repoFile('infra/main.json')).resources.rbac.properties.template.variables as {
      roles: Record<string, string>;
    };
    expect(`${expected.name}: ${rbacVars.roles[key]}`).toBe(`${expected.name}: ${expected.id}`);
  });

  it('grants only roles from the table and the custom roles', () => {
    for (const d of [byDefault, withStorage])
      for (const a of assignments(d))
        expect(Object.keys({ ...BUILT_IN_ROLES, ...CUSTOM_ROLES })).toContain(roleOf(d, a));
  });

  it('uses none of the broad roles anywhere in the compiled template', () => {
    const compiled = repoFile('infra/main.json');
    for (const [name, id] of Object.entries(TOO_BROAD))
      expect(`${name}: ${compiled.includes(id)}`).toBe(`${name}: false`);
  });
});

describe('role assignments', () => {
  it('are exactly these, with the Durable Task Scheduler backend (the default)', () => {
    expect(table(byDefault)).toEqual(
      [
        'app trafficManagerContributor @ <rg>/providers/Microsoft.Network/trafficmanagerprofiles/traf-{t}',
        'app runCommandRole @ <rg>/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-blue-{t}',
        'app runCommandRole @ <rg>/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-green-{t}',
        'app alertsReaderRole @ <rg>',
        'app operationStatusRole @ <rg>',
        'app storageBlobDataOwner @ <rg>/providers/Microsoft.Storage/storageAccounts/st{t}',
        'app durableTaskDataContributor @ <rg>/providers/Microsoft.DurableTask/schedulers/dts-release-{t}/taskHubs/ReleaseHub',
        'app keyVaultSecretsUser @ <rg>/providers/Microsoft.KeyVault/vaults/kv-{t}/secrets/service-hook-secret',
        'app keyVaultSecretsUser @ <rg>/providers/Microsoft.KeyVault/vaults/kv-{t}/secrets/approval-signing-key',
        'app monitoringMetricsPublisher @ <rg>/providers/Microsoft.Insights/components/appi-release-{t}',
        'vms storageBlobDataReader @ <rg>/providers/Microsoft.Storage/storageAccounts/stpkg{t}/blobServices/default/containers/releases',
        '11111111-1111-4111-8111-111111111111 keyVaultSecretsOfficer @ <rg>/providers/Microsoft.KeyVault/vaults/kv-{t}',
      ]
        .map((row) => row.replaceAll('{t}', token(byDefault)))
        .sort(),
    );
  });

  it('with the Azure Storage backend: queues and tables of the host account instead of the task hub', () => {
    const rows = table(withStorage);
    const t = token(withStorage);
    expect(rows).toContain(
      `app storageQueueDataContributor @ <rg>/providers/Microsoft.Storage/storageAccounts/st${t}`,
    );
    expect(rows).toContain(
      `app storageTableDataContributor @ <rg>/providers/Microsoft.Storage/storageAccounts/st${t}`,
    );
    expect(rows.filter((r) => r.includes('durableTask'))).toEqual([]);
    expect(rows).toContain(
      `22222222-2222-4222-8222-222222222222 storageBlobDataContributor @ <rg>/providers/Microsoft.Storage/storageAccounts/stpkg${t}/blobServices/default/containers/releases`,
    );
    expect(table(byDefault).filter((r) => /Queue|Table/.test(r))).toEqual([]);
  });

  it('are all declared in infra/app/rbac.bicep and deployed into the resource group, never above it', () => {
    for (const d of [byDefault, withStorage])
      for (const a of assignments(d)) {
        expect(a.path).toMatch(/^rbac\//);
        expect(scopeOf(a).startsWith(RG)).toBe(true);
      }
  });

  it('name the managed identities as service principals, and get stable names from the scope, principal and role', () => {
    for (const a of assignments(byDefault).filter((x) => x.path !== 'rbac/deployerSecrets'))
      expect(a.properties.principalType).toBe('ServicePrincipal');
    const again = deployMain({ principalId: '11111111-1111-4111-8111-111111111111' });
    expect(assignments(again).map((a) => a.name)).toEqual(assignments(byDefault).map((a) => a.name));
    expect(new Set(assignments(byDefault).map((a) => a.name)).size).toBe(assignments(byDefault).length);
  });
});

describe('tracking Compute async operations', () => {
  // The deployer polls `/subscriptions/{sub}/providers/Microsoft.Compute/locations/{region}/operations/{id}`
  // (the Azure-AsyncOperation URL of each run command). "Track asynchronous Azure operations"
  // (learn.microsoft.com/azure/azure-resource-manager/management/async-operations): tracking needs
  // permission at the resource-group level; permission on the resource alone starts but cannot track.
  const grants = (action: string): string[] =>
    assignments(byDefault)
      .filter((a) => a.properties.principalId === principal(byDefault, 'identity/apiIdentity'))
      .filter((a) => {
        const role = customRoles(byDefault).find((r) =>
          String(a.properties.roleDefinitionId).endsWith(r.name),
        );
        const perms = (role?.properties.permissions ?? []) as Array<{ actions: string[] }>;
        return perms.some((p) => p.actions.includes(action));
      })
      .map(scopeOf);

  it("gives the app's identity Microsoft.Compute/locations/operations/read at the scale sets' resource group", () => {
    const vmssGroups = created(byDefault)
      .filter((r) => r.type === 'Microsoft.Compute/virtualMachineScaleSets')
      .map((r) => `/subscriptions/${SITE.subscriptionId}/resourceGroups/${r.resourceGroup}`);
    expect([...new Set(vmssGroups)]).toEqual([RG]);
    expect(grants('Microsoft.Compute/locations/operations/read')).toEqual([RG]);
  });

  it('grants that one read there and nothing more (run commands stay on the two scale sets)', () => {
    const role = one(byDefault, 'rbac/operationStatusRole');
    expect(role.properties.permissions).toEqual([
      { actions: [...CUSTOM_ROLES.operationStatusRole], notActions: [] },
    ]);
    expect(grants('Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommands/write')).toEqual(
      created(byDefault)
        .filter((r) => r.type === 'Microsoft.Compute/virtualMachineScaleSets')
        .map((r) => r.id),
    );
  });
});

describe('alerts reader scope', () => {
  it('covers every scope the AlertSource lists alerts at for the sample target', () => {
    // The sample's alert component and its profile are in the group the alerts reader is assigned at...
    const component = created(byDefault).find((r) => r.path === 'monitoring/targetAppInsights');
    const profile = created(byDefault).find((r) => r.path === 'target/profile');
    expect(component?.resourceGroup).toBe('rg-test');
    expect(profile?.resourceGroup).toBe('rg-test');
    // ...and the adapter asks at that group's scope (ARM authorizes at the URL's scope), never above it.
    const scopes = alertQueryScopes(
      {
        resourceIds: [component?.id ?? ''],
        ruleNames: ['alert-sample-failed-requests', 'alert-sample-availability'],
      },
      { trafficResource: profile?.id ?? '' },
    );
    expect(scopes.map((q) => q.scopeId)).toEqual([RG]);
    expect(table(byDefault)).toContain('app alertsReaderRole @ <rg>');
  });
});

describe('custom roles', () => {
  it.each(Object.entries(CUSTOM_ROLES))(
    '%s: exactly its actions, no wildcard, assignable in this resource group only',
    (symbol, actions) => {
      const role = one(byDefault, `rbac/${symbol}`);
      expect(role.properties).toMatchObject({
        type: 'CustomRole',
        permissions: [{ actions: [...actions], notActions: [] }],
        assignableScopes: [RG],
      });
      expect(JSON.stringify(role.properties.permissions)).not.toContain('*');
      expect(role.name).toMatch(/^[0-9a-f-]{36}$/);
    },
  );

  it('are the only role definitions', () => {
    expect(
      customRoles(byDefault)
        .map((r) => r.symbol)
        .sort(),
    ).toEqual(Object.keys(CUSTOM_ROLES).sort());
  });
});

/** The resource token of a deployment (from the host storage account's name, st<token>). */
function token(d: typeof byDefault): string {
  return one(d, 'storage/hostStorage').name.slice(2);
}
