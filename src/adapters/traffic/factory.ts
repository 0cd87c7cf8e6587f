/**
 * Picks each target's traffic provider from its `traffic.kind`: one module per provider (its folder under
 * src/adapters), each giving its configuration schema and its router. Adding a provider is one entry here.
 */
import type { TrafficKind } from '../../core/config/traffic';
import { StepError } from '../../core/errors';
import type { TrafficConfig, TrafficRouter, TrafficRouters } from '../../core/ports/traffic';
import type { AzureClients } from '../azure/clients';
import { frontDoorProvider } from '../frontDoor/provider';
import { trafficManagerProvider } from '../trafficManager';

/** A traffic provider: its kind and schema (for configuration) and how it builds one target's router. */
export interface TrafficProvider extends TrafficKind {
  /** The router of one target, whose `traffic` this provider's schema output. Builds nothing up front. */
  router(clients: AzureClients, traffic: TrafficConfig): TrafficRouter;
}

/** The providers a target may name, in the order error messages list them. */
export const TRAFFIC_PROVIDERS: readonly TrafficProvider[] = [trafficManagerProvider, frontDoorProvider];

/** A traffic kind's name as people read it: its provider's label, else the kind itself (a kind no provider has). */
export function trafficName(kind: string, providers: readonly TrafficProvider[] = TRAFFIC_PROVIDERS): string {
  return providers.find((p) => p.kind === kind)?.label ?? kind;
}

/** The routers over `clients`: each call picks the provider `traffic.kind` names. */
export function createTrafficRouters(
  clients: AzureClients,
  providers: readonly TrafficProvider[] = TRAFFIC_PROVIDERS,
): TrafficRouters {
  return (traffic) => {
    const provider = providers.find((p) => p.kind === traffic.kind);
    if (!provider) {
      // Configuration refuses unknown kinds; this is a release started by an app that knew one this one does not.
      throw new StepError({
        step: 'traffic',
        resource: traffic.resource,
        cause: `no traffic provider of kind '${traffic.kind}' (known: ${providers.map((p) => p.kind).join(', ')})`,
        transient: false,
      });
    }
    return provider.router(clients, traffic);
  };
}
