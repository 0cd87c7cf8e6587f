/** Deployer over @azure/arm-compute 25: lists a slot's instances and runs the deploy script as a managed run command. */
import type { VirtualMachineRunCommand, VirtualMachineRunCommandInstanceView } from '@azure/arm-compute';
import type { InstanceRef, RunResult, SlotCompute } from '../../core/domain';
import { StepError } from '../../core/errors';
import type { Deployer, RunCommandInfo, RunCommandSpec } from '../../core/ports/deployer';
import { isAppRunName } from '../../core/ports/deployer';
import { expectArmId, parseArmId } from './armId';
import type { AzureClients } from './clients';
import { armCall, armCause } from './errors';
import { createNicReader } from './network';

/** Characters of stdout + stderr kept in a RunResult. */
export const OUTPUT_TAIL_CHARS = 800;

const FINISHED = new Set(['succeeded', 'failed', 'timedout', 'canceled']);

/** Parameter names whose values may carry a secret (the package URL can hold a SAS token). */
const SECRET_NAME = /^ARTIFACT_URL$|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|(^|_)SAS($|_)|(^|_)KEY$/i;

/**
 * True when a script parameter travels as a run command `protectedParameters` entry: ARM never returns those
 * in a GET, while `parameters` are readable by anyone with read on the run command. The script receives both
 * alike (environment variables on Linux, named script parameters on Windows).
 */
export function isProtectedParameter(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** Splits the script's parameters into the run command's plain and protected lists. */
export function runCommandParameters(parameters: Record<string, string>): {
  parameters: { name: string; value: string }[];
  protectedParameters: { name: string; value: string }[];
} {
  const entries = Object.entries(parameters).map(([name, value]) => ({ name, value }));
  return {
    parameters: entries.filter((p) => !isProtectedParameter(p.name)),
    protectedParameters: entries.filter((p) => isProtectedParameter(p.name)),
  };
}

/** Where a run command lives: on a VM or on a scale-set VM. */
type Target =
  | { kind: 'vm'; subscriptionId: string; resourceGroup: string; vmName: string }
  | { kind: 'vmssVm'; subscriptionId: string; resourceGroup: string; vmssName: string; instanceId: string };

function targetOf(instance: InstanceRef, step = 'deploy'): Target {
  try {
    const p = parseArmId(instance.id);
    const types = p.path.map(([t]) => t.toLowerCase()).join('/');
    if (p.provider.toLowerCase() === 'microsoft.compute' && types === 'virtualmachines') {
      return {
        kind: 'vm',
        subscriptionId: p.subscriptionId,
        resourceGroup: p.resourceGroup,
        vmName: p.path[0]?.[1] ?? '',
      };
    }
    if (
      p.provider.toLowerCase() === 'microsoft.compute' &&
      types === 'virtualmachinescalesets/virtualmachines'
    ) {
      return {
        kind: 'vmssVm',
        subscriptionId: p.subscriptionId,
        resourceGroup: p.resourceGroup,
        vmssName: p.path[0]?.[1] ?? '',
        instanceId: p.path[1]?.[1] ?? '',
      };
    }
    throw new Error(`'${instance.id}' is neither a VM nor a scale-set VM resource ID`);
  } catch (err) {
    throw new StepError({ step, resource: instance.id, cause: err, transient: false });
  }
}

/** Step name of run command clean-up errors. */
export const PRUNE_STEP = 'prune-run-commands';

/** Last `max` characters of stdout and stderr together. */
export function outputTail(
  output: string | undefined,
  error: string | undefined,
  max = OUTPUT_TAIL_CHARS,
): string {
  const out = (output ?? '').trimEnd();
  const err = (error ?? '').trimEnd();
  const text = err ? `${out}${out ? '\n' : ''}[stderr]\n${err}` : out;
  return text.length > max ? text.slice(-max) : text;
}

function toResult(instance: InstanceRef, view: VirtualMachineRunCommandInstanceView | undefined): RunResult {
  const state = (view?.executionState ?? 'Unknown').toLowerCase();
  const exitCode = typeof view?.exitCode === 'number' ? view.exitCode : -1;
  const message =
    state === 'succeeded' || !view?.executionMessage
      ? ''
      : `\n[${view.executionState}] ${view.executionMessage}`;
  return {
    instance: instance.name,
    exitCode,
    succeeded: state === 'succeeded' && exitCode === 0,
    outputTail: outputTail(view?.output, `${view?.error ?? ''}${message}`.trim() || undefined),
  };
}

/** Parses a configured ID; a malformed one is a configuration error, never retried. */
function parsedOrStepError<T>(step: string, resource: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new StepError({ step, resource, cause: err, transient: false });
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Options of the deployer. */
export interface RunCommandDeployerOptions {
  /** Extra wait beyond the script's own timeout before giving up on a run (s). Default 300. */
  graceSeconds?: number;
}

/** Builds the Deployer. `run` is idempotent: a run command of the same name is read back, never run twice. */
export function createRunCommandDeployer(
  clients: AzureClients,
  options: RunCommandDeployerOptions = {},
): Deployer {
  const graceSeconds = options.graceSeconds ?? 300;
  const locations = new Map<string, string>();
  const nics = createNicReader(clients);

  /** A VM's primary NIC address (verify probes it): the NIC marked primary, else the only one. */
  const vmAddress = async (
    profile: { networkInterfaces?: { id?: string; primary?: boolean }[] } | undefined,
  ): Promise<string | undefined> => {
    const refs = profile?.networkInterfaces ?? [];
    const nicId = (refs.find((n) => n.primary) ?? refs[0])?.id;
    if (!nicId) return undefined;
    return armCall('list-instances', nicId, () => nics.nicAddress(nicId));
  };

  const getRun = async (t: Target, runName: string): Promise<VirtualMachineRunCommand | undefined> => {
    const compute = clients.compute(t.subscriptionId);
    try {
      return t.kind === 'vm'
        ? await compute.virtualMachineRunCommands.getByVirtualMachine(t.resourceGroup, t.vmName, runName, {
            expand: 'instanceView',
          })
        : await compute.virtualMachineScaleSetVMRunCommands.get(
            t.resourceGroup,
            t.vmssName,
            t.instanceId,
            runName,
            {
              expand: 'instanceView',
            },
          );
    } catch (err) {
      if (armCause(err).statusCode === 404) return undefined;
      throw err;
    }
  };

  const locationOf = async (t: Target, instanceId: string): Promise<string> => {
    const known = locations.get(instanceId.toLowerCase());
    if (known) return known;
    const compute = clients.compute(t.subscriptionId);
    const resource =
      t.kind === 'vm'
        ? await compute.virtualMachines.get(t.resourceGroup, t.vmName)
        : await compute.virtualMachineScaleSetVMs.get(t.resourceGroup, t.vmssName, t.instanceId);
    const location = resource.location;
    if (!location) throw new Error(`${instanceId} has no location`);
    locations.set(instanceId.toLowerCase(), location);
    return location;
  };

  const listRuns = async (instance: InstanceRef): Promise<RunCommandInfo[]> => {
    const t = targetOf(instance, PRUNE_STEP);
    return armCall(PRUNE_STEP, `${instance.id}/runCommands`, async () => {
      const compute = clients.compute(t.subscriptionId);
      const pager =
        t.kind === 'vm'
          ? compute.virtualMachineRunCommands.listByVirtualMachine(t.resourceGroup, t.vmName, {
              expand: 'instanceView',
            })
          : compute.virtualMachineScaleSetVMRunCommands.list(t.resourceGroup, t.vmssName, t.instanceId, {
              expand: 'instanceView',
            });
      const out: RunCommandInfo[] = [];
      for await (const rc of pager) {
        // Only this app's runs: other run commands on the instance belong to someone else.
        if (!rc.name || !isAppRunName(rc.name)) continue;
        const started = rc.instanceView?.startTime;
        out.push({
          name: rc.name,
          ...(started ? { startedAt: new Date(started).toISOString() } : {}),
        });
      }
      return out;
    });
  };

  return {
    listRuns,

    async prune(instance: InstanceRef, keep: string[]): Promise<number> {
      const t = targetOf(instance, PRUNE_STEP);
      const kept = new Set(keep.map((k) => k.toLowerCase()));
      const doomed = (await listRuns(instance)).filter((r) => !kept.has(r.name.toLowerCase()));
      let deleted = 0;
      for (const { name } of doomed) {
        const resource = `${instance.id}/runCommands/${name}`;
        await armCall(PRUNE_STEP, resource, async () => {
          const compute = clients.compute(t.subscriptionId);
          const pollOptions = { updateIntervalInMs: clients.lroPollIntervalMs };
          try {
            await (
              t.kind === 'vm'
                ? compute.virtualMachineRunCommands.delete(t.resourceGroup, t.vmName, name, pollOptions)
                : compute.virtualMachineScaleSetVMRunCommands.delete(
                    t.resourceGroup,
                    t.vmssName,
                    t.instanceId,
                    name,
                    pollOptions,
                  )
            ).pollUntilDone();
          } catch (err) {
            // Already gone (a retried activity, a concurrent prune): the goal is reached all the same.
            if (armCause(err).statusCode !== 404) throw err;
          }
        });
        deleted += 1;
      }
      return deleted;
    },

    async listInstances(compute: SlotCompute): Promise<InstanceRef[]> {
      switch (compute.kind) {
        case 'vmss': {
          const resource = compute.resourceId;
          const id = parsedOrStepError('list-instances', resource, () =>
            expectArmId(resource, 'Microsoft.Compute', ['virtualMachineScaleSets']),
          );
          return armCall('list-instances', resource, async () => {
            const out: InstanceRef[] = [];
            const pager = clients
              .compute(id.subscriptionId)
              .virtualMachineScaleSetVMs.list(id.resourceGroup, id.path[0]?.[1] ?? '');
            for await (const vm of pager) {
              // An instance being deleted cannot take a deploy; it will not serve traffic either.
              if (vm.provisioningState?.toLowerCase() === 'deleting') continue;
              if (vm.id && vm.name) out.push({ id: vm.id, name: vm.name, kind: 'vmssVm' });
            }
            // One call for the whole scale set: each NIC names the scale set VM it belongs to.
            const addresses = await armCall('list-instances', `${resource}/networkInterfaces`, () =>
              nics.scaleSetAddresses(resource),
            );
            for (const ref of out) {
              const address = addresses.get(ref.id.toLowerCase());
              if (address) ref.address = address;
            }
            return out.sort((a, b) => a.name.localeCompare(b.name));
          });
        }
        case 'vms': {
          const out: InstanceRef[] = [];
          for (const resource of compute.resourceIds) {
            const id = parsedOrStepError('list-instances', resource, () =>
              expectArmId(resource, 'Microsoft.Compute', ['virtualMachines']),
            );
            const vm = await armCall('list-instances', resource, () =>
              clients.compute(id.subscriptionId).virtualMachines.get(id.resourceGroup, id.path[0]?.[1] ?? ''),
            );
            const address = await vmAddress(vm.networkProfile);
            out.push({
              id: vm.id ?? resource,
              name: vm.name ?? id.path[0]?.[1] ?? resource,
              kind: 'vm',
              ...(address ? { address } : {}),
            });
          }
          return out;
        }
        case 'vmTag': {
          const resource = compute.resourceGroupId;
          const id = parsedOrStepError('list-instances', resource, () => {
            const parsed = parseArmId(resource);
            if (parsed.path.length > 0) throw new Error(`'${resource}' is not a resource group ID`);
            return parsed;
          });
          const tagName = compute.tagName.toLowerCase();
          return armCall('list-instances', resource, async () => {
            const out: InstanceRef[] = [];
            for await (const vm of clients
              .compute(id.subscriptionId)
              .virtualMachines.list(id.resourceGroup)) {
              // Tag names are case-insensitive in Azure, values are not.
              const match = Object.entries(vm.tags ?? {}).some(
                ([k, v]) => k.toLowerCase() === tagName && v === compute.tagValue,
              );
              if (!match || !vm.id || !vm.name) continue;
              const address = await vmAddress(vm.networkProfile);
              out.push({ id: vm.id, name: vm.name, kind: 'vm', ...(address ? { address } : {}) });
            }
            return out.sort((a, b) => a.name.localeCompare(b.name));
          });
        }
      }
    },

    async run(instance: InstanceRef, spec: RunCommandSpec): Promise<RunResult> {
      const t = targetOf(instance);
      const resource = `${instance.id}/runCommands/${spec.runName}`;
      const deadline = Date.now() + (spec.timeoutSeconds + graceSeconds) * 1000;

      // GET first: Durable runs activities at least once, and a retried activity must not deploy twice.
      let existing = await armCall('deploy', resource, () => getRun(t, spec.runName));
      if (existing) {
        while (!FINISHED.has((existing.instanceView?.executionState ?? '').toLowerCase())) {
          if (Date.now() > deadline) {
            throw new StepError({
              step: 'deploy',
              resource,
              cause: `run command still ${existing.instanceView?.executionState ?? 'unknown'} after ${spec.timeoutSeconds + graceSeconds} s`,
              transient: false,
            });
          }
          await sleep(clients.lroPollIntervalMs);
          existing = await armCall('deploy', resource, () => getRun(t, spec.runName));
          if (!existing) break; // deleted meanwhile: run it afresh
        }
        if (existing) return toResult(instance, existing.instanceView);
      }

      const location = await armCall('deploy', instance.id, () => locationOf(t, instance.id));
      const body: VirtualMachineRunCommand = {
        location,
        source: { script: spec.script },
        ...runCommandParameters(spec.parameters),
        timeoutInSeconds: spec.timeoutSeconds,
        asyncExecution: false,
        // The script's exit code is the result; a failing script must not look like a failed ARM deployment.
        treatFailureAsDeploymentFailure: false,
      };
      const abortSignal = AbortSignal.timeout(Math.max(1, deadline - Date.now()));
      const pollOptions = { updateIntervalInMs: clients.lroPollIntervalMs, abortSignal };
      await armCall('deploy', resource, () => {
        const compute = clients.compute(t.subscriptionId);
        return t.kind === 'vm'
          ? compute.virtualMachineRunCommands.beginCreateOrUpdateAndWait(
              t.resourceGroup,
              t.vmName,
              spec.runName,
              body,
              pollOptions,
            )
          : compute.virtualMachineScaleSetVMRunCommands.beginCreateOrUpdateAndWait(
              t.resourceGroup,
              t.vmssName,
              t.instanceId,
              spec.runName,
              body,
              pollOptions,
            );
      });
      const done = await armCall('deploy', resource, () => getRun(t, spec.runName));
      if (!done) {
        throw new StepError({
          step: 'deploy',
          resource,
          cause: 'run command vanished after it completed',
          transient: true,
        });
      }
      return toResult(instance, done.instanceView);
    },
  };
}
