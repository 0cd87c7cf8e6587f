/**
 * Microsoft.Network network interfaces of the stand-in's VMs, as ARM returns them: what tells the app each
 * instance's private address (the fleet instance's own loopback address), which verify probes directly.
 * Two reads only: a scale set's NICs (NetworkInterfaces_ListVirtualMachineScaleSetNetworkInterfaces, under
 * Microsoft.Compute, api-version 2018-10-01 only) and one NIC by id (NetworkInterfaces_Get).
 */
import type { ScaleSetRecord, VmRecord } from './state';

/** The only api-version of the scale set NIC operations. */
export const VMSS_NIC_API_VERSIONS = ['2018-10-01'];

/** Api-versions of Microsoft.Network/networkInterfaces accepted. */
export const NIC_API_VERSIONS = ['2024-05-01', '2024-03-01', '2023-11-01', '2023-09-01', '2023-05-01'];

const NIC_TYPE = 'Microsoft.Network/networkInterfaces';

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
export function scaleSetNics(set: ScaleSetRecord): { value: Record<string, unknown>[] } {
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
  return `${rg}/providers/Microsoft.Network/networkInterfaces/${vm.name}-nic`;
}

/** The `networkProfile` of a VM resource: its NIC, when its address is known. */
export function vmNetworkProfile(vm: VmRecord): Record<string, unknown> | undefined {
  if (!vm.address) return undefined;
  return { networkInterfaces: [{ id: vmNicId(vm), properties: { primary: true } }] };
}

/** A standalone VM's NIC by id, or undefined when no VM has it. */
export function vmNic(vms: VmRecord[], nicId: string): Record<string, unknown> | undefined {
  const vm = vms.find((v) => v.address && vmNicId(v).toLowerCase() === nicId.toLowerCase());
  return vm ? nic(vmNicId(vm), vm.location, vm.id, vm.address!) : undefined;
}
