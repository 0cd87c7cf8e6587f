// EVERY role assignment of the deployment, in one place, each at the narrowest scope that works.
// Nothing is assigned at subscription scope. The two custom roles are defined with this resource group
// as their only assignable scope.
//
// The app's identity:
//   Traffic Manager Contributor            the target's one profile       (swap: endpointStatus only, by design)
//   or, with trafficProvider frontDoor:
//   custom "Front Door origins" role       the target's origin group      (read the group and its origins, write an origin)
//   custom "Front Door operation status"   the target's resource group    (poll the origin writes' async operations)
//   custom "run commands" role             each of the two scale sets     (list instances, create/read managed run commands)
//   custom "alerts reader" role            the target's resource group    (alerts already firing at bake start)
//   custom "operation status reader" role  the target's resource group    (poll Compute's async operations)
//   Storage Blob Data Owner                host storage account           (Functions host, task hub, Flex package)
//   Storage Queue Data Contributor         host storage account           (Durable task hub queues)      } Azure Storage
//   Storage Table Data Contributor         host storage account           (Durable task hub history)     } backend only
//   Durable Task Data Contributor          the scheduler's task hub       (Durable Task Scheduler backend only)
//   Key Vault Secrets User                 each secret the app reads      (Key Vault references), not the vault
//   Monitoring Metrics Publisher           the app's Application Insights (Entra ID telemetry ingestion)
// The VMs' identity:
//   Storage Blob Data Reader               the `releases` container       (download packages)
// Optional principals:
//   Key Vault Secrets Officer              the vault, for the deploying user (azd reads secrets back; you
//                                          copy the hook secret into Azure DevOps)
//   Storage Blob Data Contributor          the `releases` container, for the CI pipeline's principal

param resourceToken string
@description('Name of the identity the Function App runs as (infra/app/identity.bicep).')
param apiIdentityName string
@description('Name of the identity the sample target\'s VMs run as.')
param vmIdentityName string

@description('Object ID of the user (or service principal) running azd; empty to skip.')
param deployerPrincipalId string = ''

@description('Object ID of the Azure DevOps service connection\'s principal that uploads packages; empty to skip.')
param pipelinePrincipalId string = ''

param hostStorageName string
param artifactsStorageName string
param releasesContainerName string
param keyVaultName string
@description('Names of the secrets the app reads through Key Vault references.')
param appSecretNames string[]
param appInsightsName string
param trafficManagerProfileName string
param vmssNames string[]

@description('The sample target\'s traffic provider: its Traffic Manager profile, or its Front Door origin group.')
@allowed([
  'trafficManager'
  'frontDoor'
])
param trafficProvider string = 'trafficManager'
@description('Name of the Front Door profile (trafficProvider frontDoor).')
param frontDoorProfileName string = ''
@description('Name of the origin group the app switches (trafficProvider frontDoor).')
param frontDoorOriginGroupName string = 'slots'

@description('Durable Functions storage provider: the Azure Storage task hub (queues and tables of the host storage account) or the Durable Task Scheduler (its task hub).')
@allowed([
  'azureStorage'
  'durableTaskScheduler'
])
param durableBackend string
@description('Durable Task Scheduler and task hub names (used with durableTaskScheduler).')
param schedulerName string = ''
param taskHubName string = ''

// Built-in role definition IDs (the same in every tenant). test/infra checks them against the published list.
var roles = {
  trafficManagerContributor: 'a4b10055-b0c7-44c2-b00f-c7b5b3550cf7'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageBlobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  durableTaskDataContributor: '0ad04412-c4d5-4796-b79c-f76d14c8d402'
}
var azureStorageBackend = durableBackend == 'azureStorage'
var isFrontDoor = trafficProvider == 'frontDoor'
var schedulerBackend = durableBackend == 'durableTaskScheduler'

// Exactly what the deployer adapter (src/adapters/azure/runCommand.ts) calls: read the scale set (or VM)
// and its instances with their NICs' private addresses (verify probes each instance there), create and read
// managed run commands on them, and delete its older ones (a VM caps how many run commands it holds); the VM
// actions let the same role serve VM-based slots (assign it where their NICs are too). No `runCommand/action`
// (the older action run command).
var runCommandActions = [
  'Microsoft.Compute/virtualMachineScaleSets/read'
  'Microsoft.Compute/virtualMachineScaleSets/networkInterfaces/read'
  'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/read'
  'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommands/read'
  'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommands/write'
  'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommands/delete'
  'Microsoft.Compute/virtualMachines/read'
  'Microsoft.Compute/virtualMachines/runCommands/read'
  'Microsoft.Compute/virtualMachines/runCommands/write'
  'Microsoft.Compute/virtualMachines/runCommands/delete'
  'Microsoft.Network/networkInterfaces/read'
]

// Reading alerts (Azure Monitor alerts management) and nothing else; Monitoring Reader would add
// read on every resource in the group. Assigned at the resource group: ARM authorizes a list at the URL's
// scope, so the app (src/adapters/azure/alertsManagement.ts) lists at
// `<resource group>/providers/Microsoft.AlertsManagement/alerts` (api-version 2019-03-01, whose
// Alerts_GetAll takes any scope), never at the subscription, where this role would not reach. Alert
// resources of a target in another group need this role there too.
var alertsReadActions = [
  'Microsoft.AlertsManagement/alerts/read'
]

// The deployer polls each run command's Azure-AsyncOperation URL,
// /subscriptions/{sub}/providers/Microsoft.Compute/locations/{region}/operations/{id}, which names no
// resource. "Track asynchronous Azure operations" (learn.microsoft.com/azure/azure-resource-manager/
// management/async-operations, "Permission for tracking async status"): tracking needs permission at the
// resource group level; with permission only at the resource you can start the operation but not track it.
// So this one read, and nothing else, at the resource group holding the scale sets.
var operationStatusActions = [
  'Microsoft.Compute/locations/operations/read'
]

// Exactly what the Front Door switch (src/adapters/frontDoor) calls: list the origin group's origins and
// PATCH one origin's enabledState (and read the group). The built-in CDN Profile Contributor would add
// Microsoft.Cdn/profiles/* (delete the profile, change routes, domains, WAF policies, ...). Assigned at the
// origin group: nothing else in the profile is reachable.
var frontDoorOriginActions = [
  'Microsoft.Cdn/profiles/originGroups/read'
  'Microsoft.Cdn/profiles/originGroups/origins/read'
  'Microsoft.Cdn/profiles/originGroups/origins/write'
]

// An origin write answers 202 with an Azure-AsyncOperation URL under the resource group,
// {rg}/providers/Microsoft.Cdn/operationresults/{id}/profileresults/{p}/origingroupresults/{og}/originresults/{o},
// which names no resource under the origin group: its read, and nothing else, at the resource group.
var frontDoorOperationActions = [
  'Microsoft.Cdn/operationresults/profileresults/origingroupresults/originresults/read'
]

resource frontDoorOriginsRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (isFrontDoor) {
  name: guid(resourceGroup().id, 'release-orchestrator-front-door-origins')
  properties: {
    roleName: 'Release orchestrator Front Door origins (${resourceToken})'
    description: 'Read a Front Door origin group and its origins, and enable or disable an origin (swap the release slots).'
    type: 'CustomRole'
    permissions: [
      {
        actions: frontDoorOriginActions
        notActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource frontDoorOperationRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (isFrontDoor) {
  name: guid(resourceGroup().id, 'release-orchestrator-front-door-operation-status')
  properties: {
    roleName: 'Release orchestrator Front Door operation status reader (${resourceToken})'
    description: 'Read the status of the Front Door origin writes the app made.'
    type: 'CustomRole'
    permissions: [
      {
        actions: frontDoorOperationActions
        notActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource runCommandRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'release-orchestrator-run-commands')
  properties: {
    roleName: 'Release orchestrator run commands (${resourceToken})'
    description: 'List the instances of a release slot and run the deploy script on them through managed run commands.'
    type: 'CustomRole'
    permissions: [
      {
        actions: runCommandActions
        notActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource alertsReaderRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'release-orchestrator-alerts-reader')
  properties: {
    roleName: 'Release orchestrator alerts reader (${resourceToken})'
    description: 'Read Azure Monitor alerts (which alerts are firing on a release target).'
    type: 'CustomRole'
    permissions: [
      {
        actions: alertsReadActions
        notActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource operationStatusRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'release-orchestrator-operation-status')
  properties: {
    roleName: 'Release orchestrator operation status reader (${resourceToken})'
    description: 'Read the status of Compute asynchronous operations (run commands the app started).'
    type: 'CustomRole'
    permissions: [
      {
        actions: operationStatusActions
        notActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource apiIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' existing = {
  name: apiIdentityName
}

resource vmIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' existing = {
  name: vmIdentityName
}

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' existing = if (schedulerBackend) {
  name: schedulerName

  resource taskHub 'taskHubs' existing = {
    name: taskHubName
  }
}

resource hostStorage 'Microsoft.Storage/storageAccounts@2026-09-01' existing = {
  name: hostStorageName
}

resource artifactsStorage 'Microsoft.Storage/storageAccounts@2026-09-01' existing = {
  name: artifactsStorageName

  resource blobService 'blobServices' existing = {
    name: 'default'

    resource releasesContainer 'containers' existing = {
      name: releasesContainerName
    }
  }
}

resource vault 'Microsoft.KeyVault/vaults@2026-05-15' existing = {
  name: keyVaultName
}

resource appSecrets 'Microsoft.KeyVault/vaults/secrets@2026-05-15' existing = [
  for secretName in appSecretNames: {
    parent: vault
    name: secretName
  }
]

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource profile 'Microsoft.Network/trafficmanagerprofiles@2026-09-01' existing = if (!isFrontDoor) {
  name: trafficManagerProfileName
}

resource frontDoorProfile 'Microsoft.Cdn/profiles@2025-06-01' existing = if (isFrontDoor) {
  name: frontDoorProfileName

  resource originGroup 'originGroups' existing = {
    name: frontDoorOriginGroupName
  }
}

resource scaleSets 'Microsoft.Compute/virtualMachineScaleSets@2026-04-01' existing = [
  for vmssName in vmssNames: {
    name: vmssName
  }
]

// --- the app's identity -------------------------------------------------------------------------

resource apiTrafficManager 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!isFrontDoor) {
  name: guid(profile.id, apiIdentity.id, roles.trafficManagerContributor)
  scope: profile
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.trafficManagerContributor)
    principalId: apiIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource apiFrontDoorOrigins 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (isFrontDoor) {
  name: guid(frontDoorProfile::originGroup.id, apiIdentity.id, frontDoorOriginsRole.name)
  scope: frontDoorProfile::originGroup
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', frontDoorOriginsRole.name)
    principalId: apiIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource apiFrontDoorOperations 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (isFrontDoor) {
  name: guid(resourceGroup().id, apiIdentity.id, frontDoorOperationRole.name)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', frontDoorOperationRole.name)
    principalId: apiIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource apiRunCommands 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for i in range(0, length(vmssNames)): {
    name: guid(scaleSets[i].id, apiIdentity.id, runCommandRole.name)
    scope: scaleSets[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', runCommandRole.name)
      principalId: apiIdentity.properties.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource apiAlertsReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, apiIdentity.id, alertsReaderRole.name)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', alertsReaderRole.name)
    principalId: apiIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource apiOperationStatus 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, apiIdentity.id, operationStatusRole.name)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', operationStatusRole.name)
    principalId: apiIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource apiBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, apiIdentity.id, roles.storageBlobDataOwner)
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: apiIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource apiQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (azureStorageBackend) {
  name: guid(hostStorage.id, apiIdentity.id, roles.storageQueueDataContributor)
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: apiIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource apiTable 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (azureStorageBackend) {
  name: guid(hostStorage.id, apiIdentity.id, roles.storageTableDataContributor)
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: apiIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Data actions on the one task hub the app uses (the scheduler may hold others).
resource apiTaskHub 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (schedulerBackend) {
  name: guid(scheduler::taskHub.id, apiIdentity.id, roles.durableTaskDataContributor)
  scope: scheduler::taskHub
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.durableTaskDataContributor)
    principalId: apiIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource apiSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for i in range(0, length(appSecretNames)): {
    name: guid(appSecrets[i].id, apiIdentity.id, roles.keyVaultSecretsUser)
    scope: appSecrets[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
      principalId: apiIdentity.properties.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource apiMetrics 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, apiIdentity.id, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: apiIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// --- the VMs' identity --------------------------------------------------------------------------

resource vmPackages 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(artifactsStorage::blobService::releasesContainer.id, vmIdentity.id, roles.storageBlobDataReader)
  scope: artifactsStorage::blobService::releasesContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataReader)
    principalId: vmIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// --- optional principals ------------------------------------------------------------------------

resource deployerSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(vault.id, deployerPrincipalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: deployerPrincipalId
  }
}

resource pipelinePackages 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(pipelinePrincipalId)) {
  name: guid(artifactsStorage::blobService::releasesContainer.id, pipelinePrincipalId, roles.storageBlobDataContributor)
  scope: artifactsStorage::blobService::releasesContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: pipelinePrincipalId
    principalType: 'ServicePrincipal'
  }
}
