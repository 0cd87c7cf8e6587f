// Key Vault in RBAC mode holding every secret of the deployment. The Function App reads its secrets
// through Key Vault references (resolved with its user-assigned identity), never as plain settings.
//
// The values come from main.bicep's @secure() parameters. With azd, main.parameters.json fills them
// with `$(secretOrRandomPassword <vault> <secret>)`: random on the first provision, read back from this
// vault on every later one, so a re-provision never rotates a secret that Azure DevOps or an action
// group already holds. Rotate one by writing a new version here (`az keyvault secret set`).

param name string
param location string
param tags { *: string } = {}

@secure()
@description('Password Azure DevOps sends with HTTP Basic auth on the service hook (SERVICE_HOOK_SECRET).')
param serviceHookSecret string

@secure()
@description('HMAC key signing approval links (APPROVAL_SIGNING_KEY).')
param approvalSigningKey string

@secure()
@description('Function key of the alerts endpoint, used by the action group\'s webhook.')
param alertsFunctionKey string

@secure()
@description('Function key of the Azure DevOps hook endpoint.')
param devopsFunctionKey string

@secure()
@description('Admin password of the sample target\'s VMs (no inbound SSH is opened; kept only for break-glass).')
param vmAdminPassword string

@secure()
@description('Optional notification webhook (NOTIFY_WEBHOOK_URL); such URLs embed their own credential.')
param notifyWebhookUrl string = ''

// Secret names are part of the contract with main.parameters.json and the azd hooks.
var names = {
  serviceHookSecret: 'service-hook-secret'
  approvalSigningKey: 'approval-signing-key'
  alertsFunctionKey: 'alerts-function-key'
  devopsFunctionKey: 'devops-function-key'
  vmAdminPassword: 'vm-admin-password'
  notifyWebhookUrl: 'notify-webhook-url'
}

resource vault 'Microsoft.KeyVault/vaults@2026-05-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource serviceHookSecretResource 'Microsoft.KeyVault/vaults/secrets@2026-05-15' = {
  parent: vault
  name: names.serviceHookSecret
  properties: {
    value: serviceHookSecret
    contentType: 'text/plain'
  }
}

resource approvalSigningKeyResource 'Microsoft.KeyVault/vaults/secrets@2026-05-15' = {
  parent: vault
  name: names.approvalSigningKey
  properties: {
    value: approvalSigningKey
    contentType: 'text/plain'
  }
}

resource alertsFunctionKeyResource 'Microsoft.KeyVault/vaults/secrets@2026-05-15' = {
  parent: vault
  name: names.alertsFunctionKey
  properties: {
    value: alertsFunctionKey
    contentType: 'text/plain'
  }
}

resource devopsFunctionKeyResource 'Microsoft.KeyVault/vaults/secrets@2026-05-15' = {
  parent: vault
  name: names.devopsFunctionKey
  properties: {
    value: devopsFunctionKey
    contentType: 'text/plain'
  }
}

resource vmAdminPasswordResource 'Microsoft.KeyVault/vaults/secrets@2026-05-15' = {
  parent: vault
  name: names.vmAdminPassword
  properties: {
    value: vmAdminPassword
    contentType: 'text/plain'
  }
}

resource notifyWebhookUrlResource 'Microsoft.KeyVault/vaults/secrets@2026-05-15' = if (!empty(notifyWebhookUrl)) {
  parent: vault
  name: names.notifyWebhookUrl
  properties: {
    value: notifyWebhookUrl
    contentType: 'text/plain'
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
// Secret names only (never values): the app settings reference them, RBAC scopes roles to them.
output serviceHookSecretName string = serviceHookSecretResource.name
output approvalSigningKeySecretName string = approvalSigningKeyResource.name
output alertsFunctionKeySecretName string = alertsFunctionKeyResource.name
output devopsFunctionKeySecretName string = devopsFunctionKeyResource.name
// Always the name (main.bicep references it only when a webhook URL is given): an output computed from
// the secure value would leak whether one is set.
output notifyWebhookUrlSecretName string = names.notifyWebhookUrl
