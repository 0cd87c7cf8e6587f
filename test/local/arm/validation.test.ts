import fc from 'fast-check';
import { ENDPOINT, check, trafficManagerRefusal } from '../../../local/arm/validate';
import type { Harness, WireJson } from './harness';
import { PROFILE_ID, RG_ID, rawRequest, startHarness, vmssId } from './harness';

const TM = 'api-version=2022-04-01';
const CV = 'api-version=2026-04-01';

describe('ARM stand-in refuses what the REST API refuses, and changes nothing then', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });
  const profile = (): unknown => structuredClone(h.arm.control.profile());

  it.each([
    [
      { properties: { endpointStatus: 'On' } },
      'properties.endpointStatus',
      "allowed values are 'Enabled', 'Disabled'",
    ],
    [{ properties: { weight: 0 } }, 'properties.weight', 'it must be from 1 to 1000'],
    [{ properties: { priority: 'high' } }, 'properties.priority', 'must be an integer, not string'],
    [{ properties: { target: 42 } }, 'properties.target', 'must be a string, not integer'],
    [
      { properties: { customHeaders: [{ name: 'x', value: 1 }] } },
      'properties.customHeaders[0].value',
      'must be a string',
    ],
    [
      { properties: { priority: 1 } },
      'properties.priority',
      "Endpoints 'blue' and 'green' have the same priority 1",
    ],
    [{ properties: [] }, 'properties', 'must be an object, not array'],
  ])('PATCH endpoint %j: 400 BadRequest naming %s', async (body, field, rule) => {
    const before = profile();
    const res = await rawRequest(h.arm, 'PATCH', `${PROFILE_ID}/externalEndpoints/green?${TM}`, body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'BadRequest', target: field });
    expect(res.body.error.message).toContain(rule);
    expect(profile()).toEqual(before);
  });

  it('PUT endpoint fills what ARM fills: id, endpointStatus, weight and the next free priority', async () => {
    const res = await rawRequest(h.arm, 'PUT', `${PROFILE_ID}/externalEndpoints/canary?${TM}`, {
      properties: { target: 'canary.example.com' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: `${PROFILE_ID}/externalEndpoints/canary`,
      name: 'canary',
      type: 'Microsoft.Network/trafficManagerProfiles/externalEndpoints',
      properties: { target: 'canary.example.com', endpointStatus: 'Enabled', weight: 1, priority: 3 },
    });
    const get = await rawRequest(h.arm, 'GET', `${PROFILE_ID}/externalEndpoints/canary?${TM}`);
    expect(get.body).toEqual(res.body);
  });

  it('PUT of an external endpoint without a target, or with a taken priority, is refused and adds nothing', async () => {
    const before = profile();
    const noTarget = await rawRequest(h.arm, 'PUT', `${PROFILE_ID}/externalEndpoints/canary?${TM}`, {
      properties: {},
    });
    expect([noTarget.status, noTarget.body.error.code, noTarget.body.error.target]).toEqual([
      400,
      'BadRequest',
      'properties.target',
    ]);
    const taken = await rawRequest(h.arm, 'PUT', `${PROFILE_ID}/externalEndpoints/canary?${TM}`, {
      properties: { target: 'c.example.com', priority: 2 },
    });
    expect(taken.status).toBe(400);
    expect(taken.body.error.message).toContain("Endpoints 'green' and 'canary' have the same priority 2");
    expect(profile()).toEqual(before);
  });

  it('PUT profile assigns priorities in order to endpoints given without one, and ids to all', async () => {
    const id = `${RG_ID}/providers/Microsoft.Network/trafficManagerProfiles/tm-new`;
    const res: WireJson = await rawRequest(h.arm, 'PUT', `${id}?${TM}`, {
      location: 'global',
      properties: {
        trafficRoutingMethod: 'Priority',
        dnsConfig: { relativeName: 'tm-new', ttl: 30 },
        monitorConfig: { protocol: 'HTTP', port: 80, path: '/health' },
        endpoints: [
          {
            name: 'a',
            type: 'Microsoft.Network/trafficManagerProfiles/externalEndpoints',
            properties: { target: 'a.example.com' },
          },
          {
            name: 'b',
            type: 'Microsoft.Network/trafficManagerProfiles/externalEndpoints',
            properties: { target: 'b.example.com' },
          },
        ],
      },
    });
    expect(res.status).toBe(201);
    expect(
      res.body.properties.endpoints.map((e: WireJson) => [e.id, e.properties.priority, e.properties.weight]),
    ).toEqual([
      [`${id}/externalEndpoints/a`, 1, 1],
      [`${id}/externalEndpoints/b`, 2, 1],
    ]);
    const bad = await rawRequest(
      h.arm,
      'PUT',
      `${RG_ID}/providers/Microsoft.Network/trafficManagerProfiles/tm-bad?${TM}`,
      {
        location: 'global',
        properties: { trafficRoutingMethod: 'Fastest' },
      },
    );
    expect([bad.status, bad.body.error.target]).toEqual([400, 'properties.trafficRoutingMethod']);
    expect(
      h.arm.control.world().profiles[
        `${RG_ID}/providers/Microsoft.Network/trafficManagerProfiles/tm-bad`.toLowerCase()
      ],
    ).toBeUndefined();
  });

  const runCommand = `${vmssId('green')}/virtualMachines/0/runCommands/deploy?${CV}`;
  it.each([
    [
      { properties: { source: { script: 'echo' } } },
      'location',
      "Required parameter 'location' is missing (null).",
    ],
    [
      { location: 'westeurope', properties: { parameters: [{ name: 'A' }] } },
      'properties.parameters[0].value',
      "Required parameter 'properties.parameters[0].value' is missing (null).",
    ],
    [
      { location: 'westeurope', properties: { timeoutInSeconds: '120' } },
      'properties.timeoutInSeconds',
      "The value of 'properties.timeoutInSeconds' must be an integer, not string.",
    ],
    [
      { location: 'westeurope', properties: { asyncExecution: 'yes' } },
      'properties.asyncExecution',
      "The value of 'properties.asyncExecution' must be a boolean, not string.",
    ],
    [
      { location: 'westeurope', properties: { protectedParameters: {} } },
      'properties.protectedParameters',
      'must be an array, not object',
    ],
  ])(
    'PUT run command %j: 400 InvalidParameter on %s, nothing created or executed',
    async (body, target, message) => {
      const res = await rawRequest(h.arm, 'PUT', runCommand, body);
      expect(res.status).toBe(400);
      expect(res.body.error).toEqual({
        code: 'InvalidParameter',
        message: expect.stringContaining(message),
        target,
      });
      expect(h.arm.control.runCommands()).toEqual([]);
      expect(h.executor.calls).toEqual([]);
    },
  );

  it('POST runCommand needs commandId and a string-array script', async () => {
    const action = `${vmssId('green')}/virtualMachines/0/runCommand?${CV}`;
    const none = await rawRequest(h.arm, 'POST', action, { script: ['echo'] });
    expect(none.body.error).toEqual({
      code: 'InvalidParameter',
      message: "Required parameter 'commandId' is missing (null).",
      target: 'commandId',
    });
    const script = await rawRequest(h.arm, 'POST', action, { commandId: 'RunShellScript', script: 'echo' });
    expect([script.status, script.body.error.target]).toEqual([400, 'script']);
    expect(h.executor.calls).toEqual([]);
  });

  it('lists the scale sets and the VMs of a resource group', async () => {
    const vm = h.arm.control.addVm({ name: 'vm-1' });
    const sets = await rawRequest(
      h.arm,
      'GET',
      `${RG_ID}/providers/Microsoft.Compute/virtualMachineScaleSets?${CV}`,
    );
    expect(sets.status).toBe(200);
    expect(sets.body.value.map((s: WireJson) => s.id)).toEqual([vmssId('blue'), vmssId('green')]);
    const vms = await rawRequest(h.arm, 'GET', `${RG_ID}/providers/Microsoft.Compute/virtualMachines?${CV}`);
    expect(vms.body.value.map((v: WireJson) => v.id)).toEqual([vm.id]);
    const other = await rawRequest(
      h.arm,
      'GET',
      `/subscriptions/${RG_ID.split('/')[2]}/resourceGroups/rg-nope/providers/Microsoft.Compute/virtualMachineScaleSets?${CV}`,
    );
    expect([other.status, other.body.error.code]).toEqual([404, 'ResourceGroupNotFound']);
  });
});

describe('endpoint schema (property)', () => {
  it('accepts exactly the integer weights 1..1000', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: -5000, max: 5000 }), fc.double(), fc.string(), fc.boolean()),
        (weight) => {
          const ok = Number.isInteger(weight) && (weight as number) >= 1 && (weight as number) <= 1000;
          const run = () => check({ properties: { weight } }, ENDPOINT, '', trafficManagerRefusal);
          if (ok) expect(run).not.toThrow();
          else
            expect(run).toThrow(
              expect.objectContaining({ status: 400, code: 'BadRequest', target: 'properties.weight' }),
            );
        },
      ),
    );
  });
});
