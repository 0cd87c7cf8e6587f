/**
 * Local stand-in for Azure Resource Manager: the REST shapes, api-versions and long-running-operation headers
 * that @azure/arm-trafficmanager 6.1.0 and @azure/arm-compute 25.1.1 use, plus the alerts list and an
 * App Service-style managed identity endpoint. HTTPS only (the SDK's bearer policy refuses http://).
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { FleetTopology, RunCommandExecutor } from '../contracts';
import { ensureArmCertificate } from './cert';
import type { FaultRule, FaultSpec, RequestLogEntry, RunCommandFailureSpec } from './faults';
import { defaultErrorCode, FaultBook, RequestLog } from './faults';
import type {
  AlertRecord,
  ArmWorld,
  EndpointResource,
  ProfileResource,
  RunCommandRecord,
  ScaleSetRecord,
  VmRecord,
} from './state';
import { NIC_API_VERSIONS, scaleSetNics, vmNetworkProfile, vmNic, VMSS_NIC_API_VERSIONS } from './network';
import { emptyWorld, key, reconcileTopology, rgId, stableGuid, WorldStore } from './state';

/** Api-versions accepted per provider (the SDKs' own first; a few neighbours for hand-written callers). */
export const API_VERSIONS = {
  network: ['2022-04-01', '2018-08-01', '2018-04-01'],
  compute: ['2026-04-01', '2025-04-01', '2024-11-01', '2024-07-01', '2024-03-01', '2023-09-01', '2023-07-01'],
  alerts: [
    '2019-03-01',
    '2019-05-05-preview',
    '2023-07-12-preview',
    '2024-01-01-preview',
    '2025-05-25-preview',
  ],
} as const;

/** Options of `startArm`. */
export interface StartArmOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. The launcher uses 7072 / LOCAL_ARM_PORT. */
  port?: number;
  /** Where the certificate and the state file live. */
  dataDir: string;
  topology: FleetTopology;
  executor: RunCommandExecutor;
  /** Azure region of the seeded compute resources; default `westeurope`. */
  location?: string;
  /** Secret the managed identity endpoint expects in `X-IDENTITY-HEADER`; random when omitted. */
  identityHeader?: string;
  /**
   * Scopes where callers may list alerts (the alerts reader role's assignments); a list at any other scope
   * answers 403 AuthorizationFailed, as ARM authorizes at the URL's scope. Default: the topology's resource
   * group, as infra/app/rbac.bicep assigns the role.
   */
  alertReadScopes?: string[];
}

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

/** Add a fired alert. */
export interface AddAlertSpec {
  /** ARM ID of the alert's target resource. */
  targetResource: string;
  /** Alert rule name (or its full ARM ID). */
  rule: string;
  severity?: 'Sev0' | 'Sev1' | 'Sev2' | 'Sev3' | 'Sev4';
  description?: string;
  alertState?: 'New' | 'Acknowledged' | 'Closed';
  monitorService?: string;
  signalType?: 'Metric' | 'Log' | 'ActivityLog';
  /** ISO time it fired; default now. */
  startDateTime?: string;
  /** GUID of the alert; random when omitted. */
  alertGuid?: string;
}

/** In-process control of the stand-in; the same operations are served as JSON under `/_control`. */
export interface ArmControl {
  addFault(spec: FaultSpec): FaultRule;
  faults(): FaultRule[];
  /** Removes every fault and run command failure. */
  clearFaults(): void;
  failRunCommands(spec: RunCommandFailureSpec): void;
  /** Someone else changes an endpoint: sets its status (flips it when `status` is omitted). */
  setEndpointStatus(
    endpoint: string,
    status?: 'Enabled' | 'Disabled',
    profileName?: string,
  ): EndpointResource;
  addVm(spec: AddVmSpec): VmRecord;
  addAlert(spec: AddAlertSpec): AlertRecord;
  resolveAlert(alertGuid: string): AlertRecord;
  requests(sinceSeq?: number): RequestLogEntry[];
  clearRequests(): void;
  runCommands(): RunCommandRecord[];
  profile(name?: string): ProfileResource;
  world(): ArmWorld;
}

/** A running stand-in. */
export interface ArmStandIn {
  /** `https://127.0.0.1:<port>`: the ARM endpoint to configure. */
  url: string;
  port: number;
  certPath: string;
  caPem: string;
  /** App Service-style managed identity: set IDENTITY_ENDPOINT / IDENTITY_HEADER of the app to these. */
  identity: { endpoint: string; header: string };
  control: ArmControl;
  /**
   * Environment for the app process so its unchanged settings and DefaultAzureCredential reach this stand-in:
   * ARM_ENDPOINT, IDENTITY_ENDPOINT, IDENTITY_HEADER, NODE_EXTRA_CA_CERTS (read by Node only at start-up, and
   * needed by the token call too), and AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential so a developer's own
   * Azure CLI login or AZURE_* secrets can never send the local app to real Azure.
   */
  appEnv(): Record<string, string>;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const notFound = (type: string, name: string, rg?: string): HttpError =>
  new HttpError(
    404,
    'ResourceNotFound',
    `The Resource '${type}/${name}' under resource group '${rg ?? ''}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );

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

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mergeDeep(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    if (isObject(v) && isObject(target[k])) mergeDeep(target[k] as Record<string, unknown>, v);
    else if (v !== undefined) target[k] = v;
  }
}

const nowIso = (): string => new Date().toISOString();

/** Starts the stand-in. */
export async function startArm(options: StartArmOptions): Promise<ArmStandIn> {
  const location = options.location ?? 'westeurope';
  const cert = ensureArmCertificate(options.dataDir);
  const store = new WorldStore(options.dataDir);
  const world = store.load() ?? emptyWorld(options.topology.subscriptionId);
  reconcileTopology(world, options.topology, location);
  const faults = new FaultBook();
  const log = new RequestLog();
  const identityHeader = options.identityHeader ?? randomBytes(24).toString('hex');
  // Tokens the identity endpoint issued, so the request log can tell a managed-identity call from a test token.
  const issuedTokens = new Set<string>();
  const sub = world.subscriptionId;
  let closed = false;

  const save = (): void => {
    if (!closed) store.save(world);
  };
  save();

  // ---------- helpers over the world ----------

  const findRg = (rg: string): string => {
    const found = world.resourceGroups.find((r) => r.toLowerCase() === rg.toLowerCase());
    if (!found)
      throw new HttpError(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`);
    return found;
  };

  const profileById = (rg: string, name: string): ProfileResource => {
    findRg(rg);
    const id = `${rgId(sub, rg)}/providers/Microsoft.Network/trafficManagerProfiles/${name}`;
    const p = world.profiles[key(id)];
    if (!p) throw notFound('Microsoft.Network/trafficManagerProfiles', name, rg);
    return p;
  };

  const refreshMonitorStatus = (p: ProfileResource): void => {
    for (const ep of p.properties.endpoints) {
      ep.properties.endpointMonitorStatus =
        ep.properties.endpointStatus === 'Enabled' ? 'Online' : 'Disabled';
    }
    const monitor = p.properties.monitorConfig as Record<string, unknown> | undefined;
    if (monitor) {
      monitor.profileMonitorStatus = p.properties.endpoints.some(
        (e) => e.properties.endpointStatus === 'Enabled',
      )
        ? 'Online'
        : 'Inactive';
    }
  };

  const vmResource = (vm: VmRecord): Record<string, unknown> => ({
    id: vm.id,
    name: vm.name,
    type: 'Microsoft.Compute/virtualMachines',
    location: vm.location,
    tags: vm.tags,
    properties: {
      vmId: vm.vmId,
      hardwareProfile: { vmSize: 'Standard_B1s' },
      storageProfile: { osDisk: { osType: 'Linux', name: `${vm.name}_OsDisk`, createOption: 'FromImage' } },
      osProfile: { computerName: vm.name, adminUsername: 'azureuser' },
      ...(vmNetworkProfile(vm) ? { networkProfile: vmNetworkProfile(vm) } : {}),
      provisioningState: 'Succeeded',
    },
  });

  const vmssResource = (s: ScaleSetRecord): Record<string, unknown> => ({
    id: s.id,
    name: s.name,
    type: 'Microsoft.Compute/virtualMachineScaleSets',
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
    type: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines',
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
    findRg(rg);
    const vm = world.vms[key(`${rgId(sub, rg)}/providers/Microsoft.Compute/virtualMachines/${name}`)];
    if (!vm) throw notFound('Microsoft.Compute/virtualMachines', name, rg);
    return vm;
  };

  const findVmss = (rg: string, name: string): ScaleSetRecord => {
    findRg(rg);
    const s =
      world.scaleSets[key(`${rgId(sub, rg)}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`)];
    if (!s) throw notFound('Microsoft.Compute/virtualMachineScaleSets', name, rg);
    return s;
  };

  const findVmssVm = (rg: string, name: string, instanceId: string) => {
    const s = findVmss(rg, name);
    const inst = s.instances.find((i) => i.instanceId === instanceId);
    if (!inst)
      throw notFound(
        'Microsoft.Compute/virtualMachineScaleSets/virtualMachines',
        `${name}/${instanceId}`,
        rg,
      );
    return { set: s, inst };
  };

  const runCommandResource = (rc: RunCommandRecord, expand: boolean): Record<string, unknown> => {
    // Protected parameters are write-only in ARM.
    const { protectedParameters: _hidden, ...visible } = rc.properties;
    return {
      id: rc.id,
      name: rc.name,
      type: rc.parentId.toLowerCase().includes('/virtualmachinescalesets/')
        ? 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommands'
        : 'Microsoft.Compute/virtualMachines/runCommands',
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
          options.executor.execute({
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
        save();
      });
    running.set(operationId, done);
  };

  // A restart loses the executions in flight: run them again (the deploy script is idempotent), as the VM agent
  // would carry on with a command it had started.
  for (const rc of Object.values(world.runCommands)) {
    if (rc.instanceView.executionState === 'Running' || rc.instanceView.executionState === 'Pending')
      execute(rc);
  }

  const putRunCommand = (
    parentId: string,
    instanceName: string,
    name: string,
    body: unknown,
    host: string,
    apiVersion: string,
    res: ServerResponse,
  ): void => {
    if (!isObject(body))
      throw new HttpError(400, 'InvalidRequestContent', 'The request content was invalid.');
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
    save();
    sendJson(res, existing ? 200 : 201, runCommandResource(rc, false), pollHeader(rc));
  };

  const getRunCommand = (parentId: string, name: string, expand: boolean): Record<string, unknown> => {
    const rc = world.runCommands[key(`${parentId}/runCommands/${name}`)];
    if (!rc) throw notFound('runCommands', name);
    return runCommandResource(rc, expand);
  };

  const listRunCommands = (parentId: string, expand: boolean): Record<string, unknown> => ({
    value: Object.values(world.runCommands)
      .filter((rc) => rc.parentId.toLowerCase() === parentId.toLowerCase())
      .map((rc) => runCommandResource(rc, expand)),
  });

  const runCommandAction = (
    parentId: string,
    instanceName: string,
    body: unknown,
    host: string,
    apiVersion: string,
    res: ServerResponse,
  ): void => {
    if (!isObject(body) || typeof body.commandId !== 'string') {
      throw new HttpError(400, 'InvalidParameter', "Required parameter 'commandId' is missing (null).");
    }
    const opId = randomUUID();
    const op = { id: opId, location, status: 'InProgress' as const, startTime: nowIso() };
    world.actionOperations[opId] = op;
    const script = Array.isArray(body.script) ? body.script.map(String).join('\n') : '';
    const params: Record<string, string> = {};
    if (Array.isArray(body.parameters)) {
      for (const p of body.parameters)
        if (isObject(p) && typeof p.name === 'string') params[p.name] = String(p.value ?? '');
    }
    const injected = faults.runCommandFailure(instanceName);
    const work = injected
      ? Promise.resolve({
          exitCode: injected.exitCode,
          stdout: injected.stdout ?? '',
          stderr: injected.stderr ?? '',
        })
      : Promise.resolve().then(() =>
          options.executor.execute({
            resourceId: parentId,
            instanceName,
            runName: `runCommand-${opId}`,
            script,
            parameters: params,
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
        (err: unknown) => {
          world.actionOperations[opId] = { ...op, status: 'Failed', endTime: nowIso() };
          void err;
        },
      )
      .finally(save);
    save();
    sendJson(res, 202, undefined, {
      'Azure-AsyncOperation': opUrl(host, opId, apiVersion),
      Location: opUrl(host, opId, apiVersion, true),
      'Retry-After': '1',
    });
  };

  const getOperation = (opId: string, monitor: boolean, res: ServerResponse): void => {
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
    if (!rc) throw new HttpError(404, 'NotFound', `The operation '${opId}' was not found.`);
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

  // ---------- alerts ----------

  const TIME_RANGES: Record<string, number> = { '1h': 3.6e6, '1d': 8.64e7, '7d': 6.048e8, '30d': 2.592e9 };

  const readScopes = (options.alertReadScopes ?? [rgId(sub, options.topology.resourceGroup)]).map((s) =>
    key(s.replace(/\/+$/, '')),
  );
  const within = (id: string, scope: string): boolean => {
    const k = key(id);
    return k === scope || k.startsWith(`${scope}/`);
  };

  /** ARM authorizes at the URL's scope: a role assigned at or above it. */
  const authorizeAlertRead = (scope: string): void => {
    if (readScopes.some((allowed) => within(scope, allowed))) return;
    throw new HttpError(
      403,
      'AuthorizationFailed',
      `The client does not have authorization to perform action 'Microsoft.AlertsManagement/alerts/read' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
  };

  /**
   * Alerts_GetAll at `{scope}/providers/Microsoft.AlertsManagement/alerts` (stable 2019-03-01 and later):
   * a subscription, resource group or resource scope, answering the alerts whose target lies at or under it.
   */
  const listAlerts = (
    scope: string,
    q: URLSearchParams,
    host: string,
    apiVersion: string,
  ): Record<string, unknown> => {
    const scopeKey = key(scope);
    const eq = (a: unknown, b: string | null): boolean =>
      b === null || (typeof a === 'string' && a.toLowerCase() === b.toLowerCase());
    const range = TIME_RANGES[q.get('timeRange') ?? '1d'];
    if (range === undefined)
      throw new HttpError(400, 'InvalidParameter', `Invalid timeRange '${q.get('timeRange')}'.`);
    const now = Date.now();
    const alertRule = q.get('alertRule');
    const selected = Object.values(world.alerts)
      .filter((a) => {
        const e = a.properties.essentials;
        return (
          within(e.targetResource, scopeKey) &&
          eq(e.targetResource, q.get('targetResource')) &&
          eq(e.targetResourceType, q.get('targetResourceType')) &&
          eq(e.targetResourceGroup, q.get('targetResourceGroup')) &&
          eq(e.monitorService, q.get('monitorService')) &&
          eq(e.monitorCondition, q.get('monitorCondition')) &&
          eq(e.severity, q.get('severity')) &&
          eq(e.alertState, q.get('alertState')) &&
          (alertRule === null || eq(e.alertRule, alertRule) || eq(a.name, alertRule)) &&
          (q.get('customTimeRange') !== null || now - Date.parse(e.startDateTime) <= range)
        );
      })
      .sort(
        (a, b) =>
          Date.parse(b.properties.essentials.lastModifiedDateTime) -
          Date.parse(a.properties.essentials.lastModifiedDateTime),
      );
    const pageCount = Math.min(250, Math.max(1, Number(q.get('pageCount') ?? '25') || 25));
    const offset = Number(q.get('ctoken') ?? '0') || 0;
    const page = selected.slice(offset, offset + pageCount);
    const result: Record<string, unknown> = { value: page };
    if (offset + pageCount < selected.length) {
      const next = new URLSearchParams(q);
      next.set('ctoken', String(offset + pageCount));
      next.set('api-version', apiVersion);
      result.nextLink = `https://${host}${scope}/providers/Microsoft.AlertsManagement/alerts?${next.toString()}`;
    }
    return result;
  };

  // ---------- control ----------

  const findProfile = (name?: string): ProfileResource => {
    const profiles = Object.values(world.profiles);
    const p = name ? profiles.find((x) => x.name.toLowerCase() === name.toLowerCase()) : profiles[0];
    if (!p) throw new HttpError(404, 'ResourceNotFound', `No Traffic Manager profile '${name ?? ''}'.`);
    return p;
  };

  const control: ArmControl = {
    addFault: (spec) => faults.add(spec),
    faults: () => faults.list(),
    clearFaults: () => faults.clear(),
    failRunCommands: (spec) => faults.failRunCommands(spec),
    setEndpointStatus: (endpoint, status, profileName) => {
      const p = findProfile(profileName);
      const ep = p.properties.endpoints.find((e) => e.name.toLowerCase() === endpoint.toLowerCase());
      if (!ep) throw new HttpError(404, 'NotFound', `Profile ${p.name} has no endpoint '${endpoint}'.`);
      ep.properties.endpointStatus =
        status ?? (ep.properties.endpointStatus === 'Enabled' ? 'Disabled' : 'Enabled');
      refreshMonitorStatus(p);
      save();
      return ep;
    },
    addVm: (spec) => {
      const rg = spec.resourceGroup ?? options.topology.resourceGroup;
      if (!world.resourceGroups.some((r) => r.toLowerCase() === rg.toLowerCase()))
        world.resourceGroups.push(rg);
      const id = `${rgId(sub, rg)}/providers/Microsoft.Compute/virtualMachines/${spec.name}`;
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
      save();
      return vm;
    },
    addAlert: (spec) => {
      const guid = spec.alertGuid ?? randomUUID();
      const parts = spec.targetResource.split('/');
      const rgIndex = parts.findIndex((p) => p.toLowerCase() === 'resourcegroups');
      const targetRg = rgIndex >= 0 ? (parts[rgIndex + 1] ?? '') : '';
      const ruleName = spec.rule.startsWith('/') ? (spec.rule.split('/').pop() ?? spec.rule) : spec.rule;
      const ruleId = spec.rule.startsWith('/')
        ? spec.rule
        : `${rgId(sub, targetRg || options.topology.resourceGroup)}/providers/microsoft.insights/metricAlerts/${spec.rule}`;
      const at = spec.startDateTime ?? nowIso();
      const alert: AlertRecord = {
        id: `${spec.targetResource}/providers/Microsoft.AlertsManagement/alerts/${guid}`,
        name: ruleName,
        type: 'Microsoft.AlertsManagement/alerts',
        properties: {
          essentials: {
            severity: spec.severity ?? 'Sev1',
            signalType: spec.signalType ?? 'Metric',
            alertState: spec.alertState ?? 'New',
            monitorCondition: 'Fired',
            monitorService: spec.monitorService ?? 'Platform',
            targetResource: spec.targetResource,
            targetResourceName: parts[parts.length - 1] ?? '',
            targetResourceGroup: targetRg,
            targetResourceType: parts.length >= 2 ? (parts[parts.length - 2] ?? '') : '',
            sourceCreatedId: stableGuid(`${guid}/source`),
            alertRule: ruleId,
            startDateTime: at,
            lastModifiedDateTime: at,
            lastModifiedUserName: 'System',
            actionStatus: { isSuppressed: false },
            description: spec.description ?? '',
          },
        },
      };
      world.alerts[guid] = alert;
      save();
      return alert;
    },
    resolveAlert: (guid) => {
      const alert = world.alerts[guid];
      if (!alert) throw new HttpError(404, 'NotFound', `No alert '${guid}'.`);
      const at = nowIso();
      alert.properties.essentials.monitorCondition = 'Resolved';
      alert.properties.essentials.monitorConditionResolvedDateTime = at;
      alert.properties.essentials.lastModifiedDateTime = at;
      save();
      return alert;
    },
    requests: (since) => log.list(since),
    clearRequests: () => log.clear(),
    runCommands: () => Object.values(world.runCommands).map((r) => ({ ...r })),
    profile: (name) => findProfile(name),
    world: () => world,
  };

  // ---------- HTTP ----------

  function sendJson(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      ...(body === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' }),
      'x-ms-request-id': randomUUID(),
      ...headers,
    });
    res.end(text);
  }

  const sendError = (res: ServerResponse, e: HttpError): void =>
    sendJson(res, e.status, { error: { code: e.code, message: e.message } }, e.headers);

  const readBody = (req: IncomingMessage): Promise<string> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 4 * 1024 * 1024) {
          reject(new HttpError(413, 'RequestEntityTooLarge', 'The request body is too large.'));
          req.destroy();
        } else chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const requireApiVersion = (q: URLSearchParams, allowed: readonly string[]): string => {
    const v = q.get('api-version');
    if (!v) {
      throw new HttpError(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    }
    if (!allowed.includes(v)) {
      throw new HttpError(
        400,
        'InvalidApiVersionParameter',
        `The api-version '${v}' is invalid. The supported versions are '${allowed.join(',')}'.`,
      );
    }
    return v;
  };

  const methodNotAllowed = (method: string, path: string): HttpError =>
    new HttpError(
      405,
      'MethodNotAllowed',
      `The requested resource does not support http method '${method}' on '${path}'.`,
    );

  async function handleArm(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    path: string,
    q: URLSearchParams,
    body: unknown,
  ): Promise<void> {
    const host = req.headers.host ?? `127.0.0.1`;
    const seg = path
      .split('/')
      .filter((s) => s.length > 0)
      .map(decodeURIComponent);
    const low = seg.map((s) => s.toLowerCase());
    if (low[0] !== 'subscriptions' || seg.length < 2) {
      throw new HttpError(404, 'InvalidResourceType', `No route for '${path}'.`);
    }
    if (low[1] !== sub.toLowerCase()) {
      throw new HttpError(404, 'SubscriptionNotFound', `The subscription '${seg[1]}' could not be found.`);
    }

    // The alerts list is an extension at any scope: the subscription, a resource group or a resource.
    if (seg.length >= 5 && low.slice(-3).join('/') === 'providers/microsoft.alertsmanagement/alerts') {
      const v = requireApiVersion(q, API_VERSIONS.alerts);
      if (method !== 'GET') throw methodNotAllowed(method, path);
      const scopeSeg = seg.slice(0, -3);
      const scopeLow = low.slice(0, -3);
      const isRgOrUnder = scopeLow[2] === 'resourcegroups' && scopeSeg.length >= 4;
      const isResource = isRgOrUnder && scopeLow[4] === 'providers' && scopeSeg.length >= 8;
      if (!(scopeSeg.length === 2 || (isRgOrUnder && (scopeSeg.length === 4 || isResource))))
        throw new HttpError(400, 'InvalidScope', `'/${scopeSeg.join('/')}' is not a valid scope.`);
      const scope = `/${scopeSeg.join('/')}`;
      authorizeAlertRead(scope);
      if (isRgOrUnder) findRg(scopeSeg[3] ?? '');
      sendJson(res, 200, listAlerts(scope, q, host, v));
      return;
    }

    // Subscription-level routes.
    if (low[2] === 'providers') {
      const provider = low[3];
      if (provider === 'microsoft.network' && low[4] === 'trafficmanagerprofiles' && seg.length === 5) {
        requireApiVersion(q, API_VERSIONS.network);
        if (method !== 'GET') throw methodNotAllowed(method, path);
        sendJson(res, 200, { value: Object.values(world.profiles) });
        return;
      }
      if (
        provider === 'microsoft.compute' &&
        low[4] === 'locations' &&
        low[6] === 'operations' &&
        seg.length === 8
      ) {
        requireApiVersion(q, API_VERSIONS.compute);
        getOperation(seg[7] ?? '', q.get('monitor') === 'true', res);
        return;
      }
      throw new HttpError(404, 'InvalidResourceType', `The resource type could not be found for '${path}'.`);
    }

    if (low[2] !== 'resourcegroups' || seg.length < 4)
      throw new HttpError(404, 'InvalidResourceType', `No route for '${path}'.`);
    const rg = seg[3] ?? '';
    if (seg.length === 4) {
      const found = findRg(rg);
      sendJson(res, 200, {
        id: rgId(sub, found),
        name: found,
        location,
        properties: { provisioningState: 'Succeeded' },
      });
      return;
    }
    if (low[4] !== 'providers') throw new HttpError(404, 'InvalidResourceType', `No route for '${path}'.`);
    const provider = low[5];
    const rest = seg.slice(6);
    const restLow = low.slice(6);

    if (provider === 'microsoft.network' && restLow[0] === 'trafficmanagerprofiles') {
      requireApiVersion(q, API_VERSIONS.network);
      return handleTrafficManager(res, method, path, rg, rest, restLow, body);
    }
    if (provider === 'microsoft.network' && restLow[0] === 'networkinterfaces' && rest.length === 2) {
      requireApiVersion(q, NIC_API_VERSIONS);
      if (method !== 'GET') throw methodNotAllowed(method, path);
      findRg(rg);
      const found = vmNic(Object.values(world.vms), `/${seg.join('/')}`);
      if (!found) throw notFound('Microsoft.Network/networkInterfaces', rest[1] ?? '', rg);
      sendJson(res, 200, found);
      return;
    }
    // Served by Microsoft.Network under the Compute path, with its own api-version.
    if (
      provider === 'microsoft.compute' &&
      restLow[0] === 'virtualmachinescalesets' &&
      restLow[2] === 'networkinterfaces' &&
      rest.length === 3
    ) {
      requireApiVersion(q, VMSS_NIC_API_VERSIONS);
      if (method !== 'GET') throw methodNotAllowed(method, path);
      sendJson(res, 200, scaleSetNics(findVmss(rg, rest[1] ?? '')));
      return;
    }
    if (provider === 'microsoft.compute') {
      const v = requireApiVersion(q, API_VERSIONS.compute);
      return handleCompute(res, method, path, rg, rest, restLow, body, q, host, v);
    }
    throw new HttpError(404, 'InvalidResourceType', `The resource type could not be found for '${path}'.`);
  }

  function handleTrafficManager(
    res: ServerResponse,
    method: string,
    path: string,
    rg: string,
    rest: string[],
    restLow: string[],
    body: unknown,
  ): void {
    if (rest.length === 1) {
      if (method !== 'GET') throw methodNotAllowed(method, path);
      findRg(rg);
      const prefix = key(`${rgId(sub, rg)}/providers/Microsoft.Network/trafficManagerProfiles/`);
      sendJson(res, 200, {
        value: Object.entries(world.profiles)
          .filter(([k]) => k.startsWith(prefix))
          .map(([, p]) => p),
      });
      return;
    }
    const name = rest[1] ?? '';
    if (rest.length === 2) {
      if (method === 'GET') {
        sendJson(res, 200, profileById(rg, name));
        return;
      }
      if (method === 'PUT') {
        findRg(rg);
        if (!isObject(body)) throw new HttpError(400, 'BadRequest', 'The request body must be a profile.');
        const id = `${rgId(sub, rg)}/providers/Microsoft.Network/trafficManagerProfiles/${name}`;
        const existed = world.profiles[key(id)] !== undefined;
        const props = isObject(body.properties) ? body.properties : {};
        const endpoints = Array.isArray(props.endpoints) ? props.endpoints : [];
        const profile: ProfileResource = {
          id,
          name,
          type: 'Microsoft.Network/trafficManagerProfiles',
          location: typeof body.location === 'string' ? body.location : 'global',
          tags: isObject(body.tags) ? (body.tags as Record<string, string>) : {},
          properties: {
            profileStatus: 'Enabled',
            ...props,
            dnsConfig: {
              ...(isObject(props.dnsConfig) ? props.dnsConfig : {}),
              fqdn: `${isObject(props.dnsConfig) && typeof props.dnsConfig.relativeName === 'string' ? props.dnsConfig.relativeName : name}.trafficmanager.net`,
            },
            endpoints: endpoints.filter(isObject).map((e) => endpointFromBody(id, e)),
          },
        };
        refreshMonitorStatus(profile);
        world.profiles[key(id)] = profile;
        save();
        sendJson(res, existed ? 200 : 201, profile);
        return;
      }
      if (method === 'PATCH') {
        const p = profileById(rg, name);
        if (!isObject(body)) throw new HttpError(400, 'BadRequest', 'The request body must be a profile.');
        if (isObject(body.tags)) p.tags = body.tags as Record<string, string>;
        if (isObject(body.properties)) {
          const { endpoints, ...others } = body.properties;
          mergeDeep(p.properties, others);
          if (Array.isArray(endpoints))
            p.properties.endpoints = endpoints.filter(isObject).map((e) => endpointFromBody(p.id, e));
        }
        refreshMonitorStatus(p);
        save();
        sendJson(res, 200, p);
        return;
      }
      if (method === 'DELETE') {
        const p = profileById(rg, name);
        delete world.profiles[key(p.id)];
        save();
        sendJson(res, 200, undefined);
        return;
      }
      throw methodNotAllowed(method, path);
    }
    if (rest.length === 4) {
      const type = restLow[2] ?? '';
      if (!['azureendpoints', 'externalendpoints', 'nestedendpoints'].includes(type)) {
        throw new HttpError(400, 'BadRequest', `Unknown endpoint type '${rest[2]}'.`);
      }
      const p = profileById(rg, name);
      const epName = rest[3] ?? '';
      const idx = p.properties.endpoints.findIndex(
        (e) => e.name.toLowerCase() === epName.toLowerCase() && e.type.toLowerCase().endsWith(`/${type}`),
      );
      if (method === 'GET') {
        if (idx < 0)
          throw notFound(`Microsoft.Network/trafficManagerProfiles/${name}/${rest[2]}`, epName, rg);
        sendJson(res, 200, p.properties.endpoints[idx]);
        return;
      }
      if (method === 'PUT') {
        if (!isObject(body)) throw new HttpError(400, 'BadRequest', 'The request body must be an endpoint.');
        const ep = endpointFromBody(p.id, {
          ...body,
          name: epName,
          type: `Microsoft.Network/trafficManagerProfiles/${canonicalEndpointType(type)}`,
        });
        if (idx >= 0) p.properties.endpoints[idx] = ep;
        else p.properties.endpoints.push(ep);
        refreshMonitorStatus(p);
        save();
        sendJson(res, idx >= 0 ? 200 : 201, ep);
        return;
      }
      if (method === 'PATCH') {
        if (idx < 0)
          throw notFound(`Microsoft.Network/trafficManagerProfiles/${name}/${rest[2]}`, epName, rg);
        const ep = p.properties.endpoints[idx] as EndpointResource;
        const props = isObject(body) && isObject(body.properties) ? body.properties : {};
        validateEndpointProps(props);
        mergeDeep(ep.properties, props);
        refreshMonitorStatus(p);
        save();
        sendJson(res, 200, ep);
        return;
      }
      if (method === 'DELETE') {
        if (idx >= 0) p.properties.endpoints.splice(idx, 1);
        refreshMonitorStatus(p);
        save();
        sendJson(res, idx >= 0 ? 200 : 204, undefined);
        return;
      }
      throw methodNotAllowed(method, path);
    }
    throw new HttpError(404, 'InvalidResourceType', `No route for '${path}'.`);
  }

  function canonicalEndpointType(lower: string): string {
    return lower === 'azureendpoints'
      ? 'azureEndpoints'
      : lower === 'externalendpoints'
        ? 'externalEndpoints'
        : 'nestedEndpoints';
  }

  function validateEndpointProps(props: Record<string, unknown>): void {
    if (
      props.endpointStatus !== undefined &&
      props.endpointStatus !== 'Enabled' &&
      props.endpointStatus !== 'Disabled'
    ) {
      throw new HttpError(
        400,
        'BadRequest',
        `The value '${String(props.endpointStatus)}' of endpointStatus is invalid; allowed values are 'Enabled' and 'Disabled'.`,
      );
    }
  }

  function endpointFromBody(profileId: string, e: Record<string, unknown>): EndpointResource {
    const typeTail =
      String(e.type ?? 'Microsoft.Network/trafficManagerProfiles/externalEndpoints')
        .split('/')
        .pop() ?? '';
    const type = canonicalEndpointType(typeTail.toLowerCase());
    const name = String(e.name ?? '');
    const props = isObject(e.properties) ? { ...e.properties } : {};
    validateEndpointProps(props);
    return {
      id: `${profileId}/${type}/${name}`,
      name,
      type: `Microsoft.Network/trafficManagerProfiles/${type}`,
      properties: { endpointStatus: 'Enabled', weight: 1, ...props },
    };
  }

  function handleCompute(
    res: ServerResponse,
    method: string,
    path: string,
    rg: string,
    rest: string[],
    restLow: string[],
    body: unknown,
    q: URLSearchParams,
    host: string,
    apiVersion: string,
  ): void {
    const expand = (q.get('$expand') ?? '').toLowerCase() === 'instanceview';
    if (restLow[0] === 'virtualmachines') {
      if (rest.length === 1) {
        if (method !== 'GET') throw methodNotAllowed(method, path);
        findRg(rg);
        sendJson(res, 200, {
          value: Object.values(world.vms)
            .filter((vm) => vm.resourceGroup.toLowerCase() === rg.toLowerCase())
            .map(vmResource),
        });
        return;
      }
      const vm = findVm(rg, rest[1] ?? '');
      if (rest.length === 2) {
        if (method !== 'GET') throw methodNotAllowed(method, path);
        sendJson(res, 200, vmResource(vm));
        return;
      }
      if (restLow[2] === 'runcommand' && rest.length === 3) {
        if (method !== 'POST') throw methodNotAllowed(method, path);
        runCommandAction(vm.id, vm.instanceName, body, host, apiVersion, res);
        return;
      }
      if (restLow[2] === 'runcommands') {
        return runCommandRoutes(
          res,
          method,
          path,
          vm.id,
          vm.instanceName,
          rest.slice(3),
          body,
          expand,
          host,
          apiVersion,
        );
      }
    }
    if (restLow[0] === 'virtualmachinescalesets' && rest.length >= 2) {
      const set = findVmss(rg, rest[1] ?? '');
      if (rest.length === 2) {
        if (method !== 'GET') throw methodNotAllowed(method, path);
        sendJson(res, 200, vmssResource(set));
        return;
      }
      if (restLow[2] === 'virtualmachines') {
        if (rest.length === 3) {
          if (method !== 'GET') throw methodNotAllowed(method, path);
          sendJson(res, 200, { value: set.instances.map((i) => vmssVmResource(set, i)) });
          return;
        }
        const { inst } = findVmssVm(rg, set.name, rest[3] ?? '');
        const vmId = `${set.id}/virtualMachines/${inst.instanceId}`;
        if (rest.length === 4) {
          if (method !== 'GET') throw methodNotAllowed(method, path);
          sendJson(res, 200, vmssVmResource(set, inst));
          return;
        }
        if (restLow[4] === 'runcommand' && rest.length === 5) {
          if (method !== 'POST') throw methodNotAllowed(method, path);
          runCommandAction(vmId, inst.instanceName, body, host, apiVersion, res);
          return;
        }
        if (restLow[4] === 'runcommands') {
          return runCommandRoutes(
            res,
            method,
            path,
            vmId,
            inst.instanceName,
            rest.slice(5),
            body,
            expand,
            host,
            apiVersion,
          );
        }
      }
    }
    throw new HttpError(404, 'InvalidResourceType', `The resource type could not be found for '${path}'.`);
  }

  function runCommandRoutes(
    res: ServerResponse,
    method: string,
    path: string,
    parentId: string,
    instanceName: string,
    tail: string[],
    body: unknown,
    expand: boolean,
    host: string,
    apiVersion: string,
  ): void {
    if (tail.length === 0) {
      if (method !== 'GET') throw methodNotAllowed(method, path);
      sendJson(res, 200, listRunCommands(parentId, expand));
      return;
    }
    if (tail.length !== 1) throw new HttpError(404, 'InvalidResourceType', `No route for '${path}'.`);
    const name = tail[0] ?? '';
    if (method === 'GET') {
      sendJson(res, 200, getRunCommand(parentId, name, expand));
      return;
    }
    if (method === 'PUT') {
      putRunCommand(parentId, instanceName, name, body, host, apiVersion, res);
      return;
    }
    if (method === 'DELETE') {
      // VirtualMachineRunCommands_Delete / VirtualMachineScaleSetVMRunCommands_Delete answer 200, 202 or 204
      // (x-ms-long-running-operation): 204 when there is nothing to delete, else 202 with both poll headers, the
      // operation already finished (the stand-in deletes at once; an execution in flight finds its record gone).
      const k = key(`${parentId}/runCommands/${name}`);
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
        startTime: now,
        endTime: now,
      };
      save();
      sendJson(res, 202, undefined, {
        'Azure-AsyncOperation': opUrl(host, opId, apiVersion),
        Location: opUrl(host, opId, apiVersion, true),
        'Retry-After': '1',
      });
      return;
    }
    throw methodNotAllowed(method, path);
  }

  function handleIdentity(req: IncomingMessage, res: ServerResponse, q: URLSearchParams): void {
    const given = String(req.headers['x-identity-header'] ?? '');
    const a = Buffer.from(given);
    const b = Buffer.from(identityHeader);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      throw new HttpError(401, 'Unauthorized', 'The X-IDENTITY-HEADER header is missing or wrong.');
    }
    const resource = q.get('resource');
    if (!resource) throw new HttpError(400, 'BadRequest', "The 'resource' query parameter is required.");
    const expiresOn = Math.floor(Date.now() / 1000) + 3600;
    const token = `local-${randomBytes(24).toString('hex')}`;
    issuedTokens.add(token);
    sendJson(res, 200, {
      access_token: token,
      expires_on: String(expiresOn),
      resource,
      token_type: 'Bearer',
      client_id: q.get('client_id') ?? stableGuid('local-managed-identity'),
    });
  }

  async function handleControl(
    res: ServerResponse,
    method: string,
    seg: string[],
    q: URLSearchParams,
    body: unknown,
  ) {
    const b = isObject(body) ? body : {};
    const route = `${method} ${seg.join('/')}`;
    switch (true) {
      case route === 'GET requests':
        return sendJson(res, 200, { value: control.requests(Number(q.get('since') ?? '0') || 0) });
      case route === 'DELETE requests':
        control.clearRequests();
        return sendJson(res, 204, undefined);
      case route === 'GET faults':
        return sendJson(res, 200, { value: control.faults() });
      case route === 'POST faults':
        try {
          return sendJson(res, 201, control.addFault(b as FaultSpec));
        } catch (err) {
          throw new HttpError(400, 'BadRequest', err instanceof Error ? err.message : String(err));
        }
      case route === 'DELETE faults':
        control.clearFaults();
        return sendJson(res, 204, undefined);
      case route === 'POST run-command-failures':
        if (!Array.isArray(b.instances) || typeof b.exitCode !== 'number') {
          throw new HttpError(400, 'BadRequest', 'instances (string[]) and exitCode (number) are required.');
        }
        control.failRunCommands(b as unknown as RunCommandFailureSpec);
        return sendJson(res, 201, { ok: true });
      case route === 'GET run-commands':
        return sendJson(res, 200, { value: control.runCommands() });
      case route === 'POST endpoint-status': {
        if (typeof b.endpoint !== 'string')
          throw new HttpError(400, 'BadRequest', 'endpoint (string) is required.');
        const status = b.status === 'Enabled' || b.status === 'Disabled' ? b.status : undefined;
        const profile = typeof b.profile === 'string' ? b.profile : undefined;
        return sendJson(res, 200, control.setEndpointStatus(b.endpoint, status, profile));
      }
      case route === 'GET profile':
        return sendJson(res, 200, control.profile(q.get('name') ?? undefined));
      case route === 'POST vms':
        if (typeof b.name !== 'string') throw new HttpError(400, 'BadRequest', 'name (string) is required.');
        return sendJson(res, 201, control.addVm(b as unknown as AddVmSpec));
      case route === 'POST alerts':
        if (typeof b.targetResource !== 'string' || typeof b.rule !== 'string') {
          throw new HttpError(400, 'BadRequest', 'targetResource and rule (strings) are required.');
        }
        return sendJson(res, 201, control.addAlert(b as unknown as AddAlertSpec));
      case method === 'POST' && seg[0] === 'alerts' && seg[2] === 'resolve' && seg.length === 3:
        return sendJson(res, 200, control.resolveAlert(seg[1] ?? ''));
      case route === 'GET state':
        return sendJson(res, 200, control.world());
      default:
        throw new HttpError(404, 'NotFound', `No control route '${route}'.`);
    }
  }

  const server = createServer({ key: cert.keyPem, cert: cert.caPem }, (req, res) => {
    void (async () => {
      const method = (req.method ?? 'GET').toUpperCase();
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const path = url.pathname;
      const q = url.searchParams;
      const arrived = Date.now();
      let bodyText = '';
      let body: unknown;
      let faultId: number | undefined;
      const isArm = path.toLowerCase().startsWith('/subscriptions/');
      // Token requests are logged too (query only: the X-IDENTITY-HEADER secret is never recorded).
      const logged = isArm || path === '/msi/token';
      try {
        bodyText = await readBody(req);
        if (bodyText.length > 0) {
          try {
            body = JSON.parse(bodyText);
          } catch {
            throw new HttpError(
              400,
              'InvalidRequestContent',
              'The request content was invalid and could not be deserialized.',
            );
          }
        }
        if (path.startsWith('/_control/')) {
          await handleControl(
            res,
            method,
            path.slice('/_control/'.length).split('/').filter(Boolean).map(decodeURIComponent),
            q,
            body,
          );
          return;
        }
        if (path === '/msi/token') {
          handleIdentity(req, res, q);
          return;
        }
        if (isArm) {
          const fault = faults.take(method, path);
          if (fault) {
            faultId = fault.id;
            if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
            if (fault.status !== undefined) {
              throw new HttpError(
                fault.status,
                fault.errorCode ?? defaultErrorCode(fault.status),
                fault.message ?? `Injected fault ${fault.id} (${fault.status}).`,
                fault.retryAfterSeconds !== undefined
                  ? { 'Retry-After': String(fault.retryAfterSeconds) }
                  : {},
              );
            }
          }
          const auth = String(req.headers.authorization ?? '');
          if (!/^Bearer \S+/.test(auth)) {
            throw new HttpError(
              401,
              'AuthenticationFailed',
              "Authentication failed. The 'Authorization' header is missing.",
            );
          }
          await handleArm(req, res, method, path, q, body);
          return;
        }
        throw new HttpError(404, 'NotFound', `No route for '${path}'.`);
      } catch (err) {
        if (res.headersSent) return;
        if (err instanceof HttpError) sendError(res, err);
        else
          sendError(
            res,
            new HttpError(500, 'InternalServerError', err instanceof Error ? err.message : String(err)),
          );
      } finally {
        if (logged) {
          const query: Record<string, string> = {};
          q.forEach((v, k) => (query[k] = v));
          log.add({
            at: new Date(arrived).toISOString(),
            atMs: arrived,
            method,
            path,
            query,
            status: res.statusCode,
            ...(faultId !== undefined ? { faultId } : {}),
            authorized: /^Bearer \S+/.test(String(req.headers.authorization ?? '')),
            managedIdentityToken: issuedTokens.has(
              String(req.headers.authorization ?? '').replace(/^Bearer /, ''),
            ),
            ...(body !== undefined ? { body } : {}),
          });
        }
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `https://127.0.0.1:${port}`;

  return {
    url,
    port,
    certPath: cert.certPath,
    caPem: cert.caPem,
    identity: { endpoint: `${url}/msi/token`, header: identityHeader },
    control,
    appEnv: () => ({
      ARM_ENDPOINT: url,
      IDENTITY_ENDPOINT: `${url}/msi/token`,
      IDENTITY_HEADER: identityHeader,
      NODE_EXTRA_CA_CERTS: cert.certPath,
      AZURE_TOKEN_CREDENTIALS: 'ManagedIdentityCredential',
    }),
    close: async () => {
      // Let executions finish recording before the state file goes quiet, but never hang on a stuck executor.
      await Promise.race([
        Promise.allSettled([...running.values()]),
        new Promise((r) => setTimeout(r, 2000).unref()),
      ]);
      closed = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
