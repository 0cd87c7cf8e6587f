// The release orchestrator: a Function App on Flex Consumption (Linux, Node), running as a user-assigned
// identity. The Functions host and the Durable task hub use identity-based connections to the host
// storage account (AzureWebJobsStorage__*), telemetry goes to Application Insights with Entra ID auth,
// and secrets arrive as Key Vault references resolved with the same identity.

param name string
param planName string
param location string
param tags { *: string } = {}

@description('Resource ID of the user-assigned identity the app runs as.')
param identityId string
@description('Client ID of that identity (AZURE_CLIENT_ID and the storage/App Insights credential).')
param identityClientId string

param hostStorageName string
param deploymentContainerName string
param appInsightsName string

@description('Plain app settings (no secrets): the app\'s own configuration.')
param appSettings { *: string }

@description('Key Vault references (names only, no values): setting name -> secret name in `keyVaultName`.')
param keyVaultReferences { *: string }
param keyVaultName string

@allowed([
  '22'
])
param runtimeVersion string = '22'

@description('Durable Functions storage provider (see main.bicep).')
@allowed([
  'azureStorage'
  'durableTaskScheduler'
])
param durableBackend string = 'azureStorage'
@description('Endpoint of the Durable Task Scheduler (durableTaskScheduler only).')
param schedulerEndpoint string = ''
param instanceMemoryMB int = 2048
@description('Subnet (delegated to Microsoft.App/environments) the app integrates with to reach the instances\' private addresses; empty for none.')
param virtualNetworkSubnetId string = ''
@minValue(40)
param maximumInstanceCount int = 100
@description('Always-ready instances for the Durable group: 0 scales to zero (a first event then waits for a cold start).')
@minValue(0)
param alwaysReadyInstances int = 0

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource hostStorage 'Microsoft.Storage/storageAccounts@2026-09-01' existing = {
  name: hostStorageName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

// The Durable Functions group of Flex Consumption's always-ready instances.
var alwaysReadyDurable = [
  {
    name: 'durable'
    instanceCount: alwaysReadyInstances
  }
]

resource site 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Verify probes every instance on its private address; only private ranges go through the VNet.
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    // Key Vault references resolve with the user-assigned identity (there is no system identity).
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostStorage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        alwaysReady: alwaysReadyInstances > 0 ? alwaysReadyDurable : []
      }
      runtime: {
        name: 'node'
        version: runtimeVersion
      }
    }
  }
}

// No publishing passwords: azd deploys through Entra ID.
resource ftpPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

var hostSettings = {
  // Identity-based connection for the host and the Durable task hub (blobs, queues, tables).
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: hostStorage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: hostStorage.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: hostStorage.properties.primaryEndpoints.table
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

// host.json keeps the Azure Storage provider (the local host runs on it too); the scheduler is selected
// with the documented host.json override through app settings (AzureFunctionsJobHost__<path>; "Override
// host.json values", learn.microsoft.com/azure/azure-functions/functions-host-json), and its
// connection is identity-based: no key exists for a scheduler.
var schedulerSettings = durableBackend == 'durableTaskScheduler'
  ? {
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'azureManaged'
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'
      DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${schedulerEndpoint};Authentication=ManagedIdentity;ClientID=${identityClientId}'
    }
  : {}

var keyVaultReferenceSettings = toObject(items(keyVaultReferences), entry => entry.key, entry => '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${entry.value})')

// A separate resource (not siteConfig.appSettings) so PUBLIC_BASE_URL can use the site's host name.
resource settings 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: site
  name: 'appsettings'
  properties: union(appSettings, keyVaultReferenceSettings, hostSettings, schedulerSettings, {
    PUBLIC_BASE_URL: 'https://${site.properties.defaultHostName}'
  })
}

output name string = site.name
output id string = site.id
output defaultHostName string = site.properties.defaultHostName
