import { ComputeManagementClient } from '@azure/arm-compute';
import { TrafficManagerManagementClient } from '@azure/arm-trafficmanager';
import type { Harness } from './harness';
import { RG, SUB, fakeCredential, rawRequest, startHarness } from './harness';

/** The real SDK clients against the stand-in: the shapes and LRO headers they need, beyond what the adapters use. */
describe('ARM stand-in speaks what the SDKs send', () => {
  let h: Harness;
  let tm: TrafficManagerManagementClient;
  let compute: ComputeManagementClient;
  beforeEach(async () => {
    h = await startHarness();
    const common = { endpoint: h.arm.url, tlsOptions: { ca: h.arm.caPem }, retryOptions: { maxRetries: 0 } };
    tm = new TrafficManagerManagementClient(fakeCredential, SUB, {
      ...common,
      credentialScopes: `${h.arm.url}/.default`,
    });
    compute = new ComputeManagementClient(fakeCredential, SUB, {
      ...common,
      credentials: { scopes: [`${h.arm.url}/.default`] },
    });
  });
  afterEach(async () => {
    await h.stop();
  });

  it('Traffic Manager: list by group, create a profile with endpoints, PUT and PATCH endpoints', async () => {
    const listed = [];
    for await (const p of tm.profiles.listByResourceGroup(RG)) listed.push(p.name);
    expect(listed).toEqual(['tm-webapp']);

    const created = await tm.profiles.createOrUpdate(RG, 'tm-other', {
      location: 'global',
      trafficRoutingMethod: 'Priority',
      dnsConfig: { relativeName: 'tm-other', ttl: 10 },
      monitorConfig: { protocol: 'HTTP', port: 80, path: '/health' },
      endpoints: [
        {
          name: 'a',
          type: 'Microsoft.Network/trafficManagerProfiles/externalEndpoints',
          target: '127.0.0.9',
          priority: 1,
        },
      ],
    });
    expect(created.dnsConfig).toMatchObject({
      relativeName: 'tm-other',
      fqdn: 'tm-other.trafficmanager.net',
      ttl: 10,
    });
    expect(created.endpoints?.[0]).toMatchObject({
      name: 'a',
      endpointStatus: 'Enabled',
      target: '127.0.0.9',
    });

    const b = await tm.endpoints.createOrUpdate(RG, 'tm-other', 'ExternalEndpoints', 'b', {
      target: '127.0.0.10',
      endpointStatus: 'Disabled',
      priority: 2,
    });
    expect(b).toMatchObject({
      name: 'b',
      type: 'Microsoft.Network/trafficManagerProfiles/externalEndpoints',
      endpointStatus: 'Disabled',
    });
    const patched = await tm.endpoints.update(RG, 'tm-other', 'ExternalEndpoints', 'b', {
      endpointStatus: 'Enabled',
    });
    expect(patched).toMatchObject({
      endpointStatus: 'Enabled',
      target: '127.0.0.10',
      priority: 2,
      endpointMonitorStatus: 'Online',
    });
    const profile = await tm.profiles.update(RG, 'tm-other', { dnsConfig: { ttl: 5 } });
    expect(profile.dnsConfig).toMatchObject({ relativeName: 'tm-other', ttl: 5 });
  });

  it('Compute: scale set GET, its VMs, the runCommand action (POST LRO) and a timed-out managed run command', async () => {
    const set = await compute.virtualMachineScaleSets.get(RG, 'vmss-webapp-blue');
    expect(set).toMatchObject({ name: 'vmss-webapp-blue', location: 'westeurope', sku: { capacity: 2 } });
    const vms = [];
    for await (const vm of compute.virtualMachineScaleSetVMs.list(RG, 'vmss-webapp-blue'))
      vms.push([vm.name, vm.instanceId]);
    expect(vms).toEqual([
      ['vmss-webapp-blue_0', '0'],
      ['vmss-webapp-blue_1', '1'],
    ]);

    const action = await compute.virtualMachineScaleSetVMs.runCommand(
      RG,
      'vmss-webapp-blue',
      '1',
      { commandId: 'RunShellScript', script: ['echo hello'] },
      { updateIntervalInMs: 20 },
    );
    expect(action.value?.[0]?.message).toContain('deployed on vmss-webapp-blue_1');

    h.executor.hold();
    const poller = compute.virtualMachineScaleSetVMRunCommands.createOrUpdate(
      RG,
      'vmss-webapp-blue',
      '0',
      'slow',
      {
        location: 'westeurope',
        source: { script: 'sleep 99' },
        timeoutInSeconds: 1,
        treatFailureAsDeploymentFailure: false,
      },
      { updateIntervalInMs: 50 },
    );
    const done = await poller.pollUntilDone();
    h.executor.release();
    expect(done.provisioningState).toBe('Succeeded');
    const view = await compute.virtualMachineScaleSetVMRunCommands.get(RG, 'vmss-webapp-blue', '0', 'slow', {
      expand: 'instanceView',
    });
    expect(view.instanceView?.executionState).toBe('TimedOut');
  });

  it('a failed script with treatFailureAsDeploymentFailure fails the LRO with ARM’s error', async () => {
    h.executor.answer('vmss-webapp-green_0', { exitCode: 2, stderr: 'boom' });
    await expect(
      compute.virtualMachineScaleSetVMRunCommands.beginCreateOrUpdateAndWait(
        RG,
        'vmss-webapp-green',
        '0',
        'strict',
        { location: 'westeurope', source: { script: 'exit 2' }, treatFailureAsDeploymentFailure: true },
        { updateIntervalInMs: 20 },
      ),
    ).rejects.toThrow(/exit code 2/);
  });

  it('rejects a bad fault pattern on the control API with 400', async () => {
    const res = await rawRequest(h.arm, 'POST', '/_control/faults', { path: '(', status: 500 }, {});
    expect([res.status, res.body.error.code]).toEqual([400, 'BadRequest']);
  });
});
