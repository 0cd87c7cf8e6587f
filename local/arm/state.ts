/** The ARM stand-in's world: resources as ARM returns them, seeded from the fleet and persisted atomically. */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FleetTopology } from '../contracts';

/** A Traffic Manager endpoint as ARM returns it. */
export interface EndpointResource {
  id: string;
  name: string;
  type: string;
  properties: Record<string, unknown> & { endpointStatus?: string; target?: string; priority?: number };
}

/** A Traffic Manager profile as ARM returns it (endpoints included). */
export interface ProfileResource {
  id: string;
  name: string;
  type: string;
  location: string;
  tags: Record<string, string>;
  properties: Record<string, unknown> & { endpoints: EndpointResource[] };
}

/** A standalone VM; `instanceName` is the fleet instance a run command on it executes on. */
export interface VmRecord {
  id: string;
  name: string;
  resourceGroup: string;
  location: string;
  tags: Record<string, string>;
  vmId: string;
  instanceName: string;
  /** Private IP of its NIC (the fleet instance's loopback address), when known. */
  address?: string;
}

/** A scale set and its instances. */
export interface ScaleSetRecord {
  id: string;
  name: string;
  resourceGroup: string;
  location: string;
  tags: Record<string, string>;
  uniqueId: string;
  /** `address`: private IP of the instance's NIC, the fleet instance's own loopback address. */
  instances: { instanceId: string; name: string; vmId: string; instanceName: string; address?: string }[];
}

/** Execution view of a managed run command (what `$expand=instanceView` returns). */
export interface RunCommandInstanceView {
  executionState: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'TimedOut' | 'Canceled' | 'Unknown';
  executionMessage?: string;
  exitCode?: number;
  output?: string;
  error?: string;
  startTime?: string;
  endTime?: string;
}

/** A managed run command on a VM or a scale-set VM. */
export interface RunCommandRecord {
  id: string;
  name: string;
  location: string;
  /** ARM ID of the VM or scale-set VM it runs on. */
  parentId: string;
  instanceName: string;
  tags?: Record<string, string>;
  /** The properties the client sent (source, parameters, timeoutInSeconds, ...). */
  properties: Record<string, unknown>;
  provisioningState: 'Creating' | 'Updating' | 'Succeeded' | 'Failed';
  instanceView: RunCommandInstanceView;
  /** Id of the async operation tracking the latest execution. */
  operationId: string;
  /** How many times the script was executed (tests assert idempotency with it). */
  executions: number;
}

/** An async operation of the `runCommand` action (POST), polled through Azure-AsyncOperation / Location. */
export interface ActionOperationRecord {
  id: string;
  location: string;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  /** ARM ID of the VM or scale-set VM the operation acts on (RBAC authorizes its status read by it). */
  resourceId?: string;
  startTime: string;
  endTime?: string;
  result?: { value: { code: string; level: string; displayStatus: string; message: string }[] };
}

/** An alert as Microsoft.AlertsManagement/alerts returns it. */
export interface AlertRecord {
  id: string;
  name: string;
  type: string;
  properties: {
    essentials: Record<string, unknown> & {
      severity: string;
      alertState: string;
      monitorCondition: string;
      targetResource: string;
      alertRule: string;
      startDateTime: string;
      lastModifiedDateTime: string;
      monitorConditionResolvedDateTime?: string;
    };
    context?: Record<string, unknown>;
  };
}

/** An Azure Front Door (Standard/Premium) origin as Microsoft.Cdn returns it. */
export interface AfdOriginResource {
  id: string;
  name: string;
  type: string;
  properties: Record<string, unknown> & {
    hostName?: string;
    enabledState?: string;
    provisioningState?: string;
    deploymentStatus?: string;
    originGroupName?: string;
  };
}

/** An origin group and its origins, with the edge deployments its writes started. */
export interface AfdOriginGroupRecord {
  id: string;
  name: string;
  type: string;
  profileName: string;
  properties: Record<string, unknown>;
  origins: AfdOriginResource[];
  /**
   * Configuration deployments to the edge, oldest first: each write queues one, effective `effectiveAtMs`
   * (epoch ms). The edge serves the newest one already effective; the first is the seeded state.
   */
  deployments: AfdDeployment[];
}

/** One queued configuration deployment of an origin group: the origins' enabled states it carries. */
export interface AfdDeployment {
  seq: number;
  submittedAtMs: number;
  effectiveAtMs: number;
  /** Origins whose write queued it. */
  changed: string[];
  /** `enabledState` per origin name, as the write left them. */
  enabledStates: Record<string, string>;
}

/** An Azure Front Door profile (Standard/Premium). */
export interface AfdProfileRecord {
  id: string;
  name: string;
  resourceGroup: string;
  sku: 'Standard_AzureFrontDoor' | 'Premium_AzureFrontDoor';
}

/** An async operation of a Front Door write (`Azure-AsyncOperation`). */
export interface AfdOperationRecord {
  id: string;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  /** ARM ID of the origin written. */
  resourceId: string;
  startTime: string;
  endTime?: string;
}

/** Everything the stand-in persists. */
export interface ArmWorld {
  version: 1;
  subscriptionId: string;
  /** Resource groups that exist (requests to others get ResourceGroupNotFound). */
  resourceGroups: string[];
  /** Keys are lower-cased ARM IDs: ARM IDs compare case-insensitively. */
  profiles: Record<string, ProfileResource>;
  vms: Record<string, VmRecord>;
  scaleSets: Record<string, ScaleSetRecord>;
  runCommands: Record<string, RunCommandRecord>;
  actionOperations: Record<string, ActionOperationRecord>;
  alerts: Record<string, AlertRecord>;
  /** Front Door profiles, origin groups (with origins) and write operations; absent in older state files. */
  frontDoor?: {
    profiles: Record<string, AfdProfileRecord>;
    originGroups: Record<string, AfdOriginGroupRecord>;
    operations: Record<string, AfdOperationRecord>;
  };
}

/** Lower-cased key of an ARM ID. */
export const key = (id: string): string => id.toLowerCase();

/** ARM ID of a resource group. */
export const rgId = (sub: string, rg: string): string => `/subscriptions/${sub}/resourceGroups/${rg}`;

/** Deterministic GUID-shaped id from a string, so seeded resources keep their ids across restarts. */
export function stableGuid(seed: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < seed.length; i++) {
    h1 = Math.imul(h1 ^ seed.charCodeAt(i), 16777619) >>> 0;
    h2 = Math.imul(h2 ^ seed.charCodeAt(i), 2246822519) >>> 0;
  }
  const hex = (h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0')).repeat(2);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Builds a profile resource with ARM's shape; endpoints are given as (name, type, status, target, priority). */
export function buildProfile(
  sub: string,
  rg: string,
  name: string,
  endpoints: {
    name: string;
    type: string;
    status: 'Enabled' | 'Disabled';
    target: string;
    priority: number;
  }[],
  options: { ttl?: number; monitorPath?: string; monitorPort?: number } = {},
): ProfileResource {
  const id = `${rgId(sub, rg)}/providers/Microsoft.Network/trafficManagerProfiles/${name}`;
  return {
    id,
    name,
    type: 'Microsoft.Network/trafficManagerProfiles',
    location: 'global',
    tags: {},
    properties: {
      profileStatus: 'Enabled',
      trafficRoutingMethod: 'Priority',
      dnsConfig: { relativeName: name, fqdn: `${name}.trafficmanager.net`, ttl: options.ttl ?? 30 },
      monitorConfig: {
        profileMonitorStatus: 'Online',
        protocol: 'HTTP',
        port: options.monitorPort ?? 80,
        path: options.monitorPath ?? '/health',
        intervalInSeconds: 30,
        toleratedNumberOfFailures: 3,
        timeoutInSeconds: 10,
      },
      endpoints: endpoints.map((e) => ({
        id: `${id}/${e.type}/${e.name}`,
        name: e.name,
        type: `Microsoft.Network/trafficManagerProfiles/${e.type}`,
        properties: {
          endpointStatus: e.status,
          endpointMonitorStatus: e.status === 'Enabled' ? 'Online' : 'Disabled',
          target: e.target,
          weight: 1,
          priority: e.priority,
          ...(e.type === 'externalEndpoints' ? { endpointLocation: 'West Europe' } : {}),
        },
      })),
      trafficViewEnrollmentStatus: 'Disabled',
    },
  };
}

/** An empty world for a subscription. */
export function emptyWorld(subscriptionId: string): ArmWorld {
  return {
    version: 1,
    subscriptionId,
    resourceGroups: [],
    profiles: {},
    vms: {},
    scaleSets: {},
    runCommands: {},
    actionOperations: {},
    alerts: {},
  };
}

/**
 * Adds what the topology describes and the world lacks. Endpoint status is never reset (a restart keeps which
 * slot serves traffic); endpoint targets follow the topology (the fleet owns the addresses).
 */
export function reconcileTopology(world: ArmWorld, topology: FleetTopology, location: string): void {
  const sub = topology.subscriptionId;
  const rg = topology.resourceGroup;
  for (const slot of topology.slots) {
    const vmssId = `${rgId(sub, rg)}/providers/Microsoft.Compute/virtualMachineScaleSets/${slot.vmssName}`;
    const existing = world.scaleSets[key(vmssId)];
    const set: ScaleSetRecord = existing ?? {
      id: vmssId,
      name: slot.vmssName,
      resourceGroup: rg,
      location,
      tags: { slot: slot.name },
      uniqueId: stableGuid(vmssId),
      instances: [],
    };
    for (const inst of slot.instances) {
      const known = set.instances.find((i) => i.instanceId === inst.instanceId);
      // The fleet owns the addresses: a world saved before they were recorded learns them here.
      if (known) known.address = inst.address;
      if (!known) {
        set.instances.push({
          instanceId: inst.instanceId,
          name: `${slot.vmssName}_${inst.instanceId}`,
          vmId: stableGuid(`${vmssId}/${inst.instanceId}`),
          instanceName: inst.name,
          address: inst.address,
        });
      }
    }
    world.scaleSets[key(vmssId)] = set;
  }
  const profileId = `${rgId(sub, rg)}/providers/Microsoft.Network/trafficManagerProfiles/${topology.profileName}`;
  const profile = world.profiles[key(profileId)];
  if (!world.resourceGroups.some((r) => r.toLowerCase() === rg.toLowerCase())) world.resourceGroups.push(rg);
  if (!profile) {
    // `blue` serves traffic at first start (the fleet); any other topology starts on its first slot.
    const enabledIndex = Math.max(
      0,
      topology.slots.findIndex((s) => s.name === 'blue'),
    );
    world.profiles[key(profileId)] = buildProfile(
      sub,
      rg,
      topology.profileName,
      topology.slots.map((s, i) => ({
        name: s.name,
        type: 'externalEndpoints',
        status: i === enabledIndex ? 'Enabled' : 'Disabled',
        target: s.endpointTarget,
        priority: i + 1,
      })),
      { monitorPort: topology.slots[0]?.port },
    );
  } else {
    for (const slot of topology.slots) {
      const ep = profile.properties.endpoints.find((e) => e.name.toLowerCase() === slot.name.toLowerCase());
      if (ep) ep.properties.target = slot.endpointTarget;
    }
  }
}

/** Loads and saves the world as one JSON file, written to a temp file and renamed (atomic on POSIX). */
export class WorldStore {
  readonly file: string;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.file = join(dataDir, 'arm-state.json');
  }

  load(): ArmWorld | undefined {
    if (!existsSync(this.file)) return undefined;
    const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as ArmWorld;
    if (parsed.version !== 1) throw new Error(`ARM stand-in: unsupported state file version in ${this.file}`);
    return parsed;
  }

  save(world: ArmWorld): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(world, null, 1));
    renameSync(tmp, this.file);
  }
}
