import type { AlertScope, FiredAlert } from '../domain';

/** What the alert source knows of the target besides its scope: its traffic resource locates its resource group. */
export interface AlertContext {
  /** The target's traffic resource (`TrafficConfig.resource`). */
  trafficResource: string;
}

/** The alert source: alerts currently firing on a target's resources (a stateful alert notifies once). */
export interface AlertSource {
  firing(scope: AlertScope, context: AlertContext): Promise<FiredAlert[]>;
}
