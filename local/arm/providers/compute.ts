/**
 * Microsoft.Compute (@azure/arm-compute 25.1.1 → api-version 2026-04-01): VMs, scale sets and their VMs, managed
 * run commands, the `runCommand` action, and the async operations that track them (LROs).
 */
import { randomUUID } from 'node:crypto';
import type { RunCommandExecutor } from '../../contracts';
import type { ArmContext } from '../context';
import { nowIso } from '../context';
import { armErrors } from '../errors';
import type { FaultBook } from '../faults';
import type { Route, RouteRequest } from '../http';
import { isObject, sendJson } from '../http';
import type { RunCommandRecord, ScaleSetRecord, VmRecord } from '../state';
import { key, stableGuid } from '../state';
import { computeRefusal, RUN_COMMAND, RUN_COMMAND_INPUT, validateBody } from '../validate';
import { vmNetworkProfile } from './network';

/** Api-versions of Microsoft.Compute accepted (the SDK's first). */
export const COMPUTE_API_VERSIONS = [
  '2026-04-01',
  '2025-04-01',
  '2024-11-01',
  '2024-07-01',
  '2024-03-01',
  '2023-09-01',
  '2023-07-01',
] as const;

const VM_TYPE = 'Microsoft.Compute/virtualMachines';
const VMSS_TYPE = 'Microsoft.Compute/virtualMachineScaleSets';
const VMSS_VM_TYPE = 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines';
const GROUP =
  '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute';
const VM = `${GROUP}/virtualMachines/{vmName}`;
const VMSS_VM = `${GROUP}/virtualMachineScaleSets/{vmScaleSetName}/virtualMachines/{instanceId}`;

/** Add a standalone VM (the topology only seeds scale sets). */
export interface AddVmSpec {
  name: string;
  resourceGroup?: string;
  tags?: Record<string, string>;
  /** Fleet instance its run commands execute on; default the VM name. */
  instanceName?: string;
  /** Private IP of its NIC; without one the VM has no NIC to read. */
  address?: string;
}

/** The Compute module: routes, control operations, and the executions in flight. */
export interface ComputeModule {
  routes: Route[];
  addVm(spec: AddVmSpec): VmRecord;
  runCommands(): RunCommandRecord[];
  /** Runs again the executions a restart interrupted. */
  resumeInterrupted(): void;
  /** Settles when every execution in flight has recorded its outcome. */
  settled(): Promise<unknown>;
}

const EXPECTED_PARAMS_KEYS = [
  'source',
  'parameters',
  'protectedParameters',
  'asyncExecution',
  'runAsUser',
  'runAsPassword',
  'timeoutInSeconds',
  'outputBlobUri',
  'errorBlobUri',
  'treatFailureAsDeploymentFailure',
];

/** JSON with sorted keys, so two bodies with the same content compare equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The run command properties kept and compared (never the run-as password). */
function pickRunCommandProps(props: Record<string, unknown>): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const k of EXPECTED_PARAMS_KEYS)
    if (props[k] !== undefined && k !== 'runAsPassword') picked[k] = props[k];
  return picked;
}

/** Builds the module over the shared context. */
export function compute(ctx: ArmContext, executor: RunCommandExecutor, faults: FaultBook): ComputeModule {
  const { world, sub, location } = ctx;
  const apiVersions = COMPUTE_API_VERSIONS;

  const vmResource = (vm: VmRecord): Record<string, unknown> => ({
    id: vm.id,
    name: vm.name,
    type: VM_TYPE,
    location: vm.location,
    tags: vm.tags,
    properties: {
      vmId: vm.vmId,
      hardwareProfile: { vmSize: 'Standard_B1s' },
      storageProfile: { osDisk: { osType: 'Linux', name: `${vm.name}_OsDisk`, createOption: 'FromImage' } },
      osProfile: { computerName: vm.name, adminUsername: 'azureuser' },
      ...(vm.address ? { networkProfile: vmNetworkProfile(vm) } : {}),
      provisioningState: 'Succeeded',
    },
  });

  const vmssResource = (s: ScaleSetRecord): Record<string, unknown> => ({
    id: s.id,
    name: s.name,
    type: VMSS_TYPE,
    location: s.location,
    tags: s.tags,
    sku: { name: 'Standard_B1s', tier: 'Standard', capacity: s.instances.length },
    properties: {
      upgradePolicy: { mode: 'Manual' },
      orchestrationMode: 'Uniform',
      provisioningState: 'Succeeded',
      overprovision: false,
      uniqueId: s.uniqueId,
      singlePlacementGroup: true,
    },
  });

  const vmssVmResource = (
    s: ScaleSetRecord,
    inst: ScaleSetRecord['instances'][number],
  ): Record<string, unknown> => ({
    id: `${s.id}/virtualMachines/${inst.instanceId}`,
    name: inst.name,
    type: VMSS_VM_TYPE,
    location: s.location,
    tags: s.tags,
    instanceId: inst.instanceId,
    sku: { name: 'Standard_B1s', tier: 'Standard' },
    properties: {
      latestModelApplied: true,
      vmId: inst.vmId,
      hardwareProfile: { vmSize: 'Standard_B1s' },
      osProfile: { computerName: `${s.name}${inst.instanceId.padStart(6, '0')}`, adminUsername: 'azureuser' },
      provisioningState: 'Succeeded',
    },
  });

  const findVm = (rg: string, name: string): VmRecord => {
    ctx.findRg(rg);
    const vm = world.vms[key(`${ctx.rgId(rg)}/providers/${VM_TYPE}/${name}`)];
    if (!vm) throw armErrors.resourceNotFound(VM_TYPE, name, rg);
    return vm;
  };

  const findVmss = (rg: string, name: string): ScaleSetRecord => {
    ctx.findRg(rg);
    const s = world.scaleSets[key(`${ctx.rgId(rg)}/providers/${VMSS_TYPE}/${name}`)];
    if (!s) throw armErrors.resourceNotFound(VMSS_TYPE, name, rg);
    return s;
  };

  const findVmssVm = (rg: string, name: string, instanceId: string) => {
    const set = findVmss(rg, name);
    const inst = set.instances.find((i) => i.instanceId === instanceId);
    if (!inst) throw armErrors.resourceNotFound(VMSS_VM_TYPE, `${name}/${instanceId}`, rg);
    return { set, inst };
  };

  /** The VM or scale-set VM a run command route addresses: its ARM ID and fleet instance. */
  const runTarget = (params: Record<string, string>): { parentId: string; instanceName: string } => {
    const rg = params.resourceGroupName ?? '';
    if (params.vmName !== undefined) {
      const vm = findVm(rg, params.vmName);
      return { parentId: vm.id, instanceName: vm.instanceName };
    }
    const { set, inst } = findVmssVm(rg, params.vmScaleSetName ?? '', params.instanceId ?? '');
    return { parentId: `${set.id}/virtualMachines/${inst.instanceId}`, instanceName: inst.instanceName };
  };

  const runCommandResource = (rc: RunCommandRecord, expand: boolean): Record<string, unknown> => {
    // Protected parameters are write-only in ARM.
    const { protectedParameters: _hidden, ...visible } = rc.properties;
    return {
      id: rc.id,
      name: rc.name,
      type: rc.parentId.toLowerCase().includes('/virtualmachinescalesets/')
        ? `${VMSS_VM_TYPE}/runCommands`
        : `${VM_TYPE}/runCommands`,
      location: rc.location,
      ...(rc.tags ? { tags: rc.tags } : {}),
      properties: {
        ...visible,
        provisioningState: rc.provisioningState,
        ...(expand ? { instanceView: { ...rc.instanceView, statuses: [] } } : {}),
      },
    };
  };

  const opUrl = (host: string, opId: string, apiVersion: string, monitor = false): string =>
    `https://${host}/subscriptions/${sub}/providers/Microsoft.Compute/locations/${location}/operations/${opId}?${
      monitor ? 'monitor=true&' : ''
    }api-version=${apiVersion}`;

  // ---------- run command execution ----------

  const running = new Map<string, Promise<void>>();

  const execute = (rc: RunCommandRecord): void => {
    const rcKey = key(rc.id);
    rc.executions += 1;
    rc.operationId = randomUUID();
    rc.instanceView = { executionState: 'Running', executionMessage: '', startTime: nowIso() };
    const props = rc.properties;
    const source = isObject(props.source) ? props.source : {};
    const params: Record<string, string> = {};
    for (const list of [props.parameters, props.protectedParameters]) {
      if (Array.isArray(list)) {
        for (const p of list)
          if (isObject(p) && typeof p.name === 'string') params[p.name] = String(p.value ?? '');
      }
    }
    const timeoutSeconds =
      typeof props.timeoutInSeconds === 'number' && props.timeoutInSeconds > 0
        ? props.timeoutInSeconds
        : 5400;
    const operationId = rc.operationId;
    const treatFailure = props.treatFailureAsDeploymentFailure === true;

    const injected = faults.runCommandFailure(rc.instanceName);
    const work = injected
      ? Promise.resolve({
          exitCode: injected.exitCode,
          stdout: injected.stdout ?? '',
          stderr: injected.stderr ?? '',
          startedAt: rc.instanceView.startTime ?? nowIso(),
          endedAt: nowIso(),
        })
      : Promise.resolve().then(() =>
          executor.execute({
            resourceId: rc.parentId,
            instanceName: rc.instanceName,
            runName: rc.name,
            script: typeof source.script === 'string' ? source.script : '',
            parameters: params,
            timeoutSeconds,
          }),
        );

    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutSeconds * 1000);
      timer.unref();
    });

    const done = Promise.race([work, timedOut])
      .then(
        (outcome) => {
          const current = world.runCommands[rcKey];
          if (!current || current.operationId !== operationId) return; // superseded by a newer execution
          if (outcome === 'timeout') {
            current.instanceView = {
              ...current.instanceView,
              executionState: 'TimedOut',
              executionMessage: `Execution timed out after ${timeoutSeconds} seconds`,
              endTime: nowIso(),
            };
            current.provisioningState = treatFailure ? 'Failed' : 'Succeeded';
            return;
          }
          const ok = outcome.exitCode === 0;
          current.instanceView = {
            executionState: ok ? 'Succeeded' : 'Failed',
            executionMessage: ok ? '' : `Execution completed with exit code ${outcome.exitCode}`,
            exitCode: outcome.exitCode,
            output: outcome.stdout,
            error: outcome.stderr,
            startTime: outcome.startedAt || current.instanceView.startTime,
            endTime: outcome.endedAt || nowIso(),
          };
          current.provisioningState = !ok && treatFailure ? 'Failed' : 'Succeeded';
        },
        (err: unknown) => {
          const current = world.runCommands[rcKey];
          if (!current || current.operationId !== operationId) return;
          current.instanceView = {
            ...current.instanceView,
            executionState: 'Failed',
            executionMessage: `The executor failed: ${err instanceof Error ? err.message : String(err)}`,
            endTime: nowIso(),
          };
          current.provisioningState = treatFailure ? 'Failed' : 'Succeeded';
        },
      )
      .finally(() => {
        if (timer) clearTimeout(timer);
        running.delete(operationId);
        ctx.save();
      });
    running.set(operationId, done);
  };

  const putRunCommand = ({ res, params, body, host, apiVersion }: RouteRequest): void => {
    const { parentId, instanceName } = runTarget(params);
    const name = params.runCommandName ?? '';
    validateBody(body, RUN_COMMAND, computeRefusal);
    if (!isObject(body)) throw armErrors.invalidRequestContent();
    const props = isObject(body.properties) ? body.properties : {};
    const id = `${parentId}/runCommands/${name}`;
    const existing = world.runCommands[key(id)];
    const pollHeader = (rc: RunCommandRecord): Record<string, string> =>
      rc.provisioningState === 'Creating' || rc.provisioningState === 'Updating'
        ? { 'Azure-AsyncOperation': opUrl(host, rc.operationId, apiVersion) }
        : {};
    const picked = pickRunCommandProps(props);
    if (existing && canonical(existing.properties) === canonical(picked)) {
      // Same command again: ARM answers with the existing resource and does not run the script a second time.
      sendJson(res, 200, runCommandResource(existing, false), pollHeader(existing));
      return;
    }
    const rc: RunCommandRecord = {
      id,
      name,
      location: typeof body.location === 'string' ? body.location : location,
      parentId,
      instanceName,
      ...(isObject(body.tags) ? { tags: body.tags as Record<string, string> } : {}),
      properties: picked,
      provisioningState: existing ? 'Updating' : 'Creating',
      instanceView: { executionState: 'Pending' },
      operationId: '',
      executions: existing?.executions ?? 0,
    };
    world.runCommands[key(id)] = rc;
    execute(rc);
    ctx.save();
    sendJson(res, existing ? 200 : 201, runCommandResource(rc, false), pollHeader(rc));
  };

  const expandOf = (q: URLSearchParams): boolean => (q.get('$expand') ?? '').toLowerCase() === 'instanceview';

  const getRunCommand = ({ res, params, query }: RouteRequest): void => {
    const { parentId } = runTarget(params);
    const name = params.runCommandName ?? '';
    const rc = world.runCommands[key(`${parentId}/runCommands/${name}`)];
    if (!rc) throw armErrors.resourceNotFound('runCommands', name);
    sendJson(res, 200, runCommandResource(rc, expandOf(query)));
  };

  const listRunCommands = ({ res, params, query }: RouteRequest): void => {
    const { parentId } = runTarget(params);
    sendJson(res, 200, {
      value: Object.values(world.runCommands)
        .filter((rc) => rc.parentId.toLowerCase() === parentId.toLowerCase())
        .map((rc) => runCommandResource(rc, expandOf(query))),
    });
  };

  const deleteRunCommand = ({ res, params, host, apiVersion }: RouteRequest): void => {
    // VirtualMachineRunCommands_Delete / VirtualMachineScaleSetVMRunCommands_Delete answer 200, 202 or 204
    // (x-ms-long-running-operation): 204 when there is nothing to delete, else 202 with both poll headers, the
    // operation already finished (the stand-in deletes at once; an execution in flight finds its record gone).
    const { parentId } = runTarget(params);
    const k = key(`${parentId}/runCommands/${params.runCommandName ?? ''}`);
    if (world.runCommands[k] === undefined) {
      sendJson(res, 204, undefined);
      return;
    }
    delete world.runCommands[k];
    const opId = randomUUID();
    const now = nowIso();
    world.actionOperations[opId] = {
      id: opId,
      location,
      status: 'Succeeded',
      resourceId: parentId,
      startTime: now,
      endTime: now,
    };
    ctx.save();
    sendJson(res, 202, undefined, {
      'Azure-AsyncOperation': opUrl(host, opId, apiVersion),
      Location: opUrl(host, opId, apiVersion, true),
      'Retry-After': '1',
    });
  };

  const runCommandAction = ({ res, params, body, host, apiVersion }: RouteRequest): void => {
    const { parentId, instanceName } = runTarget(params);
    validateBody(body, RUN_COMMAND_INPUT, computeRefusal);
    if (!isObject(body) || typeof body.commandId !== 'string') throw armErrors.missingParameter('commandId');
    const opId = randomUUID();
    const op = {
      id: opId,
      location,
      status: 'InProgress' as const,
      resourceId: parentId,
      startTime: nowIso(),
    };
    world.actionOperations[opId] = op;
    const script = Array.isArray(body.script) ? body.script.map(String).join('\n') : '';
    const vars: Record<string, string> = {};
    if (Array.isArray(body.parameters)) {
      for (const p of body.parameters)
        if (isObject(p) && typeof p.name === 'string') vars[p.name] = String(p.value ?? '');
    }
    const injected = faults.runCommandFailure(instanceName);
    const work = injected
      ? Promise.resolve({
          exitCode: injected.exitCode,
          stdout: injected.stdout ?? '',
          stderr: injected.stderr ?? '',
        })
      : Promise.resolve().then(() =>
          executor.execute({
            resourceId: parentId,
            instanceName,
            runName: `runCommand-${opId}`,
            script,
            parameters: vars,
            timeoutSeconds: 5400,
          }),
        );
    void work
      .then(
        (o) => {
          // The action reports the script's output in one status message, as the Linux agent does.
          world.actionOperations[opId] = {
            ...op,
            status: 'Succeeded',
            endTime: nowIso(),
            result: {
              value: [
                {
                  code: 'ProvisioningState/succeeded',
                  level: 'Info',
                  displayStatus: 'Provisioning succeeded',
                  message: `Enable succeeded: \n[stdout]\n${o.stdout}\n[stderr]\n${o.stderr}\n[exitcode]\n${o.exitCode}`,
                },
              ],
            },
          };
        },
        () => {
          world.actionOperations[opId] = { ...op, status: 'Failed', endTime: nowIso() };
        },
      )
      .finally(ctx.save);
    ctx.save();
    sendJson(res, 202, undefined, {
      'Azure-AsyncOperation': opUrl(host, opId, apiVersion),
      Location: opUrl(host, opId, apiVersion, true),
      'Retry-After': '1',
    });
  };

  const getOperation = ({ res, params, query }: RouteRequest): void => {
    const opId = params.operationId ?? '';
    const monitor = query.get('monitor') === 'true';
    const action = world.actionOperations[opId];
    if (action) {
      if (monitor) {
        if (action.status === 'InProgress') sendJson(res, 202, undefined, { 'Retry-After': '1' });
        else sendJson(res, 200, action.result ?? { value: [] });
        return;
      }
      sendJson(res, 200, {
        name: opId,
        status: action.status,
        startTime: action.startTime,
        ...(action.endTime ? { endTime: action.endTime } : {}),
      });
      return;
    }
    const rc = Object.values(world.runCommands).find((r) => r.operationId === opId);
    if (!rc) throw armErrors.notFound(`The operation '${opId}' was not found.`);
    const inProgress = rc.provisioningState === 'Creating' || rc.provisioningState === 'Updating';
    const failed = rc.provisioningState === 'Failed';
    sendJson(res, 200, {
      name: opId,
      status: inProgress ? 'InProgress' : failed ? 'Failed' : 'Succeeded',
      startTime: rc.instanceView.startTime,
      ...(inProgress ? {} : { endTime: rc.instanceView.endTime }),
      ...(failed
        ? {
            error: {
              code: 'VMExtensionProvisioningError',
              message: `Run command ${rc.name} failed: ${rc.instanceView.executionMessage ?? ''}`,
            },
          }
        : {}),
    });
  };

  /**
   * Where ARM authorizes an operation status read. The URL names only the subscription and region; "Track
   * asynchronous Azure operations" (learn.microsoft.com/azure/azure-resource-manager/management/async-operations,
   * "Permission for tracking async status") says tracking needs permission at the resource group level, and that
   * permission at the resource alone lets you start the operation but not track it. So: the resource group of the
   * resource the operation acts on (a grant there or above counts, one on the resource does not); an operation
   * the stand-in does not know is authorized at the URL's own scope.
   */
  const operationScope = (opId: string, path: string): string => {
    const resourceId =
      world.actionOperations[opId]?.resourceId ??
      Object.values(world.runCommands).find((r) => r.operationId === opId)?.parentId;
    const rg = resourceId
      ? /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+/i.exec(resourceId)?.[0]
      : undefined;
    return rg ?? path;
  };

  /** The four run command operations and the action, on a VM or on a scale-set VM. */
  const runCommandRoutes = (parent: string, type: string): Route[] => [
    {
      method: 'GET',
      pattern: `${parent}/runCommands`,
      apiVersions,
      action: `${type}/runCommands/read`,
      handle: listRunCommands,
    },
    {
      method: 'GET',
      pattern: `${parent}/runCommands/{runCommandName}`,
      apiVersions,
      action: `${type}/runCommands/read`,
      handle: getRunCommand,
    },
    {
      method: 'PUT',
      pattern: `${parent}/runCommands/{runCommandName}`,
      apiVersions,
      action: `${type}/runCommands/write`,
      handle: putRunCommand,
    },
    {
      method: 'DELETE',
      pattern: `${parent}/runCommands/{runCommandName}`,
      apiVersions,
      action: `${type}/runCommands/delete`,
      handle: deleteRunCommand,
    },
    {
      method: 'POST',
      pattern: `${parent}/runCommand`,
      apiVersions,
      action: `${type}/runCommand/action`,
      handle: runCommandAction,
    },
  ];

  const routes: Route[] = [
    {
      method: 'GET',
      pattern:
        '/subscriptions/{subscriptionId}/providers/Microsoft.Compute/locations/{location}/operations/{operationId}',
      apiVersions,
      action: 'Microsoft.Compute/locations/operations/read',
      scope: (params, path) => operationScope(params.operationId ?? '', path),
      handle: getOperation,
    },
    {
      method: 'GET',
      pattern: `${GROUP}/virtualMachines`,
      apiVersions,
      action: `${VM_TYPE}/read`,
      handle: ({ res, params }) => {
        const rg = params.resourceGroupName ?? '';
        ctx.findRg(rg);
        sendJson(res, 200, {
          value: Object.values(world.vms)
            .filter((vm) => vm.resourceGroup.toLowerCase() === rg.toLowerCase())
            .map(vmResource),
        });
      },
    },
    {
      method: 'GET',
      pattern: VM,
      apiVersions,
      action: `${VM_TYPE}/read`,
      handle: ({ res, params }) =>
        sendJson(res, 200, vmResource(findVm(params.resourceGroupName ?? '', params.vmName ?? ''))),
    },
    ...runCommandRoutes(VM, VM_TYPE),
    {
      method: 'GET',
      pattern: `${GROUP}/virtualMachineScaleSets`,
      apiVersions,
      action: `${VMSS_TYPE}/read`,
      handle: ({ res, params }) => {
        const rg = params.resourceGroupName ?? '';
        ctx.findRg(rg);
        sendJson(res, 200, {
          value: Object.values(world.scaleSets)
            .filter((s) => s.resourceGroup.toLowerCase() === rg.toLowerCase())
            .map(vmssResource),
        });
      },
    },
    {
      method: 'GET',
      pattern: `${GROUP}/virtualMachineScaleSets/{vmScaleSetName}`,
      apiVersions,
      action: `${VMSS_TYPE}/read`,
      handle: ({ res, params }) =>
        sendJson(
          res,
          200,
          vmssResource(findVmss(params.resourceGroupName ?? '', params.vmScaleSetName ?? '')),
        ),
    },
    {
      method: 'GET',
      pattern: `${GROUP}/virtualMachineScaleSets/{vmScaleSetName}/virtualMachines`,
      apiVersions,
      action: `${VMSS_VM_TYPE}/read`,
      handle: ({ res, params }) => {
        const set = findVmss(params.resourceGroupName ?? '', params.vmScaleSetName ?? '');
        sendJson(res, 200, { value: set.instances.map((i) => vmssVmResource(set, i)) });
      },
    },
    {
      method: 'GET',
      pattern: VMSS_VM,
      apiVersions,
      action: `${VMSS_VM_TYPE}/read`,
      handle: ({ res, params }) => {
        const { set, inst } = findVmssVm(
          params.resourceGroupName ?? '',
          params.vmScaleSetName ?? '',
          params.instanceId ?? '',
        );
        sendJson(res, 200, vmssVmResource(set, inst));
      },
    },
    ...runCommandRoutes(VMSS_VM, VMSS_VM_TYPE),
  ];

  return {
    routes,
    addVm: (spec) => {
      const rg = spec.resourceGroup ?? ctx.defaultResourceGroup;
      if (!world.resourceGroups.some((r) => r.toLowerCase() === rg.toLowerCase()))
        world.resourceGroups.push(rg);
      const id = `${ctx.rgId(rg)}/providers/${VM_TYPE}/${spec.name}`;
      const vm: VmRecord = {
        id,
        name: spec.name,
        resourceGroup: rg,
        location,
        tags: spec.tags ?? {},
        vmId: stableGuid(id),
        instanceName: spec.instanceName ?? spec.name,
        ...(spec.address ? { address: spec.address } : {}),
      };
      world.vms[key(id)] = vm;
      ctx.save();
      return vm;
    },
    runCommands: () => Object.values(world.runCommands).map((r) => ({ ...r })),
    // A restart loses the executions in flight: run them again (the deploy script is idempotent), as the VM
    // agent would carry on with a command it had started.
    resumeInterrupted: () => {
      for (const rc of Object.values(world.runCommands)) {
        if (rc.instanceView.executionState === 'Running' || rc.instanceView.executionState === 'Pending')
          execute(rc);
      }
    },
    settled: () => Promise.allSettled([...running.values()]),
  };
}
