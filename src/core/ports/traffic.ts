/** The traffic switch: reads and flips the enabled state of a Traffic Manager profile's endpoints. */

/** One endpoint of a profile. */
export interface EndpointState {
  name: string;
  /** ARM type, e.g. `Microsoft.Network/trafficManagerProfiles/azureEndpoints`. */
  type: string;
  enabled: boolean;
  /** Host name or IP the endpoint points at (read-only for Azure endpoints). */
  target?: string;
}

/** A profile as the switch sees it. */
export interface ProfileState {
  profileId: string;
  fqdn?: string;
  ttl?: number;
  endpoints: EndpointState[];
}

/** Narrow port over Traffic Manager; the swap protocol on top of it lives in the core. */
export interface TrafficSwitch {
  readProfile(profileId: string): Promise<ProfileState>;
  setEndpointEnabled(profileId: string, endpoint: EndpointState, enabled: boolean): Promise<void>;
}
