// Everything `azd up` creates: the release orchestrator (Function App on Flex Consumption and what it
// needs) and a sample release target to release to (Traffic Manager + two scale-set slots), with the
// monitoring that drives automatic rollback. See docs/azure.md.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; used to derive a unique token for resource names.')
param environmentName string

@minLength(1)
@description('Region of every regional resource (Flex Consumption must be available there).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object ID of the user or service principal running azd. Gets Key Vault Secrets Officer on the vault (azd reads the secrets back on the next provision; you read the hook secret). Empty to skip.')
param principalId string = ''

@description('Resource group name; default rg-<environment>.')
param resourceGroupName string = ''

// --- secrets ------------------------------------------------------------------------------------
// With azd, main.parameters.json passes `$(secretOrRandomPassword <vault> <secret>)`: random on the first
// provision, read back from the vault afterwards, so a re-provision keeps every secret. A value shorter
// than 32 characters (azd's random ones are) is lengthened ONCE with `secretSeed`, fresh randomness; the
// lengthened value is what is stored and read back next time, so it stays stable too.

@secure()
@description('Password Azure DevOps sends with Basic auth on the service hook. Empty: generated.')
param serviceHookSecret string = ''

@secure()
@description('HMAC key for approval links. Empty: generated.')
param approvalSigningKey string = ''

@secure()
@description('Function key of the alerts endpoint (the action group webhook carries it). Empty: generated.')
param alertsFunctionKey string = ''

@secure()
@description('Function key of the Azure DevOps hook endpoint. Empty: generated.')
param devopsFunctionKey string = ''

@secure()
@description('Admin password of the sample VMs (no SSH port is opened). Empty: generated.')
param vmAdminPassword string = ''

@secure()
@description('A new GUID on every deployment; never pass it. Only used when a secret is first created.')
param secretSeed string = newGuid()

@secure()
@description('Optional webhook for release notifications (Teams, Slack...); stored in Key Vault. Empty: none.')
param notifyWebhookUrl string = ''

@description('What NOTIFY_WEBHOOK_URL expects: teams, slack or json. Empty: detected from the URL.')
@allowed(['', 'teams', 'slack', 'json'])
param notifyKind string = ''

// --- the sample release target --------------------------------------------------------------------

@description('Set by the azd preprovision hook: true when the Traffic Manager profile already exists, which is then left untouched so a re-provision never changes which slot is live.')
param sampleTargetExists bool = false

@description('Name of the sample target in RELEASE_TARGETS (the {target} of the service hook URL).')
param targetName string = 'sample'

@description('What switches the sample target\'s traffic: trafficManager (DNS, clients follow after the TTL) or frontDoor (an Azure Front Door Standard origin group; clients follow as soon as the edge has the change, which Azure documents as up to 20 minutes). Chosen at the first provision.')
@allowed([
  'trafficManager'
  'frontDoor'
])
param trafficProvider string = 'trafficManager'

@description('Traffic Manager DNS TTL in seconds (applied when the profile is created).')
@minValue(0)
param trafficManagerTtl int = 30

@description('Health path of the sample app (Traffic Manager, the load balancers and the app probe it).')
param healthPath string = '/health'

@description('VM size of the slot instances (x64, Gen2 images).')
param vmSku string = 'Standard_B1ms'

@description('Instances per slot.')
@minValue(1)
param instanceCount int = 2

@description('Object ID of the principal behind the Azure DevOps service connection that uploads packages (Storage Blob Data Contributor on the releases container). Empty to skip.')
param pipelinePrincipalId string = ''

@description('Whether releases of the sample target wait for an approval.')
param approvalRequired bool = true

@description('Seconds an approval link stays valid before the release expires.')
param approvalTimeoutSeconds int = 86400

@description('Seconds the release bakes (alerts roll it back) after the swap.')
param bakeSeconds int = 1200

@description('Failed requests in 5 minutes above which the failed-requests alert fires.')
param failedRequestsThreshold int = 5

@description('Availability percentage (5 minutes) below which the availability alert fires.')
param availabilityThreshold int = 90

@description('Node.js major version of the Function App (Node 20 reached end of life on 2026-04-30; Flex Consumption\'s default is 22).')
@allowed([
  '22'
])
param nodeVersion string = '22'

@description('Durable Functions storage provider: durableTaskScheduler (Azure\'s recommended backend; pushes work to the app) or azureStorage (queues and tables of the host storage account, polled). See README "Durable backend".')
@allowed([
  'durableTaskScheduler'
  'azureStorage'
])
param durableBackend string = 'durableTaskScheduler'

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = 'func-release-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
var releasesContainerName = 'releases'
var failedRequestsAlertName = 'alert-${targetName}-failed-requests'
var availabilityAlertName = 'alert-${targetName}-availability'
var vmAdminUsername = 'releaseadmin'
// Resource names, derived here (not read from module outputs) so What-If and the role assignment names
// are known before anything is deployed.
var apiIdentityName = 'id-release-${resourceToken}'
var vmIdentityName = 'id-slots-${resourceToken}'
var hostStorageName = 'st${resourceToken}'
var artifactsStorageName = 'stpkg${resourceToken}'
var keyVaultName = 'kv-${resourceToken}'
var appInsightsName = 'appi-release-${resourceToken}'
var targetAppInsightsName = 'appi-${targetName}-${resourceToken}'
var trafficManagerProfileName = 'traf-${resourceToken}'
var frontDoorProfileName = 'afd-${resourceToken}'
var isFrontDoor = trafficProvider == 'frontDoor'
var slotNames = [
  'blue'
  'green'
]
var vmssNames = [for slot in slotNames: 'vmss-${slot}-${resourceToken}']
var schedulerName = 'dts-release-${resourceToken}'
// host.json's durableTask.hubName: the Durable Task Scheduler's task hub carries the same name.
var taskHubName = 'ReleaseHub'
var useScheduler = durableBackend == 'durableTaskScheduler'
// Secrets the app reads through Key Vault references (names fixed in infra/app/keyvault.bicep).
var appSecretNames = [
  'service-hook-secret'
  'approval-signing-key'
]
var notifyWebhookUrlSecretName = 'notify-webhook-url'

// Secrets as stored (see above). 32 hex characters of fresh randomness per secret when lengthened.
var serviceHookSecretValue = length(serviceHookSecret) >= 32 ? serviceHookSecret : '${serviceHookSecret}${replace(guid(secretSeed, 'service-hook-secret'), '-', '')}'
var approvalSigningKeyValue = length(approvalSigningKey) >= 32 ? approvalSigningKey : '${approvalSigningKey}${replace(guid(secretSeed, 'approval-signing-key'), '-', '')}'
var alertsFunctionKeyValue = length(alertsFunctionKey) >= 32 ? alertsFunctionKey : '${alertsFunctionKey}${replace(guid(secretSeed, 'alerts-function-key'), '-', '')}'
var devopsFunctionKeyValue = length(devopsFunctionKey) >= 32 ? devopsFunctionKey : '${devopsFunctionKey}${replace(guid(secretSeed, 'devops-function-key'), '-', '')}'
// Linux VM passwords: 12-72 characters from 3 of 4 classes; azd's random value (upper, lower, digits) fits.
var vmAdminPasswordValue = length(vmAdminPassword) >= 12 ? vmAdminPassword : 'Vm-${guid(secretSeed, 'vm-admin-password')}'

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    apiIdentityName: apiIdentityName
    vmIdentityName: vmIdentityName
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    appInsightsName: appInsightsName
    targetAppInsightsName: targetAppInsightsName
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    hostStorageName: hostStorageName
    artifactsStorageName: artifactsStorageName
    deploymentContainerName: deploymentContainerName
    releasesContainerName: releasesContainerName
    location: location
    tags: tags
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: keyVaultName
    location: location
    tags: tags
    serviceHookSecret: serviceHookSecretValue
    approvalSigningKey: approvalSigningKeyValue
    alertsFunctionKey: alertsFunctionKeyValue
    devopsFunctionKey: devopsFunctionKeyValue
    vmAdminPassword: vmAdminPasswordValue
    notifyWebhookUrl: notifyWebhookUrl
  }
}

module target 'app/target.bicep' = {
  name: 'target'
  scope: rg
  params: {
    resourceToken: resourceToken
    location: location
    tags: tags
    profileExists: sampleTargetExists
    trafficProvider: trafficProvider
    frontDoorProfileName: frontDoorProfileName
    profileName: trafficManagerProfileName
    slotNames: slotNames
    vmssNames: vmssNames
    ttl: trafficManagerTtl
    healthPath: healthPath
    appPort: 80
    vmIdentityId: identity.outputs.vmIdentityId
    vmSku: vmSku
    instanceCount: instanceCount
    adminUsername: vmAdminUsername
    adminPassword: vmAdminPasswordValue
  }
}

module durable 'app/durable.bicep' = if (useScheduler) {
  name: 'durable'
  scope: rg
  params: {
    schedulerName: schedulerName
    taskHubName: taskHubName
    location: location
    tags: tags
  }
}

// Roles before the app: the host reaches storage, the task hub and Key Vault with them from its first
// start. rbac.bicep looks every resource up by name, hence the explicit dependencies.
module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    resourceToken: resourceToken
    apiIdentityName: apiIdentityName
    vmIdentityName: vmIdentityName
    deployerPrincipalId: principalId
    pipelinePrincipalId: pipelinePrincipalId
    hostStorageName: hostStorageName
    artifactsStorageName: artifactsStorageName
    releasesContainerName: releasesContainerName
    keyVaultName: keyVaultName
    appSecretNames: empty(notifyWebhookUrl) ? appSecretNames : concat(appSecretNames, [notifyWebhookUrlSecretName])
    appInsightsName: appInsightsName
    trafficProvider: trafficProvider
    trafficManagerProfileName: trafficManagerProfileName
    frontDoorProfileName: frontDoorProfileName
    vmssNames: vmssNames
    durableBackend: durableBackend
    schedulerName: schedulerName
    taskHubName: taskHubName
  }
  dependsOn: [
    identity
    storage
    keyVault
    monitoring
    target
    durable
  ]
}

// The sample target as the app reads it (RELEASE_TARGETS is a JSON array of TargetConfig, see
// src/core/domain.ts). test/infra evaluates this literal and validates it with the app's own schema.
var releaseTargets = [
  {
    name: targetName
    traffic: isFrontDoor
      ? {
          kind: 'frontDoor'
          originGroupId: target.outputs.originGroupId
        }
      : {
          kind: 'trafficManager'
          profileId: target.outputs.profileId
        }
    slots: [
      {
        name: 'blue'
        compute: {
          kind: 'vmss'
          resourceId: target.outputs.vmssIds[0]
        }
      }
      {
        name: 'green'
        compute: {
          kind: 'vmss'
          resourceId: target.outputs.vmssIds[1]
        }
      }
    ]
    // The pipeline in examples/azure-pipelines.yml uploads each build here.
    artifactUrlTemplate: '${storage.outputs.artifactsBlobEndpoint}${releasesContainerName}/builds/{id}/webapp.tar.gz'
    deploy: {
      scriptKind: 'linux'
      // ARTIFACT_URL and VERSION are added by the app for each build; keep these in sync with cloud-init.yaml.
      parameters: {
        INSTALL_ROOT: '/opt/webapp'
        SERVICE_NAME: 'webapp'
        HEALTH_URL: 'http://127.0.0.1${healthPath}'
        HEALTH_VERSION_HEADER: 'x-app-version'
        HEALTH_TIMEOUT_SECONDS: '60'
        // The VMs download with their managed identity (no SAS in any setting).
        ARTIFACT_AUTH: 'managed-identity'
        ARTIFACT_IDENTITY_CLIENT_ID: identity.outputs.vmClientId
      }
      maxParallel: 2
      maxFailures: 0
      timeoutSeconds: 900
    }
    health: {
      path: healthPath
      versionHeader: 'x-app-version'
      expectVersion: '{number}'
      attempts: 12
      intervalSeconds: 5
      timeoutSeconds: 5
      // Each instance is probed directly on its private address, through the app's VNet integration.
      instancePort: 80
    }
    approval: {
      required: approvalRequired
      timeoutSeconds: approvalTimeoutSeconds
    }
    bakeSeconds: bakeSeconds
    alerts: {
      resourceIds: [
        monitoring.outputs.targetAppInsightsId
      ]
      ruleNames: [
        failedRequestsAlertName
        availabilityAlertName
      ]
    }
    filters: {}
  }
]

// Setting name -> Key Vault secret name; api.bicep turns each into a Key Vault reference.
var secretSettings = {
  SERVICE_HOOK_SECRET: keyVault.outputs.serviceHookSecretName
  APPROVAL_SIGNING_KEY: keyVault.outputs.approvalSigningKeySecretName
}
var notifySecretSetting = {
  NOTIFY_WEBHOOK_URL: keyVault.outputs.notifyWebhookUrlSecretName
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-release-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.apiIdentityId
    identityClientId: identity.outputs.apiClientId
    hostStorageName: hostStorageName
    deploymentContainerName: deploymentContainerName
    appInsightsName: appInsightsName
    runtimeVersion: nodeVersion
    durableBackend: durableBackend
    schedulerEndpoint: useScheduler ? durable!.outputs.endpoint : ''
    virtualNetworkSubnetId: target.outputs.functionsSubnetId
    // Every setting the code reads (src/core/config SETTINGS) is set here, in secretSettings, or in
    // api.bicep (PUBLIC_BASE_URL); test/infra checks it.
    appSettings: {
      RELEASE_TARGETS: string(releaseTargets)
      ARM_ENDPOINT: environment().resourceManager
      ARM_SCOPE: '${environment().resourceManager}.default'
      AZURE_CLIENT_ID: identity.outputs.apiClientId
      NOTIFY_KIND: notifyKind
      RETENTION_DAYS: '90'
      // No cutover observer on Azure yet (an Application Insights reader could be one): recorded as not measured.
      CUTOVER_OBSERVER_URL: ''
    }
    keyVaultName: keyVault.outputs.name
    keyVaultReferences: empty(notifyWebhookUrl) ? secretSettings : union(secretSettings, notifySecretSetting)
  }
  dependsOn: [
    rbac
  ]
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    actionGroupName: 'ag-release-${resourceToken}'
    failedRequestsAlertName: failedRequestsAlertName
    availabilityAlertName: availabilityAlertName
    targetAppInsightsName: targetAppInsightsName
    apiHostName: api.outputs.defaultHostName
    alertsFunctionKey: alertsFunctionKeyValue
    availabilityUrl: 'http://${target.outputs.fqdn}/'
    failedRequestsThreshold: failedRequestsThreshold
    availabilityThreshold: availabilityThreshold
  }
}

// azd stores these in .azure/<env>/.env; the hooks and docs/azure.md use them. No secret is output.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_FUNCTION_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output PUBLIC_BASE_URL string = 'https://${api.outputs.defaultHostName}'
output DEVOPS_HOOK_URL string = 'https://${api.outputs.defaultHostName}/api/hooks/devops/${targetName}'
output ALERTS_HOOK_URL string = 'https://${api.outputs.defaultHostName}/api/hooks/alerts'
output RELEASE_TARGET_NAME string = targetName
output TRAFFIC_MANAGER_PROFILE_NAME string = target.outputs.profileName
output TRAFFIC_PROVIDER string = trafficProvider
output FRONT_DOOR_PROFILE_NAME string = isFrontDoor ? frontDoorProfileName : ''
// After the first provision the profile exists: the next provision must leave it alone (preprovision hook).
output SAMPLE_TARGET_EXISTS bool = true
output DURABLE_BACKEND string = durableBackend
output TRAFFIC_MANAGER_FQDN string = target.outputs.fqdn
output ARTIFACTS_STORAGE_ACCOUNT string = storage.outputs.artifactsStorageName
output ARTIFACTS_CONTAINER string = releasesContainerName
output ARTIFACTS_BLOB_ENDPOINT string = storage.outputs.artifactsBlobEndpoint
output SLOT_VMSS_NAMES string[] = target.outputs.vmssNames
output SERVICE_HOOK_SECRET_NAME string = keyVault.outputs.serviceHookSecretName
output DEVOPS_FUNCTION_KEY_SECRET_NAME string = keyVault.outputs.devopsFunctionKeySecretName
output ALERTS_FUNCTION_KEY_SECRET_NAME string = keyVault.outputs.alertsFunctionKeySecretName
