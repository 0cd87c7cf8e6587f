/** The stand-in's `/_control` API: the in-process `ArmControl` served as JSON (no token). */
import type { ServerResponse } from 'node:http';
import type {
  AfdOriginGroupRecord,
  AfdOriginResource,
  ArmWorld,
  AlertRecord,
  EndpointResource,
  ProfileResource,
  RunCommandRecord,
  VmRecord,
} from './state';
import { ArmError } from './errors';
import type {
  FaultBook,
  FaultRule,
  FaultSpec,
  RequestLog,
  RequestLogEntry,
  RunCommandFailureSpec,
} from './faults';
import { isObject, sendJson } from './http';
import type { AddAlertSpec, AlertsModule } from './providers/alertsManagement';
import type { AddVmSpec, ComputeModule } from './providers/compute';
import type { FrontDoorEdgeView, FrontDoorModule } from './providers/frontDoor';
import type { TrafficManagerModule } from './providers/trafficManager';
import type { RbacPolicy, RoleAssignment } from './rbac';

/** In-process control of the stand-in; the same operations are served as JSON under `/_control`. */
export interface ArmControl {
  addFault(spec: FaultSpec): FaultRule;
  faults(): FaultRule[];
  /**
   * Calls `listener` right after each change to the world is applied (a write of the app, an operator's change
   * through this API), before the answer goes out; returns the unsubscribe. In-process only: benchmarks time the
   * moment traffic moved without polling.
   */
  onChange(listener: () => void): () => void;
  /** Removes every fault and run command failure. */
  clearFaults(): void;
  failRunCommands(spec: RunCommandFailureSpec): void;
  /** Someone else changes an endpoint: sets its status (flips it when `status` is omitted). */
  setEndpointStatus(
    endpoint: string,
    status?: 'Enabled' | 'Disabled',
    profileName?: string,
  ): EndpointResource;
  /** The infrastructure changes the profile's DNS TTL (seconds). */
  setDnsTtl(ttl: number, profileName?: string): ProfileResource;
  /** Someone else changes a Front Door origin (flips it when `state` is omitted); it reaches the edge late too. */
  setOriginState(origin: string, state?: 'Enabled' | 'Disabled', originGroup?: string): AfdOriginResource;
  /** A Front Door origin group with its origins and queued deployments (by ARM ID or name; the first). */
  originGroup(idOrName?: string): AfdOriginGroupRecord;
  /** What the Front Door edge serves for an origin group at `atMs` (default now), and what is still propagating. */
  frontDoorEdge(originGroup?: string, atMs?: number): FrontDoorEdgeView;
  /** Propagation delay of later Front Door writes, ms. */
  setFrontDoorPropagationMs(ms: number): void;
  addVm(spec: AddVmSpec): VmRecord;
  addAlert(spec: AddAlertSpec): AlertRecord;
  resolveAlert(alertGuid: string): AlertRecord;
  requests(sinceSeq?: number): RequestLogEntry[];
  clearRequests(): void;
  runCommands(): RunCommandRecord[];
  profile(name?: string): ProfileResource;
  world(): ArmWorld;
  /** The role assignments enforced (empty when RBAC is not enforced). */
  roleAssignments(): RoleAssignment[];
  /** Removes an assignment by its template name (e.g. `rbac/apiTrafficManager`); returns it. */
  removeRoleAssignment(name: string): RoleAssignment;
  /** Adds an assignment (e.g. puts a removed one back). */
  addRoleAssignment(assignment: RoleAssignment): void;
}

/** What the control API is built from. */
export interface ControlParts {
  world: ArmWorld;
  faults: FaultBook;
  log: RequestLog;
  trafficManager: TrafficManagerModule;
  frontDoor: FrontDoorModule;
  compute: ComputeModule;
  alerts: AlertsModule;
  rbac?: RbacPolicy;
  changes: Set<() => void>;
}

/** The in-process control object. */
export function createControl(p: ControlParts): ArmControl {
  return {
    addFault: (spec) => p.faults.add(spec),
    faults: () => p.faults.list(),
    onChange: (listener) => {
      p.changes.add(listener);
      return () => void p.changes.delete(listener);
    },
    clearFaults: () => p.faults.clear(),
    failRunCommands: (spec) => p.faults.failRunCommands(spec),
    setEndpointStatus: (endpoint, status, profileName) =>
      p.trafficManager.setEndpointStatus(endpoint, status, profileName),
    setDnsTtl: (ttl, profileName) => p.trafficManager.setDnsTtl(ttl, profileName),
    setOriginState: (origin, state, group) => p.frontDoor.setOriginState(origin, state, group),
    originGroup: (idOrName) => p.frontDoor.findOriginGroup(idOrName),
    frontDoorEdge: (group, atMs) => p.frontDoor.edge(group, atMs),
    setFrontDoorPropagationMs: (ms) => p.frontDoor.setPropagationMs(ms),
    addVm: (spec) => p.compute.addVm(spec),
    addAlert: (spec) => p.alerts.addAlert(spec),
    resolveAlert: (guid) => p.alerts.resolveAlert(guid),
    requests: (since) => p.log.list(since),
    clearRequests: () => p.log.clear(),
    runCommands: () => p.compute.runCommands(),
    profile: (name) => p.trafficManager.findProfile(name),
    world: () => p.world,
    roleAssignments: () => p.rbac?.assignments() ?? [],
    removeRoleAssignment: (name) => {
      if (!p.rbac) throw new ArmError(409, 'Conflict', 'RBAC is not enforced by this stand-in.');
      try {
        return p.rbac.remove(name);
      } catch (err) {
        throw new ArmError(404, 'RoleAssignmentNotFound', err instanceof Error ? err.message : String(err));
      }
    },
    addRoleAssignment: (a) => {
      if (!p.rbac) throw new ArmError(409, 'Conflict', 'RBAC is not enforced by this stand-in.');
      try {
        p.rbac.add(a);
      } catch (err) {
        throw new ArmError(400, 'BadRequest', err instanceof Error ? err.message : String(err));
      }
    },
  };
}

const bad = (message: string): ArmError => new ArmError(400, 'BadRequest', message);

/** Serves `/_control/<seg…>`; the paths and JSON shapes are the documented ones. */
export function handleControl(
  control: ArmControl,
  res: ServerResponse,
  method: string,
  seg: string[],
  q: URLSearchParams,
  body: unknown,
): void {
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
    case route === 'POST faults': {
      let rule: FaultRule;
      try {
        rule = control.addFault(b as FaultSpec);
      } catch (err) {
        throw bad(err instanceof Error ? err.message : String(err));
      }
      return sendJson(res, 201, rule);
    }
    case route === 'DELETE faults':
      control.clearFaults();
      return sendJson(res, 204, undefined);
    case route === 'POST run-command-failures':
      if (!Array.isArray(b.instances) || typeof b.exitCode !== 'number') {
        throw bad('instances (string[]) and exitCode (number) are required.');
      }
      control.failRunCommands(b as unknown as RunCommandFailureSpec);
      return sendJson(res, 201, { ok: true });
    case route === 'GET run-commands':
      return sendJson(res, 200, { value: control.runCommands() });
    case route === 'POST endpoint-status': {
      if (typeof b.endpoint !== 'string') throw bad('endpoint (string) is required.');
      const status = b.status === 'Enabled' || b.status === 'Disabled' ? b.status : undefined;
      const profile = typeof b.profile === 'string' ? b.profile : undefined;
      return sendJson(res, 200, control.setEndpointStatus(b.endpoint, status, profile));
    }
    case route === 'POST dns-ttl': {
      if (typeof b.ttl !== 'number') throw bad('ttl (number of seconds) is required.');
      return sendJson(
        res,
        200,
        control.setDnsTtl(b.ttl, typeof b.profile === 'string' ? b.profile : undefined),
      );
    }
    case route === 'POST origin-status': {
      if (typeof b.origin !== 'string') throw bad('origin (string) is required.');
      const state = b.state === 'Enabled' || b.state === 'Disabled' ? b.state : undefined;
      const group = typeof b.originGroup === 'string' ? b.originGroup : undefined;
      return sendJson(res, 200, control.setOriginState(b.origin, state, group));
    }
    case route === 'GET front-door/origin-group':
      return sendJson(res, 200, control.originGroup(q.get('originGroup') ?? undefined));
    case route === 'GET front-door/edge':
      return sendJson(res, 200, control.frontDoorEdge(q.get('originGroup') ?? undefined));
    case route === 'PUT front-door/propagation':
      if (typeof b.propagationMs !== 'number') throw bad('propagationMs (number) is required.');
      control.setFrontDoorPropagationMs(b.propagationMs);
      return sendJson(res, 200, { propagationMs: b.propagationMs });
    case route === 'GET profile':
      return sendJson(res, 200, control.profile(q.get('name') ?? undefined));
    case route === 'POST vms':
      if (typeof b.name !== 'string') throw bad('name (string) is required.');
      return sendJson(res, 201, control.addVm(b as unknown as AddVmSpec));
    case route === 'POST alerts':
      if (typeof b.targetResource !== 'string' || typeof b.rule !== 'string') {
        throw bad('targetResource and rule (strings) are required.');
      }
      return sendJson(res, 201, control.addAlert(b as unknown as AddAlertSpec));
    case method === 'POST' && seg[0] === 'alerts' && seg[2] === 'resolve' && seg.length === 3:
      return sendJson(res, 200, control.resolveAlert(seg[1] ?? ''));
    case route === 'GET role-assignments':
      return sendJson(res, 200, { value: control.roleAssignments() });
    case method === 'DELETE' && seg[0] === 'role-assignments' && seg.length === 2:
      return sendJson(res, 200, control.removeRoleAssignment(seg[1] ?? ''));
    case route === 'POST role-assignments': {
      const fields = ['name', 'principalId', 'roleDefinitionName', 'scope'] as const;
      const missing = fields.filter((f) => typeof b[f] !== 'string');
      if (missing.length > 0) throw bad(`${missing.join(', ')} (strings) are required.`);
      const a = Object.fromEntries(fields.map((f) => [f, String(b[f])])) as unknown as RoleAssignment;
      control.addRoleAssignment(a);
      return sendJson(res, 201, a);
    }
    case route === 'GET state':
      return sendJson(res, 200, control.world());
    default:
      throw new ArmError(404, 'NotFound', `No control route '${route}'.`);
  }
}
