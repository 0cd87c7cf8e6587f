// The sample release target: a Traffic Manager profile (priority routing, short TTL, fast probing on
// the health path) with exactly two Azure endpoints, `blue` and `green`, each fronting one slot
// (a Linux scale set behind its own public load balancer). With trafficProvider 'frontDoor', an Azure
// Front Door origin group with the two slots as origins instead (frontDoor.bicep), under the same rule.
//
// ENDPOINT STATUS IS OWNED BY THE APP AT RUNTIME. Which endpoint is Enabled (production) and which
// Disabled (staging) is changed by every swap and rollback. A Traffic Manager profile PUT replaces the
// whole profile including its endpoints (a PUT without `endpoints` deletes them), so this template
// writes the profile ONLY ON THE FIRST PROVISION: `profileExists` is set by the azd preprovision hook
// (infra/hooks/preprovision.*), which looks the profile up in Azure. On every later `azd provision`
// the profile is not touched at all, so live traffic is never flipped back to blue and no endpoint is
// ever removed. Change the TTL or probing of an existing profile with
// `az network traffic-manager profile update` (see docs/azure.md).

param resourceToken string
param location string
param tags { *: string } = {}

@description('True when the profile already exists: it is then left exactly as it is (see above).')
param profileExists bool

@description('What switches the slots\' traffic: a Traffic Manager profile (DNS; clients follow after the TTL) or an Azure Front Door origin group (layer 7; the edge follows each change after its propagation time).')
@allowed([
  'trafficManager'
  'frontDoor'
])
param trafficProvider string = 'trafficManager'

@description('Name of the Front Door profile (trafficProvider frontDoor).')
param frontDoorProfileName string = ''

@description('DNS TTL in seconds: how long resolvers may keep answering with the old slot after a swap.')
@minValue(0)
param ttl int

@description('Path the app serves its health (and version) on; Traffic Manager and the load balancers probe it.')
param healthPath string
param appPort int
param vmIdentityId string
param vmSku string
@minValue(1)
param instanceCount int
param adminUsername string
@secure()
param adminPassword string

@description('Name of the Traffic Manager profile.')
param profileName string
@description('Slot names, in endpoint priority order (the first starts as production); also the endpoint names.')
param slotNames string[]
@description('Scale set name of each slot, in the order of slotNames.')
param vmssNames string[]

resource nsg 'Microsoft.Network/networkSecurityGroups@2026-03-01' = {
  name: 'nsg-slots-${resourceToken}'
  location: location
  tags: tags
  properties: {
    securityRules: [
      {
        // Only HTTP is open: no SSH/RDP. Instances are managed through Run Command only.
        name: 'allow-http'
        properties: {
          priority: 100
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourceAddressPrefix: 'Internet'
          sourcePortRange: '*'
          destinationAddressPrefix: '*'
          destinationPortRange: string(appPort)
        }
      }
    ]
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2026-03-01' = {
  name: 'vnet-slots-${resourceToken}'
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        '10.40.0.0/16'
      ]
    }
    subnets: [
      {
        name: 'slots'
        properties: {
          addressPrefix: '10.40.0.0/24'
          networkSecurityGroup: {
            id: nsg.id
          }
        }
      }
      {
        // The Function App's VNet integration (Flex Consumption needs a subnet delegated to
        // Microsoft.App/environments): verify probes each instance on its private address from here. The slots'
        // NSG lets VNet traffic in (the default AllowVnetInBound rule); nothing else is exposed.
        name: 'functions'
        properties: {
          addressPrefix: '10.40.1.0/24'
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
    ]
  }
}

module slots 'slot.bicep' = [
  for (slot, i) in slotNames: {
    name: 'slot-${slot}'
    params: {
      slotName: slot
      vmssName: vmssNames[i]
      resourceToken: resourceToken
      location: location
      tags: tags
      subnetId: '${vnet.id}/subnets/slots'
      vmIdentityId: vmIdentityId
      vmSku: vmSku
      instanceCount: instanceCount
      adminUsername: adminUsername
      adminPassword: adminPassword
      healthPath: healthPath
      appPort: appPort
    }
  }
]

var isFrontDoor = trafficProvider == 'frontDoor'
// The origin group the app switches (the Front Door variant's traffic resource).
var frontDoorOriginGroupName = 'slots'

// First provision only (see the header): blue starts as production (Enabled), green as staging.
module frontDoor 'frontDoor.bicep' = if (isFrontDoor && !profileExists) {
  name: 'front-door'
  params: {
    resourceToken: resourceToken
    tags: tags
    profileName: frontDoorProfileName
    originGroupName: frontDoorOriginGroupName
    slotNames: slotNames
    // The sample has exactly two slots.
    slotHostNames: [
      slots[0].outputs.fqdn
      slots[1].outputs.fqdn
    ]
    healthPath: healthPath
    appPort: appPort
  }
}

// The endpoint as it stands (created by the module on the first provision, untouched later).
resource frontDoorEndpoint 'Microsoft.Cdn/profiles/afdEndpoints@2025-06-01' existing = if (isFrontDoor) {
  name: '${frontDoorProfileName}/release-${resourceToken}'
}

// First provision only (see the header): blue starts as production (Enabled), green as staging.
resource profile 'Microsoft.Network/trafficmanagerprofiles@2026-09-01' = if (!isFrontDoor && !profileExists) {
  name: profileName
  location: 'global'
  tags: tags
  properties: {
    profileStatus: 'Enabled'
    trafficRoutingMethod: 'Priority'
    dnsConfig: {
      relativeName: 'release-${resourceToken}'
      ttl: ttl
    }
    monitorConfig: {
      protocol: 'HTTP'
      port: 80
      path: healthPath
      // Fast probing: an interval of 10 s requires a timeout of 5-9 s.
      intervalInSeconds: 10
      timeoutInSeconds: 5
      toleratedNumberOfFailures: 1
      expectedStatusCodeRanges: [
        {
          min: 200
          max: 299
        }
      ]
    }
    endpoints: [
      {
        name: slotNames[0]
        type: 'Microsoft.Network/trafficManagerProfiles/azureEndpoints'
        properties: {
          targetResourceId: slots[0].outputs.publicIpId
          // Owned by the app at runtime: written here once, never again by this template.
          endpointStatus: 'Enabled'
          priority: 1
        }
      }
      {
        name: slotNames[1]
        type: 'Microsoft.Network/trafficManagerProfiles/azureEndpoints'
        properties: {
          targetResourceId: slots[1].outputs.publicIpId
          // Owned by the app at runtime: written here once, never again by this template.
          endpointStatus: 'Disabled'
          priority: 2
        }
      }
    ]
  }
}

output profileId string = resourceId('Microsoft.Network/trafficmanagerprofiles', profileName)
output profileName string = profileName
@description('The origin group a Front Door target switches (trafficProvider frontDoor).')
output originGroupId string = resourceId('Microsoft.Cdn/profiles/originGroups', frontDoorProfileName, frontDoorOriginGroupName)
@description('Where clients reach the live slot: the Traffic Manager name, or the Front Door endpoint\'s host name.')
output fqdn string = isFrontDoor ? frontDoorEndpoint!.properties.hostName : 'release-${resourceToken}.trafficmanager.net'
output slotNames string[] = slotNames
output vmssIds string[] = [for i in range(0, length(slotNames)): slots[i].outputs.vmssId]
output vmssNames string[] = [for i in range(0, length(slotNames)): slots[i].outputs.vmssName]
@description('Subnet of the Function App\'s VNet integration, from which it reaches each instance directly.')
output functionsSubnetId string = '${vnet.id}/subnets/functions'
output slotFqdns string[] = [for i in range(0, length(slotNames)): slots[i].outputs.fqdn]
