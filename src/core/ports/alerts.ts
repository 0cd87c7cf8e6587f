import type { AlertScope, FiredAlert } from '../domain';

/** The alert source: alerts currently firing on a target's resources (a stateful alert notifies once). */
export interface AlertSource {
  firing(scope: AlertScope): Promise<FiredAlert[]>;
}
