/**
 * The shape the ARM traffic adapters implement, addressed by resource ID (a Traffic Manager profile, a Front Door
 * origin group), and its binding to one target's `traffic` as the core's TrafficRouter.
 */
import type { EndpointState, TrafficConfig, TrafficRouter } from '../../core/ports/traffic';

/** A provider's resource as its adapter reads it: the resource, its DNS name and TTL if any, its endpoints. */
export interface ProfileState {
  profileId: string;
  fqdn?: string;
  ttl?: number;
  endpoints: EndpointState[];
}

/** Reads and flips the enabled state of the endpoints of a resource, by resource ID. */
export interface TrafficSwitch {
  readProfile(resourceId: string): Promise<ProfileState>;
  setEndpointEnabled(resourceId: string, endpoint: EndpointState, enabled: boolean): Promise<void>;
}

/**
 * The router of one target over a switch: every call goes to `resourceId` (the provider's setting) and reports
 * `traffic.resource`. Methods are looked up at each call, so a test that replaces one on the switch is seen.
 */
export function bindSwitch(sw: TrafficSwitch, resourceId: string, traffic: TrafficConfig): TrafficRouter {
  return {
    async read() {
      const { profileId: _id, ...state } = await sw.readProfile(resourceId);
      return { resource: traffic.resource, ...state };
    },
    setEnabled: (endpoint, enabled) => sw.setEndpointEnabled(resourceId, endpoint, enabled),
  };
}
