import type { InstanceRef } from '../../../src/core/domain';
import type { RunCommandSpec } from '../../../src/core/ports/deployer';
import {
  createRunCommandDeployer,
  isProtectedParameter,
  outputTail,
} from '../../../src/adapters/azure/runCommand';
import type { Harness, WireJson } from '../../local/arm/harness';
import { RG_ID, rawRequest, startHarness, testClients, vmssId } from '../../local/arm/harness';

const spec = (over: Partial<RunCommandSpec> = {}): RunCommandSpec => ({
  runName: 'deploy-webapp-42',
  scriptKind: 'linux',
  script: '#!/bin/bash\necho deploy',
  parameters: { ARTIFACT_URL: 'http://127.0.0.1:9000/webapp-42.tar.gz', VERSION: '42' },
  timeoutSeconds: 120,
  ...over,
});

const vmssVm = (slot: string, i: number): InstanceRef => ({
  id: `${vmssId(slot)}/virtualMachines/${i}`,
  name: `vmss-webapp-${slot}_${i}`,
  kind: 'vmssVm',
});

describe('Deployer over @azure/arm-compute managed run commands', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  describe('listInstances', () => {
    it('lists a scale set’s VMs with the private address of each one’s NIC', async () => {
      const deployer = createRunCommandDeployer(testClients(h.arm));
      expect(await deployer.listInstances({ kind: 'vmss', resourceId: vmssId('green') })).toEqual([
        { ...vmssVm('green', 0), address: '127.0.11.10' },
        { ...vmssVm('green', 1), address: '127.0.11.11' },
      ]);
      const [list, nics] = h.arm.control.requests().slice(-2);
      expect(list?.path).toBe(`${vmssId('green')}/virtualMachines`);
      expect(list?.query['api-version']).toBe('2026-04-01');
      // One call for all the scale set's NICs, with the only api-version that operation takes.
      expect(nics?.path).toBe(`${vmssId('green')}/networkInterfaces`);
      expect(nics?.query['api-version']).toBe('2018-10-01');
    });

    it('reads listed VMs one by one, and the primary NIC of each that has one', async () => {
      const a = h.arm.control.addVm({ name: 'vm-a', address: '127.0.20.4' });
      const b = h.arm.control.addVm({ name: 'vm-b' });
      const deployer = createRunCommandDeployer(testClients(h.arm));
      expect(await deployer.listInstances({ kind: 'vms', resourceIds: [b.id, a.id] })).toEqual([
        { id: b.id, name: 'vm-b', kind: 'vm' },
        { id: a.id, name: 'vm-a', kind: 'vm', address: '127.0.20.4' },
      ]);
      const nic = h.arm.control.requests().at(-1);
      expect(nic?.path).toBe(`${RG_ID}/providers/Microsoft.Network/networkInterfaces/vm-a-nic`);
      expect(nic?.query['api-version']).toBe('2024-05-01');
    });

    it('selects VMs of a resource group by tag (name case-insensitive, value exact)', async () => {
      h.arm.control.addVm({ name: 'vm-1', tags: { Slot: 'blue' } });
      h.arm.control.addVm({ name: 'vm-2', tags: { slot: 'green' } });
      h.arm.control.addVm({ name: 'vm-3', tags: { SLOT: 'blue' } });
      h.arm.control.addVm({ name: 'vm-4', tags: { slot: 'Blue' } });
      const deployer = createRunCommandDeployer(testClients(h.arm));
      const found = await deployer.listInstances({
        kind: 'vmTag',
        resourceGroupId: RG_ID,
        tagName: 'slot',
        tagValue: 'blue',
      });
      expect(found.map((i) => i.name)).toEqual(['vm-1', 'vm-3']);
    });

    it('fails with step, resource and cause for a missing scale set', async () => {
      const deployer = createRunCommandDeployer(testClients(h.arm));
      const missing = `${RG_ID}/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-nope`;
      await expect(deployer.listInstances({ kind: 'vmss', resourceId: missing })).rejects.toMatchObject({
        step: 'list-instances',
        resource: missing,
        transient: false,
        cause: { statusCode: 404, code: 'ResourceNotFound' },
      });
    });

    it("keeps ARM's message when the SDK's pager refuses a failed page (a 403 names action and scope)", async () => {
      const message = `The client 'c' with object id 'o' does not have authorization to perform action 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/read' over scope '${vmssId('green')}' or the scope is invalid. If access was recently granted, please refresh your credentials.`;
      h.arm.control.addFault({
        method: 'GET',
        path: 'vmss-webapp-green/virtualMachines$',
        status: 403,
        message,
      });
      const deployer = createRunCommandDeployer(testClients(h.arm));
      const err: unknown = await deployer
        .listInstances({ kind: 'vmss', resourceId: vmssId('green') })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({
        step: 'list-instances',
        cause: { statusCode: 403, code: 'AuthorizationFailed' },
      });
      expect((err as Error).message).toContain(`HTTP 403 AuthorizationFailed: ${message}`);
    });
  });

  describe('run', () => {
    it('creates the managed run command, waits for the LRO and returns exit code and output', async () => {
      const deployer = createRunCommandDeployer(testClients(h.arm));
      const result = await deployer.run(vmssVm('green', 1), spec());
      expect(result).toEqual({
        instance: 'vmss-webapp-green_1',
        exitCode: 0,
        succeeded: true,
        outputTail: 'deployed on vmss-webapp-green_1',
      });
      expect(h.executor.calls).toHaveLength(1);
      expect(h.executor.calls[0]).toMatchObject({
        instanceName: 'vmss-webapp-green_1',
        runName: 'deploy-webapp-42',
        script: '#!/bin/bash\necho deploy',
        parameters: { ARTIFACT_URL: 'http://127.0.0.1:9000/webapp-42.tar.gz', VERSION: '42' },
        timeoutSeconds: 120,
      });
      const put = h.arm.control.requests().find((r) => r.method === 'PUT');
      expect(put?.body).toEqual({
        location: 'westeurope',
        properties: {
          source: { script: '#!/bin/bash\necho deploy' },
          parameters: [{ name: 'VERSION', value: '42' }],
          // The package URL may carry a SAS token: write-only, never in a GET of the run command.
          protectedParameters: [{ name: 'ARTIFACT_URL', value: 'http://127.0.0.1:9000/webapp-42.tar.gz' }],
          timeoutInSeconds: 120,
          asyncExecution: false,
          treatFailureAsDeploymentFailure: false,
        },
      });
      // GET first (404), the VM for its location, PUT, polls of the Azure-AsyncOperation URL, final GET, read back.
      const calls = h.arm.control
        .requests()
        .map((r) => `${r.method} ${r.path.split('/').slice(-2).join('/')} ${r.status}`);
      expect(calls[0]).toBe('GET runCommands/deploy-webapp-42 404');
      expect(calls).toContain('PUT runCommands/deploy-webapp-42 201');
      expect(calls.some((c) => /^GET operations\/[0-9a-f-]+ 200$/.test(c))).toBe(true);
      expect(calls.at(-1)).toBe('GET runCommands/deploy-webapp-42 200');
      expect(h.arm.control.requests().at(-1)?.query.$expand).toBe('instanceView');
    });

    it('sends the artifact URL and secret-named parameters as protectedParameters, absent from a GET', async () => {
      const sas = 'https://st.blob.core.windows.net/releases/42.tar.gz?sv=2024-11-04&sig=c2VjcmV0';
      const deployer = createRunCommandDeployer(testClients(h.arm));
      await deployer.run(
        vmssVm('blue', 0),
        spec({ parameters: { ARTIFACT_URL: sas, VERSION: '42', API_TOKEN: 't0k', INSTALL_ROOT: '/opt/w' } }),
      );
      const put = h.arm.control.requests().find((r) => r.method === 'PUT')?.body as WireJson;
      expect(put.properties.parameters).toEqual([
        { name: 'VERSION', value: '42' },
        { name: 'INSTALL_ROOT', value: '/opt/w' },
      ]);
      expect(put.properties.protectedParameters).toEqual([
        { name: 'ARTIFACT_URL', value: sas },
        { name: 'API_TOKEN', value: 't0k' },
      ]);
      // The script still receives every parameter.
      expect(h.executor.calls[0]?.parameters).toEqual({
        ARTIFACT_URL: sas,
        VERSION: '42',
        API_TOKEN: 't0k',
        INSTALL_ROOT: '/opt/w',
      });
      const read = await rawRequest(
        h.arm,
        'GET',
        `${vmssVm('blue', 0).id}/runCommands/deploy-webapp-42?api-version=2026-04-01&$expand=instanceView`,
      );
      expect(read.status).toBe(200);
      expect(read.body.properties.parameters).toEqual([
        { name: 'VERSION', value: '42' },
        { name: 'INSTALL_ROOT', value: '/opt/w' },
      ]);
      expect(read.body.properties).not.toHaveProperty('protectedParameters');
      expect(JSON.stringify(read.body)).not.toContain('sig=');
      expect(JSON.stringify(read.body)).not.toContain('t0k');
    });

    it('names which parameters are protected', () => {
      for (const name of ['ARTIFACT_URL', 'DB_PASSWORD', 'api_token', 'CLIENT_SECRET', 'STORAGE_KEY', 'SAS'])
        expect(isProtectedParameter(name)).toBe(true);
      for (const name of ['VERSION', 'INSTALL_ROOT', 'HEALTH_VERSION_HEADER', 'KEYBOARD', 'ARTIFACT_AUTH'])
        expect(isProtectedParameter(name)).toBe(false);
    });

    it('waits while the command runs (LRO polled until the executor returns)', async () => {
      h.executor.hold();
      const deployer = createRunCommandDeployer(testClients(h.arm));
      const pending = deployer.run(vmssVm('blue', 0), spec());
      let polls = 0;
      while (polls < 3) {
        await new Promise((r) => setTimeout(r, 20));
        polls = h.arm.control.requests().filter((r) => r.path.includes('/operations/')).length;
      }
      h.executor.release();
      await expect(pending).resolves.toMatchObject({ exitCode: 0, succeeded: true });
      const statuses = h.arm.control.requests().filter((r) => r.path.includes('/operations/'));
      expect(statuses.length).toBeGreaterThanOrEqual(3);
    });

    it('reports a failing script as a result with its exit code and stderr tail, not as an error', async () => {
      h.executor.answer('vmss-webapp-blue_1', {
        exitCode: 3,
        stdout: 'downloading...',
        stderr: 'unpack failed: bad archive',
      });
      const deployer = createRunCommandDeployer(testClients(h.arm));
      const result = await deployer.run(vmssVm('blue', 1), spec());
      expect(result).toEqual({
        instance: 'vmss-webapp-blue_1',
        exitCode: 3,
        succeeded: false,
        outputTail:
          'downloading...\n[stderr]\nunpack failed: bad archive\n[Failed] Execution completed with exit code 3',
      });
    });

    it('uses the stand-in’s injected failure on chosen instances', async () => {
      h.arm.control.failRunCommands({
        instances: ['vmss-webapp-green_0'],
        exitCode: 21,
        stderr: 'health check failed',
      });
      const deployer = createRunCommandDeployer(testClients(h.arm));
      const [bad, good] = await Promise.all([
        deployer.run(vmssVm('green', 0), spec()),
        deployer.run(vmssVm('green', 1), spec()),
      ]);
      expect(bad).toMatchObject({ exitCode: 21, succeeded: false });
      expect(bad?.outputTail).toContain('health check failed');
      expect(good).toMatchObject({ exitCode: 0, succeeded: true });
    });

    it('is idempotent: a second run of the same name returns the first result without executing again', async () => {
      const deployer = createRunCommandDeployer(testClients(h.arm));
      const first = await deployer.run(vmssVm('green', 0), spec());
      const putsBefore = h.arm.control.requests().filter((r) => r.method === 'PUT').length;
      const second = await createRunCommandDeployer(testClients(h.arm)).run(vmssVm('green', 0), spec());
      expect(second).toEqual(first);
      expect(h.executor.calls).toHaveLength(1);
      expect(h.arm.control.requests().filter((r) => r.method === 'PUT').length).toBe(putsBefore);
    });

    it('joins a run still in progress (a retried activity) instead of starting another', async () => {
      h.executor.hold();
      const deployer = createRunCommandDeployer(testClients(h.arm));
      const first = deployer.run(vmssVm('blue', 1), spec());
      while (h.executor.calls.length === 0) await new Promise((r) => setTimeout(r, 10));
      const retried = createRunCommandDeployer(testClients(h.arm)).run(vmssVm('blue', 1), spec());
      await new Promise((r) => setTimeout(r, 100));
      h.executor.release();
      const [a, b] = await Promise.all([first, retried]);
      expect(a).toEqual(b);
      expect(h.executor.calls).toHaveLength(1);
      expect(h.arm.control.requests().filter((r) => r.method === 'PUT')).toHaveLength(1);
    });

    it('runs on standalone VMs too', async () => {
      const vm = h.arm.control.addVm({ name: 'vm-web-1', instanceName: 'fleet-vm-1' });
      const deployer = createRunCommandDeployer(testClients(h.arm));
      const result = await deployer.run({ id: vm.id, name: vm.name, kind: 'vm' }, spec());
      expect(result).toMatchObject({ instance: 'vm-web-1', exitCode: 0, succeeded: true });
      expect(h.executor.calls[0]?.instanceName).toBe('fleet-vm-1');
      expect(h.arm.control.requests().find((r) => r.method === 'PUT')?.path).toBe(
        `${vm.id}/runCommands/deploy-webapp-42`,
      );
    });

    it('fails with step, resource and cause for an instance that does not exist', async () => {
      const deployer = createRunCommandDeployer(testClients(h.arm));
      const ghost = vmssVm('blue', 9);
      await expect(deployer.run(ghost, spec())).rejects.toMatchObject({
        step: 'deploy',
        transient: false,
        cause: { statusCode: 404 },
      });
    });
  });

  describe('listRuns and prune', () => {
    const names = (slot: string, i: number): string[] =>
      h.arm.control
        .runCommands()
        .filter((r) => r.parentId.toLowerCase() === vmssVm(slot, i).id.toLowerCase())
        .map((r) => r.name)
        .sort();

    it('lists only the app’s runs, with their start times', async () => {
      const deployer = createRunCommandDeployer(testClients(h.arm));
      const inst = vmssVm('green', 0);
      await deployer.run(inst, spec({ runName: 'deploy-webapp-1' }));
      await deployer.run(inst, spec({ runName: 'someone-elses' }));
      const runs = await deployer.listRuns(inst);
      expect(runs.map((r) => r.name)).toEqual(['deploy-webapp-1']);
      expect(Number.isNaN(Date.parse(runs[0]?.startedAt ?? ''))).toBe(false);
      const list = h.arm.control.requests().at(-1);
      expect(list?.path).toBe(`${inst.id}/runCommands`);
      expect(list?.query.$expand).toBe('instanceView');
    });

    it('deletes the app’s runs except those kept, through the delete LRO, and leaves other run commands', async () => {
      const deployer = createRunCommandDeployer(testClients(h.arm));
      const inst = vmssVm('green', 1);
      for (const runName of ['deploy-webapp-1', 'deploy-webapp-2', 'deploy-webapp-3', 'customScript']) {
        await deployer.run(inst, spec({ runName }));
      }
      await deployer.run(vmssVm('green', 0), spec({ runName: 'deploy-webapp-1' }));
      expect(await deployer.prune(inst, ['DEPLOY-webapp-3', 'deploy-webapp-2'])).toBe(1);
      expect(names('green', 1)).toEqual(['customScript', 'deploy-webapp-2', 'deploy-webapp-3']);
      // Another instance is untouched.
      expect(names('green', 0)).toEqual(['deploy-webapp-1']);
      const calls = h.arm.control
        .requests()
        .map((r) => `${r.method} ${r.path.split('/').slice(-2).join('/')} ${r.status}`);
      expect(calls).toContain('DELETE runCommands/deploy-webapp-1 202');
      // ARM's own list agrees: the deletion is state, not only a response.
      expect(await deployer.listRuns(inst)).toHaveLength(2);
    });

    it('is idempotent: a second prune deletes nothing, a run already gone counts as done', async () => {
      const deployer = createRunCommandDeployer(testClients(h.arm));
      const inst = vmssVm('blue', 0);
      await deployer.run(inst, spec({ runName: 'deploy-webapp-1' }));
      await deployer.run(inst, spec({ runName: 'deploy-webapp-2' }));
      expect(await deployer.prune(inst, ['deploy-webapp-2'])).toBe(1);
      expect(await deployer.prune(inst, ['deploy-webapp-2'])).toBe(0);
      // A DELETE of a run command that is no longer there: 204, which the SDK's poller takes as done.
      const gone = await rawRequest(
        h.arm,
        'DELETE',
        `${inst.id}/runCommands/deploy-webapp-1?api-version=2026-04-01`,
      );
      expect(gone.status).toBe(204);
      expect(names('blue', 0)).toEqual(['deploy-webapp-2']);
    });

    it('takes a 404 on delete (deleted meanwhile) as done, and reports other delete failures', async () => {
      const deployer = createRunCommandDeployer(testClients(h.arm));
      const inst = vmssVm('blue', 1);
      await deployer.run(inst, spec({ runName: 'deploy-webapp-1' }));
      await deployer.run(inst, spec({ runName: 'deploy-webapp-2' }));
      h.arm.control.addFault({
        method: 'DELETE',
        path: 'deploy-webapp-1$',
        status: 404,
        errorCode: 'NotFound',
      });
      expect(await deployer.prune(inst, ['deploy-webapp-2'])).toBe(1);
      h.arm.control.addFault({
        method: 'DELETE',
        path: 'deploy-webapp-1$',
        status: 403,
        errorCode: 'AuthorizationFailed',
      });
      await expect(deployer.prune(inst, ['deploy-webapp-2'])).rejects.toMatchObject({
        step: 'prune-run-commands',
        resource: `${inst.id}/runCommands/deploy-webapp-1`,
        transient: false,
        cause: { statusCode: 403, code: 'AuthorizationFailed' },
      });
    });

    it('prunes on standalone VMs too', async () => {
      const vm = h.arm.control.addVm({ name: 'vm-web-1' });
      const inst: InstanceRef = { id: vm.id, name: vm.name, kind: 'vm' };
      const deployer = createRunCommandDeployer(testClients(h.arm));
      await deployer.run(inst, spec({ runName: 'deploy-webapp-1' }));
      await deployer.run(inst, spec({ runName: 'deploy-webapp-2' }));
      expect(await deployer.prune(inst, ['deploy-webapp-2'])).toBe(1);
      expect((await deployer.listRuns(inst)).map((r) => r.name)).toEqual(['deploy-webapp-2']);
    });

    it('fails with step, resource and cause for an instance that does not exist', async () => {
      const deployer = createRunCommandDeployer(testClients(h.arm));
      const ghost = vmssVm('blue', 9);
      await expect(deployer.prune(ghost, [])).rejects.toMatchObject({
        step: 'prune-run-commands',
        resource: `${ghost.id}/runCommands`,
        cause: { statusCode: 404 },
      });
    });
  });

  it('keeps the last characters of stdout and stderr', () => {
    expect(outputTail('a'.repeat(1000), undefined)).toHaveLength(800);
    expect(outputTail('out\n', 'err\n')).toBe('out\n[stderr]\nerr');
    expect(outputTail(undefined, undefined)).toBe('');
  });
});
