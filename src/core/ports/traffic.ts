/**
 * What a release needs from a traffic provider: the enabled state of the two endpoints its target's slots are
 * (read), and a way to flip one of them (write). Roles, the guard and the read-back are the core's
 * (traffic/roles.ts, traffic/swap.ts), the same for every provider; each provider is one folder under
 * src/adapters, picked per target from its `traffic.kind` by the factory the composition root builds.
 */

/** One endpoint of a target's traffic resource: the thing a slot's traffic goes through. */
export interface EndpointState {
  name: string;
  /** The provider's type of the endpoint (an ARM type), which a write may need. */
  type: string;
  enabled: boolean;
  /** Host name or IP the endpoint points at, when the provider reports one. */
  target?: string;
}

/** A target's traffic configuration: which provider, and that provider's settings (its schema validated them). */
export interface TrafficConfig {
  /** The provider, as the factory knows it. */
  readonly kind: string;
  /** What the provider switches, as errors and logs name it (an ARM ID); derived by the provider's schema. */
  readonly resource: string;
  /** The provider's own settings, as its schema output them. */
  readonly [setting: string]: unknown;
}

/** The traffic resource as a provider reads it. */
export interface TrafficState {
  /** The resource read (as `TrafficConfig.resource`). */
  resource: string;
  /** The DNS name clients resolve and its TTL, for DNS-based providers. */
  fqdn?: string;
  ttl?: number;
  endpoints: EndpointState[];
}

/** One target's traffic provider: reads its endpoints, flips one endpoint's enabled state (nothing else). */
export interface TrafficRouter {
  read(): Promise<TrafficState>;
  /** Writes the endpoint's enabled state only; the endpoint is one `read` returned. */
  setEnabled(endpoint: EndpointState, enabled: boolean): Promise<void>;
}

/** Picks the router for a target's traffic configuration (throws a StepError for a kind it does not know). */
export type TrafficRouters = (traffic: TrafficConfig) => TrafficRouter;
