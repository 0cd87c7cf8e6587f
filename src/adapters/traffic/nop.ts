/**
 * An in-memory traffic provider: the endpoints live in this object, the first slot enabled. For tests and
 * dry runs; it moves no real traffic, so no configuration can select it.
 */
import type { EndpointState, TrafficConfig, TrafficRouter, TrafficRouters } from '../../core/ports/traffic';

/** Routers over in-memory endpoints, one set per traffic resource, created on first read. */
export class InMemoryTraffic {
  private readonly resources = new Map<string, EndpointState[]>();

  constructor(private readonly slots: readonly [string, string] = ['blue', 'green']) {}

  /** The endpoints of `resource` (created with the first slot enabled). */
  endpoints(resource: string): EndpointState[] {
    let found = this.resources.get(resource);
    if (!found) {
      found = this.slots.map((name, i) => ({ name, type: 'in-memory', enabled: i === 0 }));
      this.resources.set(resource, found);
    }
    return found;
  }

  /** The router of one target. */
  router(traffic: TrafficConfig): TrafficRouter {
    return {
      read: async () => ({
        resource: traffic.resource,
        endpoints: this.endpoints(traffic.resource).map((e) => ({ ...e })),
      }),
      setEnabled: async (endpoint, enabled) => {
        const e = this.endpoints(traffic.resource).find((x) => x.name === endpoint.name);
        if (!e) throw new Error(`in-memory traffic: no endpoint ${endpoint.name} in ${traffic.resource}`);
        e.enabled = enabled;
      },
    };
  }

  /** As the activities take it. */
  readonly routers: TrafficRouters = (traffic) => this.router(traffic);
}
