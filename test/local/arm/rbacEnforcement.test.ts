import { join } from 'node:path';
import { LOCAL_IDENTITY, loadLocalRbacPolicy, type RbacPolicy } from '../../../local/arm';
import type { Harness, WireJson } from './harness';
import {
  buildTopology,
  managedIdentityToken,
  PROFILE_ID,
  rawRequest,
  RG_ID,
  startHarness,
  vmssId,
} from './harness';

const ROOT = join(__dirname, '../../..');
const TM = '2022-04-01';
const CV = '2026-04-01';

describe("ARM stand-in enforcing the template's RBAC on the app's identity", () => {
  let h: Harness;
  let policy: RbacPolicy;
  let token: string;
  const as = (method: string, path: string, body?: unknown) =>
    rawRequest(h.arm, method, path, body, { Authorization: `Bearer ${token}` });
  const runCommandPath = `${vmssId('green')}/virtualMachines/0/runCommands/deploy?api-version=${CV}`;
  const aRunCommand = { location: 'westeurope', properties: { source: { script: 'echo hi' } } };

  beforeAll(async () => {
    policy = loadLocalRbacPolicy(ROOT, buildTopology(), { app: LOCAL_IDENTITY.principalId, vm: 'vm' });
    h = await startHarness({ rbac: policy });
    token = await managedIdentityToken(h.arm);
  });
  afterAll(async () => {
    await h.stop();
  });

  it('serves what the template grants: the profile, the endpoint swap, run commands and their operation status', async () => {
    expect((await as('GET', `${PROFILE_ID}?api-version=${TM}`)).status).toBe(200);
    const patch = await as('PATCH', `${PROFILE_ID}/externalEndpoints/green?api-version=${TM}`, {
      properties: { endpointStatus: 'Enabled' },
    });
    expect(patch.status).toBe(200);
    expect((await as('GET', `${vmssId('green')}/virtualMachines?api-version=${CV}`)).status).toBe(200);
    const put = await as('PUT', runCommandPath, aRunCommand);
    expect(put.status).toBe(201);
    const op = new URL(String(put.headers['azure-asyncoperation']));
    expect((await as('GET', `${op.pathname}${op.search}`)).status).toBe(200);
  });

  it("answers ARM's 403 AuthorizationFailed for what it does not grant, naming client, object id, action and scope", async () => {
    const other = `${RG_ID}/providers/Microsoft.Network/trafficmanagerprofiles/tm-other`;
    const res = await as('PUT', `${other}?api-version=${TM}`, { location: 'global', properties: {} });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      error: {
        code: 'AuthorizationFailed',
        message: `The client '${LOCAL_IDENTITY.clientId}' with object id '${LOCAL_IDENTITY.principalId}' does not have authorization to perform action 'Microsoft.Network/trafficManagerProfiles/write' over scope '${other}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
      },
    });
    expect(h.arm.control.world().profiles[other.toLowerCase()]).toBeUndefined(); // refused: nothing created
    // Listing the group's VMs is authorized at the group's provider scope, above the scale-set grants.
    const list = await as('GET', `${RG_ID}/providers/Microsoft.Compute/virtualMachines?api-version=${CV}`);
    expect(list.status).toBe(403);
    expect(list.body.error.message).toContain(`over scope '${RG_ID}/providers/Microsoft.Compute'`);
    // The older action run command is not in the custom role.
    const action = await as('POST', `${vmssId('green')}/virtualMachines/0/runCommand?api-version=${CV}`, {
      commandId: 'RunShellScript',
    });
    expect(action.status).toBe(403);
    expect(action.body.error.message).toContain(
      "'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommand/action'",
    );
  });

  it('does not check tokens the identity endpoint did not issue (tests, an operator)', async () => {
    const other = `${RG_ID}/providers/Microsoft.Network/trafficmanagerprofiles/tm-operator`;
    const res = await rawRequest(h.arm, 'PUT', `${other}?api-version=${TM}`, {
      location: 'global',
      properties: {},
    });
    expect(res.status).toBe(201);
  });

  it('authorizes an operation status read at the resource group: without that grant it fails, a grant on the scale set does not help', async () => {
    const put: WireJson = await as('PUT', runCommandPath, {
      ...aRunCommand,
      properties: { source: { script: 'echo 2' } },
    });
    expect(put.status).toBe(200);
    const op = new URL(String(put.headers['azure-asyncoperation']));
    const removed = h.arm.control.removeRoleAssignment('rbac/apiOperationStatus');
    try {
      const denied = await as('GET', `${op.pathname}${op.search}`);
      expect(denied.status).toBe(403);
      expect(denied.body.error.message).toContain(
        `perform action 'Microsoft.Compute/locations/operations/read' over scope '${RG_ID}'`,
      );
      h.arm.control.addRoleAssignment({ ...removed, name: 'test/on-the-scale-set', scope: vmssId('green') });
      expect((await as('GET', `${op.pathname}${op.search}`)).status).toBe(403);
    } finally {
      h.arm.control.removeRoleAssignment('test/on-the-scale-set');
      h.arm.control.addRoleAssignment(removed);
    }
    expect((await as('GET', `${op.pathname}${op.search}`)).status).toBe(200);
  });

  it('lists, removes and restores assignments through /_control', async () => {
    const list = await rawRequest(h.arm, 'GET', '/_control/role-assignments');
    expect(list.body.value.map((a: WireJson) => a.name)).toContain('rbac/apiTrafficManager');
    const del = await rawRequest(
      h.arm,
      'DELETE',
      `/_control/role-assignments/${encodeURIComponent('rbac/apiTrafficManager')}`,
    );
    expect(del.status).toBe(200);
    expect((await as('GET', `${PROFILE_ID}?api-version=${TM}`)).status).toBe(403);
    expect((await rawRequest(h.arm, 'POST', '/_control/role-assignments', del.body)).status).toBe(201);
    expect((await as('GET', `${PROFILE_ID}?api-version=${TM}`)).status).toBe(200);
    const missing = await rawRequest(h.arm, 'DELETE', '/_control/role-assignments/nope');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'RoleAssignmentNotFound']);
    expect((await rawRequest(h.arm, 'POST', '/_control/role-assignments', { name: 'x' })).status).toBe(400);
  });
});
