/** Azure adapters of the core's ports, built over one lazy clients factory. */
import type { Deployer } from '../../core/ports/deployer';
import type { TrafficRouters } from '../../core/ports/traffic';
import { createTrafficRouters } from '../traffic/factory';
import type { AzureClients, AzureClientsConfig } from './clients';
import { createAzureClients } from './clients';
import { createRunCommandDeployer } from './runCommand';

export { createAzureClients, scopeFor, DEFAULT_ARM_ENDPOINT, DEFAULT_RETRY_OPTIONS } from './clients';
export type { AzureClients, AzureClientsConfig, AzureClientOptions } from './clients';
export { createCredential } from './credential';
export { createRunCommandDeployer } from './runCommand';
export { createAlertsManagementSource, ALERTS_API_VERSION } from './alertsManagement';
export { ArmCallError, armStepError } from './errors';

/** The Azure-backed ports (the alert source is chosen by src/adapters/alerts/factory.ts over `clients`). */
export interface AzureAdapters {
  clients: AzureClients;
  /** Each target's traffic provider, by its `traffic.kind`. */
  traffic: TrafficRouters;
  deployer: Deployer;
}

/** Builds the adapters; nothing touches the network or the credential until a port method is called. */
export function createAzureAdapters(config: AzureClientsConfig | (() => AzureClientsConfig)): AzureAdapters {
  const clients = createAzureClients(config);
  return {
    clients,
    traffic: createTrafficRouters(clients),
    deployer: createRunCommandDeployer(clients),
  };
}
