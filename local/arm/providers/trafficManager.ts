/** Microsoft.Network/trafficManagerProfiles (api-version 2022-04-01, @azure/arm-trafficmanager 6.1.0). */
import type { ArmContext } from '../context';
import { armErrors } from '../errors';
import type { Route } from '../http';
import { isObject, sendJson } from '../http';
import type { EndpointResource, ProfileResource } from '../state';
import { key } from '../state';
import {
  checkUniquePriorities,
  ENDPOINT,
  PROFILE as PROFILE_SCHEMA,
  trafficManagerRefusal,
  validateBody,
} from '../validate';

/** Api-versions of Microsoft.Network's Traffic Manager (the SDK's first). */
export const NETWORK_API_VERSIONS = ['2022-04-01', '2018-08-01', '2018-04-01'] as const;

const TYPE = 'Microsoft.Network/trafficManagerProfiles';
const PROFILE =
  '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/trafficmanagerprofiles';
const ENDPOINT_TYPES = ['azureendpoints', 'externalendpoints', 'nestedendpoints'];

/** The Traffic Manager module: its routes and what the control API needs of it. */
export interface TrafficManagerModule {
  routes: Route[];
  /** A profile by name (the first when omitted), for the control API. */
  findProfile(name?: string): ProfileResource;
  /** Someone else changes an endpoint: sets its status (flips it when `status` is omitted). */
  setEndpointStatus(
    endpoint: string,
    status?: 'Enabled' | 'Disabled',
    profileName?: string,
  ): EndpointResource;
  /** The infrastructure changes the profile's DNS TTL (what its name servers answer with), in seconds. */
  setDnsTtl(ttl: number, profileName?: string): ProfileResource;
}

function mergeDeep(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    if (isObject(v) && isObject(target[k])) mergeDeep(target[k] as Record<string, unknown>, v);
    else if (v !== undefined) target[k] = v;
  }
}

function canonicalEndpointType(lower: string): string {
  return lower === 'azureendpoints'
    ? 'azureEndpoints'
    : lower === 'externalendpoints'
      ? 'externalEndpoints'
      : 'nestedEndpoints';
}

/** Endpoint status and profile monitor status follow `endpointStatus` (the stand-in probes nothing). */
export function refreshMonitorStatus(p: ProfileResource): void {
  for (const ep of p.properties.endpoints) {
    ep.properties.endpointMonitorStatus = ep.properties.endpointStatus === 'Enabled' ? 'Online' : 'Disabled';
  }
  const monitor = p.properties.monitorConfig as Record<string, unknown> | undefined;
  if (monitor) {
    monitor.profileMonitorStatus = p.properties.endpoints.some(
      (e) => e.properties.endpointStatus === 'Enabled',
    )
      ? 'Online'
      : 'Inactive';
  }
}

/**
 * An endpoint as Traffic Manager stores it: `id`, `name` and `type` from the path, and the defaults the service
 * fills (`endpointStatus` Enabled, `weight` 1, `priority` the next free one, as "Traffic Manager routing
 * methods" documents for endpoints added without one).
 */
function endpointFromBody(
  profileId: string,
  e: Record<string, unknown>,
  nextPriority: () => number,
): EndpointResource {
  const typeTail =
    String(e.type ?? `${TYPE}/externalEndpoints`)
      .split('/')
      .pop() ?? '';
  const type = canonicalEndpointType(typeTail.toLowerCase());
  const name = String(e.name ?? '');
  const props = isObject(e.properties) ? { ...e.properties } : {};
  return {
    id: `${profileId}/${type}/${name}`,
    name,
    type: `${TYPE}/${type}`,
    properties: {
      endpointStatus: 'Enabled',
      weight: 1,
      ...props,
      priority: typeof props.priority === 'number' ? props.priority : nextPriority(),
    },
  };
}

/** A priority allocator: the lowest value above every priority given or allocated so far. */
function priorities(taken: unknown[]): () => number {
  let max = Math.max(0, ...taken.filter((p): p is number => typeof p === 'number'));
  return () => ++max;
}

/** An external endpoint needs the address Traffic Manager answers with. */
function requireTarget(ep: EndpointResource): void {
  if (ep.type.endsWith('/externalEndpoints') && typeof ep.properties.target !== 'string') {
    throw armErrors.badRequest(
      `Endpoint '${ep.name}': 'properties.target' is required for external endpoints.`,
      'properties.target',
    );
  }
}

/** Builds the module over the shared context. */
export function trafficManager(ctx: ArmContext): TrafficManagerModule {
  const { world } = ctx;
  const apiVersions = NETWORK_API_VERSIONS;

  const profileId = (rg: string, name: string): string => `${ctx.rgId(rg)}/providers/${TYPE}/${name}`;

  const profileById = (rg: string, name: string): ProfileResource => {
    ctx.findRg(rg);
    const p = world.profiles[key(profileId(rg, name))];
    if (!p) throw armErrors.resourceNotFound(TYPE, name, rg);
    return p;
  };

  /** The endpoint type segment, canonical, or 400 as Traffic Manager answers an unknown type. */
  const endpointType = (given: string): string => {
    const lower = given.toLowerCase();
    if (!ENDPOINT_TYPES.includes(lower)) throw armErrors.badRequest(`Unknown endpoint type '${given}'.`);
    return lower;
  };

  const findEndpoint = (p: ProfileResource, type: string, epName: string): number =>
    p.properties.endpoints.findIndex(
      (e) => e.name.toLowerCase() === epName.toLowerCase() && e.type.toLowerCase().endsWith(`/${type}`),
    );

  const endpointAction = (verb: string) => (params: Record<string, string>) =>
    `${TYPE}/${canonicalEndpointType((params.endpointType ?? '').toLowerCase())}/${verb}`;

  const routes: Route[] = [
    {
      method: 'GET',
      pattern: '/subscriptions/{subscriptionId}/providers/Microsoft.Network/trafficmanagerprofiles',
      apiVersions,
      action: `${TYPE}/read`,
      handle: ({ res }) => sendJson(res, 200, { value: Object.values(world.profiles) }),
    },
    {
      method: 'GET',
      pattern: PROFILE,
      apiVersions,
      action: `${TYPE}/read`,
      handle: ({ res, params }) => {
        const rg = params.resourceGroupName ?? '';
        ctx.findRg(rg);
        const prefix = key(`${ctx.rgId(rg)}/providers/${TYPE}/`);
        sendJson(res, 200, {
          value: Object.entries(world.profiles)
            .filter(([k]) => k.startsWith(prefix))
            .map(([, p]) => p),
        });
      },
    },
    {
      method: 'GET',
      pattern: `${PROFILE}/{profileName}`,
      apiVersions,
      action: `${TYPE}/read`,
      handle: ({ res, params }) =>
        sendJson(res, 200, profileById(params.resourceGroupName ?? '', params.profileName ?? '')),
    },
    {
      method: 'PUT',
      pattern: `${PROFILE}/{profileName}`,
      apiVersions,
      action: `${TYPE}/write`,
      handle: ({ res, params, body }) => {
        const rg = params.resourceGroupName ?? '';
        const name = params.profileName ?? '';
        ctx.findRg(rg);
        validateBody(body, PROFILE_SCHEMA, trafficManagerRefusal);
        if (!isObject(body)) throw armErrors.badRequest('The request body must be a profile.');
        const id = profileId(rg, name);
        const existed = world.profiles[key(id)] !== undefined;
        const props = isObject(body.properties) ? body.properties : {};
        const endpoints = Array.isArray(props.endpoints) ? props.endpoints : [];
        const dns = isObject(props.dnsConfig) ? props.dnsConfig : {};
        const profile: ProfileResource = {
          id,
          name,
          type: TYPE,
          location: typeof body.location === 'string' ? body.location : 'global',
          tags: isObject(body.tags) ? (body.tags as Record<string, string>) : {},
          properties: {
            profileStatus: 'Enabled',
            ...props,
            dnsConfig: {
              ...dns,
              fqdn: `${typeof dns.relativeName === 'string' ? dns.relativeName : name}.trafficmanager.net`,
            },
            endpoints: [],
          },
        };
        const given = endpoints.filter(isObject);
        const next = priorities(
          given.map((e) => (isObject(e.properties) ? e.properties.priority : undefined)),
        );
        profile.properties.endpoints = given.map((e) => endpointFromBody(id, e, next));
        profile.properties.endpoints.forEach(requireTarget);
        checkUniquePriorities(profile.properties.endpoints);
        refreshMonitorStatus(profile);
        world.profiles[key(id)] = profile;
        ctx.save();
        sendJson(res, existed ? 200 : 201, profile);
      },
    },
    {
      method: 'PATCH',
      pattern: `${PROFILE}/{profileName}`,
      apiVersions,
      action: `${TYPE}/write`,
      handle: ({ res, params, body }) => {
        const current = profileById(params.resourceGroupName ?? '', params.profileName ?? '');
        validateBody(body, PROFILE_SCHEMA, trafficManagerRefusal);
        if (!isObject(body)) throw armErrors.badRequest('The request body must be a profile.');
        // Changes apply to a copy, committed only once every rule holds: a refused PATCH changes nothing.
        const p = structuredClone(current);
        if (isObject(body.tags)) p.tags = body.tags as Record<string, string>;
        if (isObject(body.properties)) {
          const { endpoints, ...others } = body.properties;
          mergeDeep(p.properties, others);
          if (Array.isArray(endpoints)) {
            const given = endpoints.filter(isObject);
            const next = priorities(
              given.map((e) => (isObject(e.properties) ? e.properties.priority : undefined)),
            );
            p.properties.endpoints = given.map((e) => endpointFromBody(p.id, e, next));
            p.properties.endpoints.forEach(requireTarget);
          }
        }
        checkUniquePriorities(p.properties.endpoints);
        refreshMonitorStatus(p);
        world.profiles[key(p.id)] = p;
        ctx.save();
        sendJson(res, 200, p);
      },
    },
    {
      method: 'DELETE',
      pattern: `${PROFILE}/{profileName}`,
      apiVersions,
      action: `${TYPE}/delete`,
      handle: ({ res, params }) => {
        const p = profileById(params.resourceGroupName ?? '', params.profileName ?? '');
        delete world.profiles[key(p.id)];
        ctx.save();
        sendJson(res, 200, undefined);
      },
    },
    {
      method: 'GET',
      pattern: `${PROFILE}/{profileName}/{endpointType}/{endpointName}`,
      apiVersions,
      action: endpointAction('read'),
      handle: ({ res, params }) => {
        const type = endpointType(params.endpointType ?? '');
        const p = profileById(params.resourceGroupName ?? '', params.profileName ?? '');
        const idx = findEndpoint(p, type, params.endpointName ?? '');
        if (idx < 0)
          throw armErrors.resourceNotFound(
            `${TYPE}/${params.profileName}/${params.endpointType}`,
            params.endpointName ?? '',
            params.resourceGroupName,
          );
        sendJson(res, 200, p.properties.endpoints[idx]);
      },
    },
    {
      method: 'PUT',
      pattern: `${PROFILE}/{profileName}/{endpointType}/{endpointName}`,
      apiVersions,
      action: endpointAction('write'),
      handle: ({ res, params, body }) => {
        const type = endpointType(params.endpointType ?? '');
        const p = profileById(params.resourceGroupName ?? '', params.profileName ?? '');
        const epName = params.endpointName ?? '';
        const idx = findEndpoint(p, type, epName);
        validateBody(body, ENDPOINT, trafficManagerRefusal);
        if (!isObject(body)) throw armErrors.badRequest('The request body must be an endpoint.');
        const others = p.properties.endpoints.filter((_, i) => i !== idx);
        const ep = endpointFromBody(
          p.id,
          { ...body, name: epName, type: `${TYPE}/${canonicalEndpointType(type)}` },
          priorities(others.map((e) => e.properties.priority)),
        );
        requireTarget(ep);
        const endpoints =
          idx >= 0 ? p.properties.endpoints.map((e, i) => (i === idx ? ep : e)) : [...others, ep];
        checkUniquePriorities(endpoints);
        p.properties.endpoints = endpoints;
        refreshMonitorStatus(p);
        ctx.save();
        sendJson(res, idx >= 0 ? 200 : 201, ep);
      },
    },
    {
      method: 'PATCH',
      pattern: `${PROFILE}/{profileName}/{endpointType}/{endpointName}`,
      apiVersions,
      action: endpointAction('write'),
      handle: ({ res, params, body }) => {
        const type = endpointType(params.endpointType ?? '');
        const p = profileById(params.resourceGroupName ?? '', params.profileName ?? '');
        const idx = findEndpoint(p, type, params.endpointName ?? '');
        if (idx < 0)
          throw armErrors.resourceNotFound(
            `${TYPE}/${params.profileName}/${params.endpointType}`,
            params.endpointName ?? '',
            params.resourceGroupName,
          );
        validateBody(body, ENDPOINT, trafficManagerRefusal);
        const ep = structuredClone(p.properties.endpoints[idx] as EndpointResource);
        const props = isObject(body) && isObject(body.properties) ? body.properties : {};
        mergeDeep(ep.properties, props);
        const endpoints = p.properties.endpoints.map((e, i) => (i === idx ? ep : e));
        checkUniquePriorities(endpoints);
        p.properties.endpoints = endpoints;
        refreshMonitorStatus(p);
        ctx.save();
        sendJson(res, 200, ep);
      },
    },
    {
      method: 'DELETE',
      pattern: `${PROFILE}/{profileName}/{endpointType}/{endpointName}`,
      apiVersions,
      action: endpointAction('delete'),
      handle: ({ res, params }) => {
        const type = endpointType(params.endpointType ?? '');
        const p = profileById(params.resourceGroupName ?? '', params.profileName ?? '');
        const idx = findEndpoint(p, type, params.endpointName ?? '');
        if (idx >= 0) p.properties.endpoints.splice(idx, 1);
        refreshMonitorStatus(p);
        ctx.save();
        sendJson(res, idx >= 0 ? 200 : 204, undefined);
      },
    },
  ];

  const findProfile = (name?: string): ProfileResource => {
    const profiles = Object.values(world.profiles);
    const p = name ? profiles.find((x) => x.name.toLowerCase() === name.toLowerCase()) : profiles[0];
    if (!p) throw armErrors.resourceNotFound(TYPE, name ?? '');
    return p;
  };

  return {
    routes,
    findProfile,
    setEndpointStatus: (endpoint, status, profileName) => {
      const p = findProfile(profileName);
      const ep = p.properties.endpoints.find((e) => e.name.toLowerCase() === endpoint.toLowerCase());
      if (!ep) throw armErrors.notFound(`Profile ${p.name} has no endpoint '${endpoint}'.`);
      ep.properties.endpointStatus =
        status ?? (ep.properties.endpointStatus === 'Enabled' ? 'Disabled' : 'Enabled');
      refreshMonitorStatus(p);
      ctx.save();
      return ep;
    },
    setDnsTtl: (ttl, profileName) => {
      // Traffic Manager's range for dnsConfig.ttl: 0 to 2147483647 seconds.
      if (!Number.isInteger(ttl) || ttl < 0 || ttl > 2_147_483_647) {
        throw armErrors.badRequest(`ttl must be a whole number of seconds from 0 to 2147483647, not ${ttl}.`);
      }
      const p = findProfile(profileName);
      p.properties.dnsConfig = { ...(p.properties.dnsConfig as Record<string, unknown>), ttl };
      ctx.save();
      return p;
    },
  };
}
