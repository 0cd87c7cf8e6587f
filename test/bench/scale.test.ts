import { deployTimes } from '../../bench/scale';
import type { RequestLogEntry } from '../../local/arm';

const VMSS =
  '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-green';

function entry(seq: number, atMs: number, path: string): RequestLogEntry {
  return {
    seq,
    at: new Date(atMs).toISOString(),
    atMs,
    method: 'GET',
    path,
    query: {},
    status: 200,
    authorized: true,
    managedIdentityToken: true,
  };
}

describe('scale bench: the real fleet ideal from measured deploy times', () => {
  const runCommand = (parentId: string, name: string) =>
    ({ name, parentId }) as ReturnType<Parameters<typeof deployTimes>[0]['runCommands']>[number];

  it("spans each instance's first to last ARM request of the release's deploy, by its VM (case-insensitive)", () => {
    const log = [
      entry(1, 900, `${VMSS}/virtualMachines/1/runCommands/deploy-app-b6`), // an older release, before `since`
      entry(2, 1000, `${VMSS}/virtualMachines/1/runCommands/deploy-app-b7`),
      entry(3, 1010, `${VMSS}/virtualMachines/10/runCommands/deploy-app-b7`),
      entry(4, 1020, `${VMSS}/virtualMachines/1`), // the VM's location
      entry(5, 1500, '/subscriptions/s/providers/Microsoft.Compute/locations/westeurope/operations/op-1'),
      entry(6, 2900, `${VMSS.toUpperCase()}/virtualMachines/1/runCommands/deploy-app-b7`),
      entry(7, 3000, `${VMSS}/virtualMachines/1/runCommands`), // the prune lists the older ones
      entry(8, 4010, `${VMSS}/virtualMachines/10/runCommands/deploy-app-b7`),
      entry(9, 5000, `${VMSS}/virtualMachines/2/runCommands/deploy-app-b8`), // another release's instance
    ];
    const control = {
      runCommands: () => [
        runCommand(`${VMSS}/virtualMachines/1`, 'deploy-app-b7'),
        runCommand(`${VMSS}/virtualMachines/10`, 'deploy-app-b7'),
        runCommand(`${VMSS}/virtualMachines/2`, 'deploy-app-b8'),
      ],
      requests: (since = 0) => log.filter((e) => e.seq > since),
    };
    expect(deployTimes(control, 'app-b7', 1).sort((a, b) => a - b)).toEqual([2000, 3000]);
  });

  it('refuses to measure when the request log dropped entries of the run', () => {
    const control = {
      runCommands: () => [runCommand(`${VMSS}/virtualMachines/1`, 'deploy-app-b7')],
      requests: () => [entry(40, 1000, `${VMSS}/virtualMachines/1/runCommands/deploy-app-b7`)],
    };
    expect(() => deployTimes(control, 'app-b7', 10)).toThrow(
      "the ARM stand-in's request log dropped entries of release app-b7",
    );
  });
});
