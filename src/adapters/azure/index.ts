/** Azure adapters of the core's ports, built over one lazy clients factory. */
import type { AlertSource } from '../../core/ports/alerts';
import type { Deployer } from '../../core/ports/deployer';
import type { TrafficRouters } from '../../core/ports/traffic';
import { createTrafficRouters } from '../traffic/factory';
import { createAlertsManagementSource } from './alertsManagement';
import type { AzureClients, AzureClientsConfig } from './clients';
import { createAzureClients } from './clients';
import { createRunCommandDeployer } from './runCommand';

export { createAzureClients, scopeFor, DEFAULT_ARM_ENDPOINT, DEFAULT_RETRY_OPTIONS } from './clients';
export type { AzureClients, AzureClientsConfig, AzureClientOptions } from './clients';
export { createCredential } from './credential';
export { createRunCommandDeployer } from './runCommand';
export { createAlertsManagementSource, ALERTS_API_VERSION } from './alertsManagement';
export { ArmCallError, armStepError } from './errors';

/** The Azure-backed ports. */
export interface AzureAdapters {
  clients: AzureClients;
  /** Each target's traffic provider, by its `traffic.kind`. */
  traffic: TrafficRouters;
  deployer: Deployer;
  alerts: AlertSource;
}

/** Builds the adapters; nothing touches the network or the credential until a port method is called. */
export function createAzureAdapters(config: AzureClientsConfig | (() => AzureClientsConfig)): AzureAdapters {
  const clients = createAzureClients(config);
  return {
    clients,
    traffic: createTrafficRouters(clients),
    deployer: createRunCommandDeployer(clients),
    alerts: createAlertsManagementSource(clients),
  };
}
