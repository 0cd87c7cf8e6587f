import fc from 'fast-check';
import { join } from 'node:path';
import { evaluate, type EvalScope } from '../../../local/arm/rbac/expressions';
import {
  BUILT_IN_ROLES,
  covers,
  loadLocalRbacPolicy,
  RbacPolicy,
  roleGrants,
  type RoleAssignment,
  type RoleDefinition,
} from '../../../local/arm/rbac';
import { buildTopology, RG_ID, SUB, vmssId, PROFILE_ID } from './harness';

const ROOT = join(__dirname, '../../..');
const APP = 'app-principal';
const VM = 'vm-principal';

/** A custom role with one permission block. */
const aRole = (name: string, p: Partial<RoleDefinition['permissions'][number]>): RoleDefinition => ({
  name,
  roleName: name,
  source: 'test',
  permissions: [{ actions: [], notActions: [], dataActions: [], notDataActions: [], ...p }],
});
const anAssignment = (roleDefinitionName: string, scope: string, principalId = APP): RoleAssignment => ({
  name: `test/${roleDefinitionName}@${scope}`,
  principalId,
  roleDefinitionName,
  scope,
});

describe('RBAC evaluation, as ARM does it', () => {
  it('matches * across segments, case-insensitively, and subtracts notActions', () => {
    const role = aRole('r', {
      actions: ['Microsoft.Compute/*', 'microsoft.network/trafficmanagerprofiles/*/read'],
      notActions: ['Microsoft.Compute/*/delete'],
    });
    expect(
      roleGrants(role, 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommands/write'),
    ).toBe(true);
    expect(roleGrants(role, 'Microsoft.Compute/virtualMachines/runCommands/delete')).toBe(false);
    expect(roleGrants(role, 'Microsoft.Network/trafficManagerProfiles/externalEndpoints/read')).toBe(true);
    expect(roleGrants(role, 'Microsoft.Network/trafficManagerProfiles/write')).toBe(false);
    // A dot in a pattern is a dot, not "any character".
    expect(roleGrants(aRole('d', { actions: ['Microsoft.Compute/x'] }), 'MicrosoftXCompute/x')).toBe(false);
  });

  it('keeps data actions apart from management actions', () => {
    const reader = BUILT_IN_ROLES.find((r) => r.roleName === 'Storage Blob Data Reader')!;
    const blobRead = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read';
    expect(roleGrants(reader, blobRead, 'dataAction')).toBe(true);
    expect(roleGrants(reader, blobRead, 'action')).toBe(false);
    const notData = aRole('n', {
      dataActions: ['Microsoft.KeyVault/vaults/secrets/*'],
      notDataActions: ['*/delete'],
    });
    expect(roleGrants(notData, 'Microsoft.KeyVault/vaults/secrets/getSecret/action', 'dataAction')).toBe(
      true,
    );
    expect(roleGrants(notData, 'Microsoft.KeyVault/vaults/secrets/delete', 'dataAction')).toBe(false);
  });

  it('inherits down the scope tree (subscription, group, resource), never up or sideways', () => {
    const blue = vmssId('blue');
    expect(covers(`/subscriptions/${SUB}`, blue)).toBe(true);
    expect(covers(RG_ID, blue)).toBe(true);
    expect(covers(blue, `${blue}/virtualMachines/0/runCommands/deploy`)).toBe(true);
    expect(covers(blue, RG_ID)).toBe(false);
    expect(covers(blue, vmssId('green'))).toBe(false);
    expect(covers(blue, `${blue}2`)).toBe(false); // a name prefix is not a parent
    expect(covers('/', blue)).toBe(true);
  });

  it('grants exactly when an assignment at or above the scope holds a role granting the action (property)', () => {
    const scopes = [
      `/subscriptions/${SUB}`,
      RG_ID,
      vmssId('blue'),
      `${vmssId('blue')}/virtualMachines/0`,
      vmssId('green'),
    ];
    const actions = [
      'Microsoft.Compute/virtualMachineScaleSets/read',
      'Microsoft.Compute/locations/operations/read',
    ];
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.constantFrom(...scopes), action: fc.constantFrom(...actions) }), {
          maxLength: 4,
        }),
        fc.constantFrom(...scopes),
        fc.constantFrom(...actions),
        (grants, scope, action) => {
          const roles = grants.map((g, i) => aRole(`role${i}`, { actions: [g.action] }));
          const policy = new RbacPolicy(
            roles,
            grants.map((g, i) => anAssignment(`role${i}`, g.at)),
          );
          const expected = grants.some((g) => g.action === action && covers(g.at, scope));
          expect(policy.allows(APP, action, scope)).toBe(expected);
          expect(policy.allows('someone-else', action, scope)).toBe(false);
        },
      ),
    );
  });

  it('refuses an assignment naming a role it does not know', () => {
    expect(() => new RbacPolicy([], [anAssignment('00000000-0000-0000-0000-00000000dead', RG_ID)])).toThrow(
      /neither a custom role of the template nor a built-in role/,
    );
  });
});

describe('template expressions', () => {
  const scope: EvalScope = {
    subscriptionId: SUB,
    resourceGroup: 'rg-webapp',
    location: 'westeurope',
    parameters: { names: ['a', 'b'], empty: '' },
    variable: (n) => ({ roles: { reader: 'acdd72a7' } })[n],
    copyIndex: () => 1,
    reference: () => ({ principalId: 'p-1' }),
  };
  it.each([
    ["[format('vmss-{0}-{1}', parameters('names')[copyIndex()], 'x')]", 'vmss-b-x'],
    [
      "[resourceId('Microsoft.Compute/virtualMachineScaleSets', 'v1')]",
      `${RG_ID}/providers/Microsoft.Compute/virtualMachineScaleSets/v1`,
    ],
    [
      "[resourceId('Microsoft.KeyVault/vaults/secrets', 'kv', 's')]",
      `${RG_ID}/providers/Microsoft.KeyVault/vaults/kv/secrets/s`,
    ],
    [
      "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', variables('roles').reader)]",
      `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7`,
    ],
    ["[if(not(empty(parameters('empty'))), 'yes', 'no')]", 'no'],
    ["[length(range(0, length(parameters('names'))))]", 2],
    ["[reference('apiIdentity').principalId]", 'p-1'],
    ['[[literal]', '[literal]'],
    ["[concat('it''s', '-', resourceGroup().name)]", "it's-rg-webapp"],
  ])('%s', (expr, expected) => {
    expect(evaluate(expr, scope)).toEqual(expected);
  });

  it('gives guid() the same value for the same inputs, and a different one otherwise', () => {
    const a = evaluate("[guid(resourceGroup().id, 'x')]", scope);
    expect(a).toBe(evaluate("[guid(resourceGroup().id, 'x')]", scope));
    expect(a).not.toBe(evaluate("[guid(resourceGroup().id, 'y')]", scope));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('names the function it cannot evaluate', () => {
    expect(() => evaluate("[uniqueString('x')]", scope)).toThrow(
      /template function 'uniquestring' is not supported/,
    );
  });
});

describe('the compiled template (infra/main.json) bound to the local world', () => {
  const policy = loadLocalRbacPolicy(ROOT, buildTopology(), { app: APP, vm: VM });
  const mine = policy.assignments().filter((a) => a.principalId === APP);
  const roleOf = (a: RoleAssignment): string => policy.definition(a.roleDefinitionName)?.roleName ?? '?';

  it('assigns the app Traffic Manager Contributor on the profile only, and the run command role per scale set', () => {
    // ARM IDs compare case-insensitively (the template writes the type `trafficmanagerprofiles`).
    expect(
      mine.filter((a) => roleOf(a) === 'Traffic Manager Contributor').map((a) => a.scope.toLowerCase()),
    ).toEqual([PROFILE_ID.toLowerCase()]);
    const runCommands = mine.filter((a) => roleOf(a).startsWith('Release orchestrator run commands'));
    expect(runCommands.map((a) => a.scope).sort()).toEqual([vmssId('blue'), vmssId('green')]);
    expect(policy.assignments().some((a) => a.scope.toLowerCase() === `/subscriptions/${SUB}`)).toBe(false);
  });

  it("lets the app do exactly the deployer's, the swap's and the alert reader's calls, each at its scope", () => {
    const vm0 = `${vmssId('green')}/virtualMachines/0`;
    const can = (action: string, scope: string): boolean => policy.allows(APP, action, scope);
    expect(can('Microsoft.Network/trafficManagerProfiles/read', PROFILE_ID)).toBe(true);
    expect(
      can(
        'Microsoft.Network/trafficManagerProfiles/externalEndpoints/write',
        `${PROFILE_ID}/externalEndpoints/green`,
      ),
    ).toBe(true);
    expect(
      can(
        'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommands/write',
        `${vm0}/runCommands/deploy`,
      ),
    ).toBe(true);
    expect(can('Microsoft.Compute/virtualMachineScaleSets/virtualMachines/read', vmssId('green'))).toBe(true);
    expect(
      can('Microsoft.AlertsManagement/alerts/read', `${RG_ID}/providers/Microsoft.AlertsManagement`),
    ).toBe(true);
    // Least privilege: nothing else.
    expect(
      can(
        'Microsoft.Network/trafficManagerProfiles/write',
        `${RG_ID}/providers/Microsoft.Network/trafficManagerProfiles/other`,
      ),
    ).toBe(false);
    expect(can('Microsoft.Compute/virtualMachineScaleSets/write', vmssId('green'))).toBe(false);
    expect(can('Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommand/action', vm0)).toBe(
      false,
    );
    expect(
      can(
        'Microsoft.AlertsManagement/alerts/read',
        `/subscriptions/${SUB}/providers/Microsoft.AlertsManagement`,
      ),
    ).toBe(false);
  });

  it('lets the app track Compute operations at the resource group (the grant "Track asynchronous Azure operations" asks for)', () => {
    expect(policy.allows(APP, 'Microsoft.Compute/locations/operations/read', RG_ID)).toBe(true);
  });

  it('gives the VMs read on the packages and nothing on ARM', () => {
    const vms = policy.assignments().filter((a) => a.principalId === VM);
    expect(vms.map(roleOf)).toEqual(['Storage Blob Data Reader']);
    expect(policy.allows(VM, 'Microsoft.Compute/virtualMachineScaleSets/read', vmssId('blue'))).toBe(false);
  });
});

describe("the template's Front Door variant, bound to the local world", () => {
  const fd = loadLocalRbacPolicy(ROOT, buildTopology(), { app: APP, vm: VM }, 'frontDoor');
  const ORIGIN_GROUP = `${RG_ID}/providers/Microsoft.Cdn/profiles/afd-tm-webapp/originGroups/slots`;
  const can = (action: string, scope: string): boolean => fd.allows(APP, action, scope);

  it('lets the app read the origin group and write its origins there, and track the writes at the group', () => {
    expect(can('Microsoft.Cdn/profiles/originGroups/read', ORIGIN_GROUP)).toBe(true);
    expect(can('Microsoft.Cdn/profiles/originGroups/origins/read', ORIGIN_GROUP)).toBe(true);
    expect(can('Microsoft.Cdn/profiles/originGroups/origins/write', `${ORIGIN_GROUP}/origins/green`)).toBe(
      true,
    );
    expect(
      can(
        'Microsoft.Cdn/operationresults/profileresults/origingroupresults/originresults/read',
        `${RG_ID}/providers/Microsoft.Cdn/operationresults/op/profileresults/afd-tm-webapp/origingroupresults/slots/originresults/green`,
      ),
    ).toBe(true);
  });

  it('and nothing else of the profile, no other origin group, no Traffic Manager', () => {
    const profile = `${RG_ID}/providers/Microsoft.Cdn/profiles/afd-tm-webapp`;
    expect(can('Microsoft.Cdn/profiles/write', profile)).toBe(false);
    expect(
      can('Microsoft.Cdn/profiles/afdEndpoints/routes/write', `${profile}/afdEndpoints/e/routes/r`),
    ).toBe(false);
    expect(
      can('Microsoft.Cdn/profiles/originGroups/origins/write', `${profile}/originGroups/other/origins/x`),
    ).toBe(false);
    expect(can('Microsoft.Cdn/profiles/originGroups/origins/delete', `${ORIGIN_GROUP}/origins/green`)).toBe(
      false,
    );
    expect(
      can(
        'Microsoft.Network/trafficManagerProfiles/externalEndpoints/write',
        `${PROFILE_ID}/externalEndpoints/green`,
      ),
    ).toBe(false);
  });
});
