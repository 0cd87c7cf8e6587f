/**
 * Microsoft.Network network interfaces of the stand-in's VMs, as ARM returns them: they tell the app each
 * instance's private address (the fleet instance's own loopback address), which verify probes directly.
 * Two reads: a scale set's NICs (NetworkInterfaces_ListVirtualMachineScaleSetNetworkInterfaces, under the
 * Compute path, api-version 2018-10-01 only) and one NIC by id (NetworkInterfaces_Get).
 */
import type { ArmContext } from '../context';
import { armErrors } from '../errors';
import type { Route } from '../http';
import { sendJson } from '../http';
import type { ScaleSetRecord, VmRecord } from '../state';
import { key } from '../state';

/** The only api-version of the scale set NIC operations. */
export const VMSS_NIC_API_VERSIONS = ['2018-10-01'] as const;

/** Api-versions of Microsoft.Network/networkInterfaces accepted. */
export const NIC_API_VERSIONS = [
  '2024-05-01',
  '2024-03-01',
  '2023-11-01',
  '2023-09-01',
  '2023-05-01',
] as const;

const NIC_TYPE = 'Microsoft.Network/networkInterfaces';
const VMSS_TYPE = 'Microsoft.Compute/virtualMachineScaleSets';
const GROUP = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers';

function nic(id: string, location: string, vmId: string, address: string): Record<string, unknown> {
  return {
    name: id.split('/').pop(),
    id,
    type: NIC_TYPE,
    location,
    properties: {
      provisioningState: 'Succeeded',
      primary: true,
      virtualMachine: { id: vmId },
      ipConfigurations: [
        {
          name: 'ipconfig1',
          id: `${id}/ipConfigurations/ipconfig1`,
          properties: {
            provisioningState: 'Succeeded',
            privateIPAddress: address,
            privateIPAllocationMethod: 'Dynamic',
            privateIPAddressVersion: 'IPv4',
            primary: true,
          },
        },
      ],
      enableAcceleratedNetworking: false,
      enableIPForwarding: false,
    },
  };
}

/** The NICs of a scale set's VMs (one each, named after the scale set's NIC configuration). */
function scaleSetNics(set: ScaleSetRecord): { value: Record<string, unknown>[] } {
  return {
    value: set.instances
      .filter((i) => i.address)
      .map((i) => {
        const vmId = `${set.id}/virtualMachines/${i.instanceId}`;
        return nic(`${vmId}/networkInterfaces/${set.name}-nic`, set.location, vmId, i.address!);
      }),
  };
}

/** ARM ID of a standalone VM's NIC (`<vm>-nic` in the VM's resource group). */
export function vmNicId(vm: VmRecord): string {
  const rg = vm.id.slice(0, vm.id.toLowerCase().indexOf('/providers/'));
  return `${rg}/providers/${NIC_TYPE}/${vm.name}-nic`;
}

/** The `networkProfile` of a VM resource: its NIC, when its address is known. */
export function vmNetworkProfile(vm: VmRecord): Record<string, unknown> | undefined {
  if (!vm.address) return undefined;
  return { networkInterfaces: [{ id: vmNicId(vm), properties: { primary: true } }] };
}

/** Builds the module over the shared context. */
export function network(ctx: ArmContext): { routes: Route[] } {
  const { world } = ctx;
  const routes: Route[] = [
    {
      method: 'GET',
      pattern: `${GROUP}/${VMSS_TYPE}/{vmScaleSetName}/networkInterfaces`,
      apiVersions: VMSS_NIC_API_VERSIONS,
      action: `${VMSS_TYPE}/networkInterfaces/read`,
      handle: ({ res, params }) => {
        const rg = params.resourceGroupName ?? '';
        ctx.findRg(rg);
        const name = params.vmScaleSetName ?? '';
        const set = world.scaleSets[key(`${ctx.rgId(rg)}/providers/${VMSS_TYPE}/${name}`)];
        if (!set) throw armErrors.resourceNotFound(VMSS_TYPE, name, rg);
        sendJson(res, 200, scaleSetNics(set));
      },
    },
    {
      method: 'GET',
      pattern: `${GROUP}/${NIC_TYPE}/{networkInterfaceName}`,
      apiVersions: NIC_API_VERSIONS,
      action: `${NIC_TYPE}/read`,
      handle: ({ res, params }) => {
        const rg = params.resourceGroupName ?? '';
        ctx.findRg(rg);
        const name = params.networkInterfaceName ?? '';
        const id = `${ctx.rgId(rg)}/providers/${NIC_TYPE}/${name}`.toLowerCase();
        const vm = Object.values(world.vms).find((v) => v.address && vmNicId(v).toLowerCase() === id);
        if (!vm) throw armErrors.resourceNotFound(NIC_TYPE, name, rg);
        sendJson(res, 200, nic(vmNicId(vm), vm.location, vm.id, vm.address!));
      },
    },
  ];
  return { routes };
}
