/** The app's Azure credential: DefaultAzureCredential, pinned to a user-assigned identity when AZURE_CLIENT_ID is set. */
import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';

/**
 * Builds the credential. On Azure it resolves to the Function App's managed identity; locally the launcher points
 * IDENTITY_ENDPOINT / IDENTITY_HEADER at the ARM stand-in's App Service-style token endpoint, so the same code
 * runs unchanged. Call it lazily (from the clients factory), never while an entry file loads.
 */
export function createCredential(env: NodeJS.ProcessEnv = process.env): TokenCredential {
  const clientId = env.AZURE_CLIENT_ID?.trim();
  return clientId
    ? new DefaultAzureCredential({ managedIdentityClientId: clientId })
    : new DefaultAzureCredential();
}
