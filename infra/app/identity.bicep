// User-assigned identities: one the Function App runs as, one the release target's VMs run as.
// Separate identities keep the VMs (which run whatever a build ships) away from the app's rights.

@description('Name of the identity the Function App runs as.')
param apiIdentityName string

@description('Name of the identity the sample target\'s scale sets run as (downloads packages).')
param vmIdentityName string

param location string
param tags { *: string } = {}

resource apiIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: apiIdentityName
  location: location
  tags: tags
}

resource vmIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: vmIdentityName
  location: location
  tags: tags
}

output apiIdentityId string = apiIdentity.id
output apiIdentityName string = apiIdentity.name
output apiClientId string = apiIdentity.properties.clientId
output apiPrincipalId string = apiIdentity.properties.principalId
output vmIdentityId string = vmIdentity.id
output vmClientId string = vmIdentity.properties.clientId
output vmPrincipalId string = vmIdentity.properties.principalId
