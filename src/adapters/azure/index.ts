/** Azure adapters of the core's ports, built over one lazy clients factory. */
import type { AlertSource } from '../../core/ports/alerts';
import type { Deployer } from '../../core/ports/deployer';
import type { TrafficSwitch } from '../../core/ports/traffic';
import { createAlertsManagementSource } from './alertsManagement';
import type { AzureClients, AzureClientsConfig } from './clients';
import { createAzureClients } from './clients';
import { createRunCommandDeployer } from './runCommand';
import { createTrafficSwitch } from './trafficManager';

export { createAzureClients, scopeFor, DEFAULT_ARM_ENDPOINT, DEFAULT_RETRY_OPTIONS } from './clients';
export type { AzureClients, AzureClientsConfig, AzureClientOptions } from './clients';
export { createCredential } from './credential';
export { createTrafficSwitch } from './trafficManager';
export { createRunCommandDeployer } from './runCommand';
export { createAlertsManagementSource, ALERTS_API_VERSION } from './alertsManagement';
export { ArmCallError, armStepError } from './errors';

/** The three Azure-backed ports. */
export interface AzureAdapters {
  clients: AzureClients;
  traffic: TrafficSwitch;
  deployer: Deployer;
  alerts: AlertSource;
}

/** Builds the adapters; nothing touches the network or the credential until a port method is called. */
export function createAzureAdapters(config: AzureClientsConfig | (() => AzureClientsConfig)): AzureAdapters {
  const clients = createAzureClients(config);
  return {
    clients,
    traffic: createTrafficSwitch(clients),
    deployer: createRunCommandDeployer(clients),
    alerts: createAlertsManagementSource(clients),
  };
}
