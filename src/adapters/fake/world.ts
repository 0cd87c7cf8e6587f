import type { AlertScope, FiredAlert, InstanceRef, RunResult, SlotCompute } from '../../core/domain';
import type { AlertSource } from '../../core/ports/alerts';
import { isWithinScope } from '../../core/alerts/policy';
import type { Deployer, RunCommandInfo, RunCommandSpec } from '../../core/ports/deployer';
import { isAppRunName } from '../../core/ports/deployer';
import type { HealthProbe, ProbeResult } from '../../core/ports/health';
import type { NotificationKind, Notifier } from '../../core/ports/notifier';
import type { EndpointState, TrafficRouters } from '../../core/ports/traffic';
import { bindSwitch, type ProfileState, type TrafficSwitch } from '../traffic/router';
import type { ReleaseView } from '../../core/domain';

/** A fake slot: its endpoint, its instances and the version each one serves. */
export interface FakeSlot {
  name: string;
  enabled: boolean;
  /** Endpoint target; health URLs `http://<target>/...` reach this slot. */
  target: string;
  computeId: string;
  versions: Map<string, string>;
}

/** A recorded run of the deploy script. */
export interface FakeRun {
  instance: string;
  runName: string;
  parameters: Record<string, string>;
}

/**
 * An in-memory world behind every port: one profile with two slots, their instances and versions.
 * Deploys change what the slot serves, so health checks see the deployed version like the real thing.
 */
export class FakeWorld {
  readonly profileId: string;
  readonly slots: FakeSlot[];
  /** Scripted failures: instance name → exit code. */
  readonly failInstances = new Map<string, number>();
  /** Scripted output tails: instance name → what its run printed (default `deployed` / `failed with N`). */
  readonly outputTails = new Map<string, string>();
  readonly runs: FakeRun[] = [];
  /** Recorded prunes: instance, the names kept, the names deleted. */
  readonly prunes: { instance: string; keep: string[]; deleted: string[] }[] = [];
  /** Scripted prune failure (thrown by `prune`), to check that a deploy survives it. */
  pruneError: Error | undefined;
  readonly writes: { endpoint: string; enabled: boolean }[] = [];
  readonly notifications: { kind: NotificationKind; release: ReleaseView }[] = [];
  firingAlerts: FiredAlert[] = [];
  /** Versions a slot reports regardless of deploys (to fail verification). */
  readonly healthOverride = new Map<string, ProbeResult>();
  /** What one instance answers on its own address regardless of deploys: instance name → probe result. */
  readonly instanceHealthOverride = new Map<string, ProbeResult>();
  /** Every URL probed, in order. */
  readonly probes: string[] = [];
  /** Awaited before each new deploy run: lets a test or a benchmark make deploys take time, or hold them. */
  beforeRun: ((instance: string) => Promise<void>) | undefined;
  /** Deploy runs in progress now, and the most ever at once. */
  running = 0;
  maxRunning = 0;
  /** Called before each endpoint write: lets a test change the profile concurrently or fail the call. */
  beforeWrite: ((endpoint: string, enabled: boolean) => void) | undefined;
  /** Called after each endpoint write took effect: lets a test lose the response of a write that happened. */
  afterWrite: ((endpoint: string, enabled: boolean) => void) | undefined;
  private readonly results = new Map<string, RunResult>();
  private readonly addresses = new Map<string, string>();
  private readonly byAddress = new Map<string, string>();

  constructor(options: {
    profileId: string;
    slots: { name: string; computeId: string; instances: number }[];
  }) {
    this.profileId = options.profileId;
    this.slots = options.slots.map((s, i) => ({
      name: s.name,
      enabled: i === 0,
      target: `${s.name}.example.test`,
      computeId: s.computeId,
      versions: new Map(
        Array.from({ length: s.instances }, (_, n) => [`${s.name}-vm${n}`, '1.0.0'] as const),
      ),
    }));
    this.slots.forEach((s, i) =>
      [...s.versions.keys()].forEach((name, n) => {
        // Spread over the third octet too, so a slot may hold more than 250 instances.
        const address = `10.${i}.${Math.floor(n / 250)}.${(n % 250) + 4}`;
        this.addresses.set(name, address);
        this.byAddress.set(address, name);
      }),
    );
  }

  slot(name: string): FakeSlot {
    const s = this.slots.find((x) => x.name === name);
    if (!s) throw new Error(`no fake slot ${name}`);
    return s;
  }

  /** Which slot is enabled, as a comma list (e.g. `blue`). */
  live(): string {
    return this.slots
      .filter((s) => s.enabled)
      .map((s) => s.name)
      .join(',');
  }

  readonly traffic: TrafficSwitch = {
    readProfile: async (profileId: string): Promise<ProfileState> => {
      if (profileId !== this.profileId) throw new Error(`fake: no profile ${profileId}`);
      return {
        profileId,
        endpoints: this.slots.map((s) => ({
          name: s.name,
          type: 'Microsoft.Network/trafficManagerProfiles/externalEndpoints',
          enabled: s.enabled,
          target: s.target,
        })),
      };
    },
    setEndpointEnabled: async (_profileId: string, endpoint: EndpointState, enabled: boolean) => {
      this.beforeWrite?.(endpoint.name, enabled);
      this.slot(endpoint.name).enabled = enabled;
      this.writes.push({ endpoint: endpoint.name, enabled });
      this.afterWrite?.(endpoint.name, enabled);
    },
  };

  /** The activities' traffic port over `traffic` (a target's traffic resource is this world's profile). */
  readonly routers: TrafficRouters = (traffic) => bindSwitch(this.traffic, traffic.resource, traffic);

  readonly deployer: Deployer = {
    listInstances: async (compute: SlotCompute): Promise<InstanceRef[]> => {
      const id =
        compute.kind === 'vmss' ? compute.resourceId : compute.kind === 'vms' ? compute.resourceIds[0] : '';
      const slot = this.slots.find((s) => s.computeId === id);
      if (!slot) throw new Error(`fake: no compute ${id}`);
      return [...slot.versions.keys()].map((name) => ({
        id: `${id}/virtualMachines/${name}`,
        name,
        kind: 'vmssVm',
        address: this.address(name),
      }));
    },
    run: async (instance: InstanceRef, spec: RunCommandSpec): Promise<RunResult> => {
      const key = `${instance.name}/${spec.runName}`;
      const earlier = this.results.get(key);
      if (earlier) return earlier; // idempotent by run name, like a managed run command
      this.runs.push({ instance: instance.name, runName: spec.runName, parameters: spec.parameters });
      if (this.beforeRun) {
        this.running++;
        this.maxRunning = Math.max(this.maxRunning, this.running);
        try {
          await this.beforeRun(instance.name);
        } finally {
          this.running--;
        }
      }
      const exit = this.failInstances.get(instance.name) ?? 0;
      if (exit === 0) {
        const slot = this.slots.find((s) => s.versions.has(instance.name))!;
        slot.versions.set(instance.name, spec.parameters.VERSION ?? 'unknown');
      }
      const result: RunResult = {
        instance: instance.name,
        exitCode: exit,
        succeeded: exit === 0,
        outputTail: this.outputTails.get(instance.name) ?? (exit === 0 ? 'deployed' : `failed with ${exit}`),
      };
      this.results.set(key, result);
      return result;
    },
    listRuns: async (instance: InstanceRef): Promise<RunCommandInfo[]> =>
      // Runs in creation order; the fake has no clock, so the order stands in for the start time.
      [...this.results.keys()]
        .filter((k) => k.startsWith(`${instance.name}/`))
        .map((k, i) => ({
          name: k.slice(instance.name.length + 1),
          startedAt: new Date(Date.UTC(2000, 0, 1, 0, 0, i)).toISOString(),
        }))
        .filter((r) => isAppRunName(r.name)),
    prune: async (instance: InstanceRef, keep: string[]): Promise<number> => {
      if (this.pruneError) throw this.pruneError;
      const kept = new Set(keep.map((k) => k.toLowerCase()));
      const deleted: string[] = [];
      for (const k of [...this.results.keys()]) {
        const name = k.slice(instance.name.length + 1);
        if (!k.startsWith(`${instance.name}/`) || !isAppRunName(name) || kept.has(name.toLowerCase()))
          continue;
        this.results.delete(k);
        deleted.push(name);
      }
      this.prunes.push({ instance: instance.name, keep, deleted });
      return deleted.length;
    },
  };

  /** The private address of an instance: `10.<slot>.<n / 250>.<n % 250 + 4>` (Azure keeps .1-.3 of a subnet). */
  address(instance: string): string {
    const found = this.addresses.get(instance);
    if (!found) throw new Error(`no fake instance ${instance}`);
    return found;
  }

  readonly health: HealthProbe = {
    probe: async (url: string): Promise<ProbeResult> => {
      this.probes.push(url);
      const name = this.byAddress.get(new URL(url).hostname);
      if (name) {
        const version = this.slots.find((s) => s.versions.has(name))!.versions.get(name)!;
        return this.instanceHealthOverride.get(name) ?? { ok: true, status: 200, version };
      }
      const slot = this.slots.find((s) => new URL(url).host === s.target);
      if (!slot) return { ok: false, error: `fake: nothing at ${url}` };
      const forced = this.healthOverride.get(slot.name);
      if (forced) return forced;
      // Like a load balancer in front of the slot: most answers come from the majority version.
      const counts = new Map<string, number>();
      for (const v of slot.versions.values()) counts.set(v, (counts.get(v) ?? 0) + 1);
      const [version] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]!;
      return { ok: true, status: 200, version };
    },
  };

  readonly alerts: AlertSource = {
    firing: async (scope: AlertScope) =>
      this.firingAlerts.filter((a) =>
        a.targetResourceIds.some((id) => scope.resourceIds.some((s) => isWithinScope(id, s))),
      ),
  };

  readonly notifier: Notifier = {
    notify: async (kind, release) => {
      this.notifications.push({ kind, release });
    },
  };
}
