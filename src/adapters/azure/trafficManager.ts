/** TrafficSwitch over @azure/arm-trafficmanager: reads a profile with its endpoints, flips one endpoint's status. */
import type { Endpoint, EndpointType } from '@azure/arm-trafficmanager';
import { StepError } from '../../core/errors';
import type { EndpointState, ProfileState, TrafficSwitch } from '../../core/ports/traffic';
import { expectArmId } from './armId';
import type { AzureClients } from './clients';
import { armCall } from './errors';

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
