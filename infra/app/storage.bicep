// Two storage accounts, both without shared keys (Entra ID only):
// - host: the Functions host, the Durable task hub (blobs, queues, tables) and the Flex deployment package;
// - artifacts: the packages CI publishes and the VMs download (`releases` container).
// Kept apart so the CI principal and the VMs never get a role on the account holding the task hub.

param hostStorageName string
param artifactsStorageName string
param deploymentContainerName string
param releasesContainerName string
@description('Packages older than this many days are deleted (the previous slot keeps its own unpacked copy).')
param artifactRetentionDays int = 30
param location string
param tags { *: string } = {}

var commonProperties = {
  allowBlobPublicAccess: false
  allowSharedKeyAccess: false
  minimumTlsVersion: 'TLS1_2'
  supportsHttpsTrafficOnly: true
  dnsEndpointType: 'Standard'
  publicNetworkAccess: 'Enabled'
  networkAcls: {
    defaultAction: 'Allow'
    bypass: 'AzureServices'
  }
}

resource hostStorage 'Microsoft.Storage/storageAccounts@2026-09-01' = {
  name: hostStorageName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: commonProperties

  resource blobService 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }
}

resource artifactsStorage 'Microsoft.Storage/storageAccounts@2026-09-01' = {
  name: artifactsStorageName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: commonProperties

  resource blobService 'blobServices' = {
    name: 'default'

    resource releasesContainer 'containers' = {
      name: releasesContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }

  resource retention 'managementPolicies' = {
    name: 'default'
    properties: {
      policy: {
        rules: [
          {
            name: 'expire-old-packages'
            enabled: true
            type: 'Lifecycle'
            definition: {
              filters: {
                blobTypes: [
                  'blockBlob'
                ]
                prefixMatch: [
                  '${releasesContainerName}/'
                ]
              }
              actions: {
                baseBlob: {
                  delete: {
                    daysAfterModificationGreaterThan: artifactRetentionDays
                  }
                }
              }
            }
          }
        ]
      }
    }
  }
}

output hostStorageName string = hostStorage.name
output hostBlobEndpoint string = hostStorage.properties.primaryEndpoints.blob
output hostQueueEndpoint string = hostStorage.properties.primaryEndpoints.queue
output hostTableEndpoint string = hostStorage.properties.primaryEndpoints.table
output artifactsStorageName string = artifactsStorage.name
output artifactsBlobEndpoint string = artifactsStorage.properties.primaryEndpoints.blob
output releasesContainerName string = artifactsStorage::blobService::releasesContainer.name
