/**
 * The Traffic Manager provider: a target's two slots are two endpoints of one profile, a slot serves when its
 * endpoint's `endpointStatus` is `Enabled`. Its configuration (`traffic: { kind: "trafficManager", profileId }`)
 * and its switch over @azure/arm-trafficmanager, which reads a profile with its endpoints and flips one
 * endpoint's status.
 */
import type { Endpoint, EndpointType } from '@azure/arm-trafficmanager';
import { z } from 'zod';
import { RESOURCE_GROUP_ID } from '../../core/config/arm';
import { armResourceId } from '../../core/config/traffic';
import { StepError } from '../../core/errors';
import type { EndpointState, TrafficConfig } from '../../core/ports/traffic';
import { expectArmId } from '../azure/armId';
import type { AzureClients } from '../azure/clients';
import { armCall } from '../azure/errors';
import type { TrafficProvider } from '../traffic/factory';
import { bindSwitch, type ProfileState, type TrafficSwitch } from '../traffic/router';

/** The kind a target's `traffic` names. */
export const TRAFFIC_MANAGER_KIND = 'trafficManager';

/** A Traffic Manager profile ID. */
export const PROFILE_ID_PATTERN = new RegExp(
  `${RESOURCE_GROUP_ID}/providers/Microsoft\\.Network/trafficManagerProfiles/[^/]+$`,
  'i',
);
export const PROFILE_ID_EXAMPLE =
  '/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Network/trafficManagerProfiles/<name>';

/** `traffic` of a Traffic Manager target, as configuration outputs it. */
export interface TrafficManagerConfig extends TrafficConfig {
  readonly kind: typeof TRAFFIC_MANAGER_KIND;
  readonly profileId: string;
}

/** The schema case: `{ kind: "trafficManager", profileId }`, the profile being the resource. */
export const trafficManagerSchema = z
  .strictObject({
    kind: z.literal(TRAFFIC_MANAGER_KIND),
    profileId: armResourceId(PROFILE_ID_PATTERN, PROFILE_ID_EXAMPLE),
  })
  .transform((t): TrafficManagerConfig => ({ ...t, resource: t.profileId }));

const ENDPOINT_TYPES: Record<string, EndpointType> = {
  azureendpoints: 'AzureEndpoints',
  externalendpoints: 'ExternalEndpoints',
  nestedendpoints: 'NestedEndpoints',
};

/** The SDK's endpointType path value for an endpoint's ARM type (`.../azureEndpoints` → `AzureEndpoints`). */
export function endpointTypeOf(type: string): EndpointType | undefined {
  return ENDPOINT_TYPES[(type.split('/').pop() ?? '').toLowerCase()];
}

function profileParts(profileId: string, step: string) {
  try {
    const p = expectArmId(profileId, 'Microsoft.Network', ['trafficManagerProfiles']);
    return { subscriptionId: p.subscriptionId, resourceGroup: p.resourceGroup, name: p.path[0]?.[1] ?? '' };
  } catch (err) {
    throw new StepError({ step, resource: profileId, cause: err, transient: false });
  }
}

function toState(e: Endpoint): EndpointState {
  return {
    name: e.name ?? '',
    type: e.type ?? '',
    enabled: e.endpointStatus === 'Enabled',
    ...(e.target ? { target: e.target } : {}),
  };
}

/** Builds the TrafficSwitch. This app owns only `endpointStatus` at runtime; every other field is left as found. */
export function createTrafficSwitch(clients: AzureClients): TrafficSwitch {
  return {
    async readProfile(profileId: string): Promise<ProfileState> {
      const { subscriptionId, resourceGroup, name } = profileParts(profileId, 'read-profile');
      const profile = await armCall('read-profile', profileId, () =>
        clients.trafficManager(subscriptionId).profiles.get(resourceGroup, name),
      );
      return {
        profileId,
        ...(profile.dnsConfig?.fqdn ? { fqdn: profile.dnsConfig.fqdn } : {}),
        ...(profile.dnsConfig?.ttl !== undefined ? { ttl: profile.dnsConfig.ttl } : {}),
        endpoints: (profile.endpoints ?? []).map(toState),
      };
    },

    async setEndpointEnabled(profileId: string, endpoint: EndpointState, enabled: boolean): Promise<void> {
      const step = enabled ? 'enable-endpoint' : 'disable-endpoint';
      const { subscriptionId, resourceGroup, name } = profileParts(profileId, step);
      const endpointId = `${profileId}/${endpoint.type.split('/').pop() ?? ''}/${endpoint.name}`;
      const type = endpointTypeOf(endpoint.type);
      if (!type) {
        throw new StepError({
          step,
          resource: endpointId,
          cause: `unknown endpoint type '${endpoint.type}'`,
          transient: false,
        });
      }
      // PATCH carries endpointStatus only: a PUT would overwrite fields (target, priority, ...) this app does not own.
      const patch = { endpointStatus: enabled ? 'Enabled' : 'Disabled' } as const;
      await armCall(step, endpointId, () => {
        const endpoints = clients.trafficManager(subscriptionId).endpoints;
        return endpoints.update(resourceGroup, name, type, endpoint.name, patch);
      });
    },
  };
}

/** The provider, as the traffic factory lists it. */
export const trafficManagerProvider: TrafficProvider = {
  kind: TRAFFIC_MANAGER_KIND,
  label: 'Traffic Manager',
  schema: trafficManagerSchema,
  router(clients, traffic) {
    const { profileId } = traffic;
    if (typeof profileId !== 'string') {
      throw new StepError({
        step: 'traffic',
        resource: traffic.resource,
        cause: 'no profileId',
        transient: false,
      });
    }
    return bindSwitch(createTrafficSwitch(clients), profileId, traffic);
  },
};
