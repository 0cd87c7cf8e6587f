// The Front Door variant of the sample target's traffic: an Azure Front Door Standard profile whose one
// origin group holds the two slots as origins (each slot's load balancer), `blue` Enabled and `green`
// Disabled, and a route sending every request on the endpoint's default domain to that group.
//
// ORIGIN STATE IS OWNED BY THE APP AT RUNTIME, exactly as a Traffic Manager endpoint's status is: each swap
// and rollback PATCHes one origin's `enabledState` (src/adapters/frontDoor). An origin PUT from a template
// would set it back, so target.bicep deploys this module ONLY ON THE FIRST PROVISION (`profileExists`).
//
// Every write reaches the edge late: Azure documents up to 20 minutes per configuration change, queued back
// to back (Front Door FAQ, learn.microsoft.com/azure/frontdoor/front-door-faq).

param resourceToken string
param tags { *: string } = {}

@description('Name of the Front Door profile.')
param profileName string
@description('Name of the origin group (the release target\'s traffic resource).')
param originGroupName string
@description('Slot names, also the origin names; the first starts Enabled (production).')
param slotNames string[]
@description('Host name of each slot\'s load balancer, in the order of slotNames.')
param slotHostNames string[]
@description('Path Front Door probes on each origin.')
param healthPath string
param appPort int

resource profile 'Microsoft.Cdn/profiles@2025-06-01' = {
  name: profileName
  location: 'global'
  tags: tags
  sku: {
    name: 'Standard_AzureFrontDoor'
  }
}

resource endpoint 'Microsoft.Cdn/profiles/afdEndpoints@2025-06-01' = {
  parent: profile
  name: 'release-${resourceToken}'
  location: 'global'
  tags: tags
  properties: {
    enabledState: 'Enabled'
  }
}

resource originGroup 'Microsoft.Cdn/profiles/originGroups@2025-06-01' = {
  parent: profile
  name: originGroupName
  properties: {
    loadBalancingSettings: {
      sampleSize: 4
      successfulSamplesRequired: 3
      additionalLatencyInMilliseconds: 50
    }
    healthProbeSettings: {
      probePath: healthPath
      probeRequestType: 'GET'
      probeProtocol: 'Http'
      probeIntervalInSeconds: 30
    }
    sessionAffinityState: 'Disabled'
  }
}

resource origins 'Microsoft.Cdn/profiles/originGroups/origins@2025-06-01' = [
  for (slot, i) in slotNames: {
    parent: originGroup
    name: slot
    properties: {
      hostName: slotHostNames[i]
      originHostHeader: slotHostNames[i]
      httpPort: appPort
      httpsPort: 443
      priority: 1
      weight: 1000
      // Owned by the app at runtime: written here once, never again by this template.
      enabledState: i == 0 ? 'Enabled' : 'Disabled'
      enforceCertificateNameCheck: true
    }
  }
]

resource route 'Microsoft.Cdn/profiles/afdEndpoints/routes@2025-06-01' = {
  parent: endpoint
  name: 'all'
  properties: {
    originGroup: {
      id: originGroup.id
    }
    supportedProtocols: [
      'Http'
      'Https'
    ]
    patternsToMatch: [
      '/*'
    ]
    // The slots serve plain HTTP behind their load balancers (as Traffic Manager's probes reach them).
    forwardingProtocol: 'HttpOnly'
    linkToDefaultDomain: 'Enabled'
    httpsRedirect: 'Disabled'
  }
  dependsOn: [
    origins
  ]
}

output profileName string = profile.name
output originGroupId string = originGroup.id
output hostName string = endpoint.properties.hostName
