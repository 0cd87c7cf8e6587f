/**
 * Microsoft.Cdn: Azure Front Door (Standard/Premium) origin groups and origins, the operations the app's
 * `@azure/arm-cdn` 9.1.0 calls (api-version 2024-02-01): AFDOriginGroups_Get, AFDOrigins_ListByOriginGroup,
 * AFDOrigins_Get, AFDOrigins_Update (PATCH) and AFDOrigins_Create (PUT), with the write's async operation.
 * Shapes follow the REST API spec examples kept in test/fixtures/frontDoor (Azure/azure-rest-api-specs,
 * specification/cdn/resource-manager/Microsoft.Cdn).
 *
 * The edge follows ARM late. Each write is a global configuration deployment that reaches the edge after a
 * propagation delay, and a write made while an earlier one is still propagating is queued behind it. The
 * default delay is Azure's documented figure, FRONT_DOOR_PROPAGATION_MS.
 */
import { randomUUID } from 'node:crypto';
import type { FleetTopology } from '../../contracts';
import type { ArmContext } from '../context';
import { nowIso } from '../context';
import { ArmError, armErrors } from '../errors';
import type { Route, RouteRequest } from '../http';
import { isObject, sendJson } from '../http';
import type {
  AfdDeployment,
  AfdOperationRecord,
  AfdOriginGroupRecord,
  AfdOriginResource,
  AfdProfileRecord,
} from '../state';
import { key } from '../state';
import type { Refuse, Schema } from '../validate';
import { validateBody } from '../validate';

/** Api-versions of Microsoft.Cdn's AFD operations (the SDK's first). */
export const CDN_API_VERSIONS = [
  '2024-02-01',
  '2023-05-01',
  '2024-09-01',
  '2025-04-15',
  '2025-06-01',
] as const;

/**
 * Azure's documented propagation time of one Front Door configuration change: "Configuration propagation
 * times for a single create, update, delete, WAF, and cache purge operation for Azure Front Door and CDN
 * profiles might take up to 20 minutes", and back-to-back changes queue ("approximately 40 minutes").
 * Source: Azure Front Door FAQ, "What is the estimated time for deploying an Azure Front Door?",
 * https://learn.microsoft.com/azure/frontdoor/front-door-faq (MicrosoftDocs/azure-docs
 * articles/frontdoor/front-door-faq.yml, revised from 45 to 20 minutes in commit d1e5b7f).
 */
export const FRONT_DOOR_PROPAGATION_MS = 20 * 60_000;

const PROFILE_TYPE = 'Microsoft.Cdn/profiles';
const GROUP_TYPE = 'Microsoft.Cdn/profiles/origingroups';
const ORIGIN_TYPE = 'Microsoft.Cdn/profiles/origingroups/origins';
const PROFILES =
  '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Cdn/profiles';
const GROUP = `${PROFILES}/{profileName}/originGroups/{originGroupName}`;
const ORIGIN = `${GROUP}/origins/{originName}`;
/** The async operation URL Front Door writes answer with (its segments name what the operation acts on). */
const OPERATION =
  '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Cdn/operationresults/{operationId}/profileresults/{profileName}/origingroupresults/{originGroupName}/originresults/{originName}';

/** RBAC actions of the operations served, as Microsoft.Cdn names them. */
export const FRONT_DOOR_ACTIONS = {
  originGroupRead: 'Microsoft.Cdn/profiles/originGroups/read',
  originRead: 'Microsoft.Cdn/profiles/originGroups/origins/read',
  originWrite: 'Microsoft.Cdn/profiles/originGroups/origins/write',
  operationRead: 'Microsoft.Cdn/operationresults/profileresults/origingroupresults/originresults/read',
} as const;

const str: Schema = { type: 'string' };
const port: Schema = { type: 'integer', min: 1, max: 65535 };
const ref: Schema = { type: 'object', properties: { id: str } };

/** `AFDOriginUpdatePropertiesParameters` (cdn 2024-02-01): the writable origin properties and their ranges. */
const ORIGIN_PROPERTIES: Schema = {
  type: 'object',
  properties: {
    azureOrigin: ref,
    hostName: str,
    httpPort: port,
    httpsPort: port,
    originHostHeader: str,
    priority: { type: 'integer', min: 1, max: 5 },
    weight: { type: 'integer', min: 1, max: 1000 },
    sharedPrivateLinkResource: { type: 'object' },
    enabledState: { type: 'string', enum: ['Enabled', 'Disabled'] },
    enforceCertificateNameCheck: { type: 'boolean' },
  },
};

/** `AFDOriginUpdateParameters` (PATCH) and `AFDOrigin` (PUT; id, name and type are read-only there). */
const ORIGIN_BODY: Schema = {
  type: 'object',
  properties: { id: str, name: str, type: str, properties: ORIGIN_PROPERTIES },
};

/** Microsoft.Cdn's validation refusal: `BadRequest` naming the property. */
const cdnRefusal: Refuse = (message, field) => armErrors.badRequest(message, field);

/** Properties the service owns; a body carrying them is not an error, they are just not taken. */
const READ_ONLY = ['provisioningState', 'deploymentStatus', 'originGroupName'];

/** Where the edge is for an origin group: the states it serves now and the deployments still on their way. */
export interface FrontDoorEdgeView {
  originGroupId: string;
  /** Propagation delay of a write, ms. */
  propagationMs: number;
  /** What the edge serves now: each origin's host, port and the `enabledState` of the deployment in effect. */
  origins: { name: string; hostName: string; httpPort: number; enabledState: string }[];
  /** Deployments queued and not yet effective, oldest first. */
  pending: AfdDeployment[];
}

/** The Front Door module: its routes and what the control API and the local edge need of it. */
export interface FrontDoorModule {
  routes: Route[];
  /** Seeds the profile and origin group the topology describes (kept as they are across restarts). */
  reconcile(topology: FleetTopology): void;
  /** An origin group by ARM ID or name (the first when omitted). */
  findOriginGroup(idOrName?: string): AfdOriginGroupRecord;
  /** Someone else changes an origin (flips it when `state` is omitted); queued to the edge like any write. */
  setOriginState(origin: string, state?: 'Enabled' | 'Disabled', originGroup?: string): AfdOriginResource;
  /** What the edge serves at `nowMs` (default now). */
  edge(originGroup?: string, nowMs?: number): FrontDoorEdgeView;
  propagationMs(): number;
  /** Changes the propagation delay of later writes (tests, the local stack). */
  setPropagationMs(ms: number): void;
}

/** Names of the Front Door resources the local world seeds for a topology. */
export function localFrontDoorNames(topology: FleetTopology): { profile: string; originGroup: string } {
  return { profile: `afd-${topology.profileName}`, originGroup: 'slots' };
}

/** ARM ID of the seeded origin group of a topology (what a `frontDoor` target names as `originGroupId`). */
export function localOriginGroupId(topology: FleetTopology): string {
  const n = localFrontDoorNames(topology);
  return `/subscriptions/${topology.subscriptionId}/resourceGroups/${topology.resourceGroup}/providers/${PROFILE_TYPE}/${n.profile}/originGroups/${n.originGroup}`;
}

/** Builds the module over the shared context; `propagationMs` defaults to Azure's documented figure. */
export function frontDoor(
  ctx: ArmContext,
  options: { propagationMs?: number; now?: () => number } = {},
): FrontDoorModule {
  const now = options.now ?? Date.now;
  let propagation = options.propagationMs ?? FRONT_DOOR_PROPAGATION_MS;
  const fd = (ctx.world.frontDoor ??= { profiles: {}, originGroups: {}, operations: {} });

  const profileId = (rg: string, name: string): string => `${ctx.rgId(rg)}/providers/${PROFILE_TYPE}/${name}`;

  const profileOf = (rg: string, name: string): AfdProfileRecord => {
    const canonical = ctx.findRg(rg);
    const p = fd.profiles[key(profileId(canonical, name))];
    if (!p) throw armErrors.resourceNotFound(PROFILE_TYPE, name, rg);
    return p;
  };

  const groupOf = (params: Record<string, string>): AfdOriginGroupRecord => {
    const rg = params.resourceGroupName ?? '';
    const p = profileOf(rg, params.profileName ?? '');
    const name = params.originGroupName ?? '';
    const g = fd.originGroups[key(`${p.id}/originGroups/${name}`)];
    if (!g) throw armErrors.resourceNotFound(`${PROFILE_TYPE}/${p.name}/originGroups`, name, rg);
    return g;
  };

  const originIndex = (g: AfdOriginGroupRecord, name: string): number =>
    g.origins.findIndex((o) => o.name.toLowerCase() === name.toLowerCase());

  /** Index of the deployment the edge serves at `t` (the newest already effective). */
  const inEffect = (g: AfdOriginGroupRecord, t: number): number => {
    let current = 0;
    g.deployments.forEach((d, i) => {
      if (d.effectiveAtMs <= t) current = i;
    });
    return current;
  };

  /** Drops deployments superseded by one already effective, and refreshes each origin's deploymentStatus. */
  const settle = (g: AfdOriginGroupRecord): void => {
    const t = now();
    const current = inEffect(g, t);
    if (current > 0) g.deployments.splice(0, current);
    const pendingNames = new Set<string>();
    for (const d of g.deployments.slice(1)) d.changed.forEach((n) => pendingNames.add(n.toLowerCase()));
    // deploymentStatus tells whether the edge already serves an origin's last write.
    for (const o of g.origins) {
      if (pendingNames.has(o.name.toLowerCase())) o.properties.deploymentStatus = 'InProgress';
      else if (o.properties.deploymentStatus === 'InProgress') o.properties.deploymentStatus = 'Succeeded';
    }
  };

  /** Queues the group's new state to the edge: effective one delay after the previous deployment lands. */
  const deploy = (g: AfdOriginGroupRecord, changed: string[]): void => {
    const t = now();
    settle(g);
    const last = g.deployments.at(-1);
    const enabledStates: Record<string, string> = {};
    for (const o of g.origins) enabledStates[o.name] = String(o.properties.enabledState ?? 'Enabled');
    g.deployments.push({
      seq: (last?.seq ?? 0) + 1,
      submittedAtMs: t,
      effectiveAtMs: Math.max(t, last?.effectiveAtMs ?? 0) + propagation,
      changed,
      enabledStates,
    });
    settle(g);
  };

  const view = (g: AfdOriginGroupRecord): AfdOriginGroupRecord => {
    settle(g);
    return g;
  };

  /** The origin group resource as AFDOriginGroups_Get answers it (origins are a child collection). */
  const groupBody = (g: AfdOriginGroupRecord) => ({
    id: g.id,
    type: g.type,
    name: g.name,
    properties: g.properties,
  });

  /** The origin `params` names in `g` (its index), or ARM's 404 for it. */
  const existing = (g: AfdOriginGroupRecord, params: Record<string, string>): number => {
    const i = originIndex(g, params.originName ?? '');
    if (i < 0) {
      throw armErrors.resourceNotFound(
        `${GROUP_TYPE}/${g.name}/origins`,
        params.originName ?? '',
        params.resourceGroupName,
      );
    }
    return i;
  };

  /**
   * The end of a write (PATCH, PUT) once `o` is in place: queued to the edge, saved, and answered with the origin
   * (provisioningState Updating) and where to poll the operation.
   */
  const answerWrite = (
    { res, host, params }: RouteRequest,
    g: AfdOriginGroupRecord,
    o: AfdOriginResource,
    status: number,
  ): void => {
    deploy(g, [o.name]);
    ctx.save();
    const rg = params.resourceGroupName ?? '';
    const op: AfdOperationRecord = {
      id: randomUUID(),
      status: 'Succeeded',
      resourceId: o.id,
      startTime: nowIso(),
      endTime: nowIso(),
    };
    fd.operations[op.id] = op;
    const url = `https://${host}${ctx.rgId(rg)}/providers/Microsoft.Cdn/operationresults/${op.id}/profileresults/${g.profileName}/origingroupresults/${g.name}/originresults/${o.name}?api-version=${CDN_API_VERSIONS[0]}`;
    sendJson(
      res,
      status,
      { ...o, properties: { ...o.properties, provisioningState: 'Updating' } },
      { 'Azure-AsyncOperation': url, Location: url },
    );
  };

  /** Validates a write's body; read-only properties are dropped, as the service ignores them. */
  const writable = (body: unknown): Record<string, unknown> => {
    validateBody(body, ORIGIN_BODY, cdnRefusal);
    if (!isObject(body)) throw armErrors.badRequest('The request body must be an origin.');
    const props = isObject(body.properties) ? { ...body.properties } : {};
    for (const k of READ_ONLY) delete props[k];
    for (const [k, v] of Object.entries(props)) if (v === null) delete props[k];
    return props;
  };

  const routes: Route[] = [
    {
      method: 'GET',
      pattern: GROUP,
      apiVersions: CDN_API_VERSIONS,
      action: FRONT_DOOR_ACTIONS.originGroupRead,
      handle: ({ res, params }) => sendJson(res, 200, groupBody(view(groupOf(params)))),
    },
    {
      method: 'GET',
      pattern: `${GROUP}/origins`,
      apiVersions: CDN_API_VERSIONS,
      action: FRONT_DOOR_ACTIONS.originRead,
      handle: ({ res, params }) => sendJson(res, 200, { value: view(groupOf(params)).origins }),
    },
    {
      method: 'GET',
      pattern: ORIGIN,
      apiVersions: CDN_API_VERSIONS,
      action: FRONT_DOOR_ACTIONS.originRead,
      handle: ({ res, params }) => {
        const g = view(groupOf(params));
        sendJson(res, 200, g.origins[existing(g, params)]);
      },
    },
    {
      method: 'PATCH',
      pattern: ORIGIN,
      apiVersions: CDN_API_VERSIONS,
      action: FRONT_DOOR_ACTIONS.originWrite,
      handle: (r) => {
        const g = groupOf(r.params);
        // A missing origin is a 404 before its body is looked at.
        const current = g.origins[existing(g, r.params)] as AfdOriginResource;
        const props = writable(r.body);
        // PATCH merges: the properties not sent keep their values (hostName, ports, priority, ...).
        current.properties = { ...current.properties, ...props, provisioningState: 'Succeeded' };
        answerWrite(r, g, current, 202);
      },
    },
    {
      method: 'PUT',
      pattern: ORIGIN,
      apiVersions: CDN_API_VERSIONS,
      action: FRONT_DOOR_ACTIONS.originWrite,
      handle: (r) => {
        const g = groupOf(r.params);
        const name = r.params.originName ?? '';
        const props = writable(r.body);
        if (typeof props.hostName !== 'string' || props.hostName.length === 0) {
          throw armErrors.badRequest(
            "Required property 'properties.hostName' is missing.",
            'properties.hostName',
          );
        }
        const i = originIndex(g, name);
        // PUT replaces the origin; unset properties take the service's defaults.
        const origin: AfdOriginResource = {
          id: `${g.id}/origins/${name}`,
          type: ORIGIN_TYPE,
          name,
          properties: {
            httpPort: 80,
            httpsPort: 443,
            originHostHeader: props.hostName,
            priority: 1,
            weight: 1000,
            enabledState: 'Enabled',
            enforceCertificateNameCheck: true,
            sharedPrivateLinkResource: null,
            ...props,
            provisioningState: 'Succeeded',
            deploymentStatus: 'NotStarted',
            originGroupName: g.name,
          },
        };
        if (i >= 0) g.origins[i] = origin;
        else g.origins.push(origin);
        answerWrite(r, g, origin, i >= 0 ? 200 : 201);
      },
    },
    {
      method: 'GET',
      pattern: OPERATION,
      apiVersions: CDN_API_VERSIONS,
      action: FRONT_DOOR_ACTIONS.operationRead,
      handle: ({ res, params }) => {
        const op = fd.operations[params.operationId ?? ''];
        if (!op) throw armErrors.notFound(`The operation '${params.operationId}' could not be found.`);
        sendJson(res, 200, {
          id: `${ctx.rgId(params.resourceGroupName ?? '')}/providers/Microsoft.Cdn/operationresults/${op.id}`,
          name: op.id,
          status: op.status,
          startTime: op.startTime,
          ...(op.endTime ? { endTime: op.endTime } : {}),
          error: null,
        });
      },
    },
  ];

  const findOriginGroup = (idOrName?: string): AfdOriginGroupRecord => {
    const groups = Object.values(fd.originGroups);
    const g = !idOrName
      ? groups[0]
      : (fd.originGroups[key(idOrName)] ??
        groups.find((x) => x.name.toLowerCase() === idOrName.toLowerCase()));
    if (!g) throw armErrors.resourceNotFound(GROUP_TYPE, idOrName ?? '');
    return g;
  };

  return {
    routes,
    reconcile: (topology) => {
      const rg = topology.resourceGroup;
      const names = localFrontDoorNames(topology);
      const pid = profileId(rg, names.profile);
      fd.profiles[key(pid)] ??= {
        id: pid,
        name: names.profile,
        resourceGroup: rg,
        sku: 'Standard_AzureFrontDoor',
      };
      const gid = `${pid}/originGroups/${names.originGroup}`;
      const existing = fd.originGroups[key(gid)];
      if (existing) {
        // The fleet owns the addresses; which origin is enabled is kept (a restart never flips traffic).
        for (const slot of topology.slots) {
          const o = existing.origins.find((x) => x.name.toLowerCase() === slot.name.toLowerCase());
          if (o) Object.assign(o.properties, { hostName: slot.endpointTarget, httpPort: slot.port });
        }
        return;
      }
      const enabledIndex = Math.max(
        0,
        topology.slots.findIndex((s) => s.name === 'blue'),
      );
      const origins: AfdOriginResource[] = topology.slots.map((s, i) => ({
        id: `${gid}/origins/${s.name}`,
        type: ORIGIN_TYPE,
        name: s.name,
        properties: {
          hostName: s.endpointTarget,
          httpPort: s.port,
          httpsPort: 443,
          originHostHeader: s.endpointTarget,
          priority: 1,
          weight: 1000,
          enabledState: i === enabledIndex ? 'Enabled' : 'Disabled',
          provisioningState: 'Succeeded',
          deploymentStatus: 'NotStarted',
          originGroupName: names.originGroup,
          sharedPrivateLinkResource: null,
          enforceCertificateNameCheck: true,
        },
      }));
      fd.originGroups[key(gid)] = {
        id: gid,
        name: names.originGroup,
        type: GROUP_TYPE,
        profileName: names.profile,
        properties: {
          loadBalancingSettings: {
            sampleSize: 4,
            successfulSamplesRequired: 3,
            additionalLatencyInMilliseconds: 50,
          },
          healthProbeSettings: {
            probePath: '/health',
            probeRequestType: 'GET',
            probeProtocol: 'Http',
            probeIntervalInSeconds: 100,
          },
          responseBasedAfdOriginErrorDetectionSettings: null,
          trafficRestorationTimeToHealedOrNewEndpointsInMinutes: 10,
          sessionAffinityState: 'Disabled',
          provisioningState: 'Succeeded',
          deploymentStatus: 'NotStarted',
        },
        origins,
        // The seeded state is what the edge serves from the start.
        deployments: [
          {
            seq: 0,
            submittedAtMs: 0,
            effectiveAtMs: 0,
            changed: [],
            enabledStates: Object.fromEntries(
              origins.map((o) => [o.name, String(o.properties.enabledState)]),
            ),
          },
        ],
      };
    },
    findOriginGroup,
    setOriginState: (originName, state, group) => {
      const g = findOriginGroup(group);
      const o = g.origins.find((x) => x.name.toLowerCase() === originName.toLowerCase());
      if (!o) throw armErrors.notFound(`Origin group ${g.name} has no origin '${originName}'.`);
      o.properties.enabledState = state ?? (o.properties.enabledState === 'Enabled' ? 'Disabled' : 'Enabled');
      deploy(g, [o.name]);
      ctx.save();
      return o;
    },
    edge: (group, nowMs) => {
      const g = findOriginGroup(group);
      settle(g);
      const t = nowMs ?? now();
      const at = inEffect(g, t);
      const served = g.deployments[at];
      return {
        originGroupId: g.id,
        propagationMs: propagation,
        origins: g.origins.map((o) => ({
          name: o.name,
          hostName: String(o.properties.hostName ?? ''),
          httpPort: Number(o.properties.httpPort ?? 80),
          // An origin added after the deployment in effect is not at the edge yet: it serves nothing.
          enabledState: served?.enabledStates[o.name] ?? 'Disabled',
        })),
        pending: g.deployments.slice(at + 1),
      };
    },
    propagationMs: () => propagation,
    setPropagationMs: (ms) => {
      if (!Number.isInteger(ms) || ms < 0) {
        throw new ArmError(400, 'BadRequest', `propagationMs must be a whole number of ms >= 0, not ${ms}.`);
      }
      propagation = ms;
    },
  };
}
