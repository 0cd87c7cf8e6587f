/**
 * Private addresses of a slot's instances, read from Microsoft.Network: verify probes each instance there.
 * Plain REST over the shared ARM pipeline (retries, Retry-After, auth): @azure/arm-network is not worth its size
 * for two GETs.
 */
import { armGetJson } from './armGet';
import type { AzureClients } from './clients';

/**
 * Api-version of the scale set NIC operations (NetworkInterfaces_ListVirtualMachineScaleSetNetworkInterfaces):
 * they live under Microsoft.Compute/virtualMachineScaleSets and take only 2018-10-01 (vmssNetworkInterface.json).
 */
export const VMSS_NIC_API_VERSION = '2018-10-01';

/** Api-version of Microsoft.Network/networkInterfaces (a standalone VM's NIC). */
export const NIC_API_VERSION = '2024-05-01';

const MAX_PAGES = 100;

/** A NIC as ARM returns it: only what the address lookup reads. */
interface ApiNic {
  id?: string;
  properties?: {
    primary?: boolean;
    virtualMachine?: { id?: string };
    ipConfigurations?: { properties?: { primary?: boolean; privateIPAddress?: string } }[];
  };
}

/** The private IP of a NIC's primary IP configuration (the first one when none is marked primary). */
export function primaryAddress(nic: ApiNic): string | undefined {
  const configs = nic.properties?.ipConfigurations ?? [];
  const config = configs.find((c) => c.properties?.primary) ?? configs[0];
  return config?.properties?.privateIPAddress || undefined;
}

/** Reads NICs through the ARM pipeline. */
export interface NicReader {
  /** Scale set VM id (lower case) → private address of its primary NIC. */
  scaleSetAddresses(vmssId: string): Promise<Map<string, string>>;
  /** The private address of one NIC, by its id. */
  nicAddress(nicId: string): Promise<string | undefined>;
}

/** Builds the NIC reader. */
export function createNicReader(clients: AzureClients): NicReader {
  const getJson = (url: string): Promise<unknown> => armGetJson(clients, url);
  const url = (id: string, apiVersion: string, tail = ''): string => {
    const path = id
      .split('/')
      .filter(Boolean)
      .map((s) => encodeURIComponent(s))
      .join('/');
    return `${clients.armEndpoint}/${path}${tail}?api-version=${apiVersion}`;
  };

  return {
    async scaleSetAddresses(vmssId) {
      const out = new Map<string, string>();
      let next: string | undefined = url(vmssId, VMSS_NIC_API_VERSION, '/networkInterfaces');
      for (let page = 0; next && page < MAX_PAGES; page++) {
        const body = (await getJson(next)) as { value?: ApiNic[]; nextLink?: string };
        for (const nic of body.value ?? []) {
          const vm = nic.properties?.virtualMachine?.id?.toLowerCase();
          const address = primaryAddress(nic);
          // A VM with several NICs: the primary one carries the address its health endpoint listens on.
          if (vm && address && (nic.properties?.primary !== false || !out.has(vm))) out.set(vm, address);
        }
        next = body.nextLink;
      }
      return out;
    },
    async nicAddress(nicId) {
      return primaryAddress((await getJson(url(nicId, NIC_API_VERSION))) as ApiNic);
    },
  };
}
