// One slot of the sample release target: a Linux scale set behind its own public Standard load balancer,
// whose public IP (with a DNS label) is what the slot's Traffic Manager endpoint points at.

@description('Slot name; also the Traffic Manager endpoint name (e.g. blue, green).')
param slotName string
@description('Name of the slot\'s scale set (derived in main.bicep, which the role assignments use too).')
param vmssName string
param resourceToken string
param location string
param tags { *: string } = {}
param subnetId string
param vmIdentityId string
param vmSku string
@minValue(1)
param instanceCount int
param adminUsername string
@secure()
param adminPassword string
param healthPath string
param appPort int

var pipName = 'pip-${slotName}-${resourceToken}'
var lbName = 'lbe-${slotName}-${resourceToken}'
var frontendName = 'frontend'
var poolName = 'slot'
var probeName = 'health'
var frontendId = resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', lbName, frontendName)
var poolId = resourceId('Microsoft.Network/loadBalancers/backendAddressPools', lbName, poolName)
var probeId = resourceId('Microsoft.Network/loadBalancers/probes', lbName, probeName)

resource pip 'Microsoft.Network/publicIPAddresses@2026-03-01' = {
  name: pipName
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Regional'
  }
  properties: {
    publicIPAllocationMethod: 'Static'
    publicIPAddressVersion: 'IPv4'
    dnsSettings: {
      // Traffic Manager Azure endpoints require a DNS name on the public IP.
      domainNameLabel: 'app-${slotName}-${resourceToken}'
    }
  }
}

resource lb 'Microsoft.Network/loadBalancers@2026-03-01' = {
  name: lbName
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Regional'
  }
  properties: {
    frontendIPConfigurations: [
      {
        name: frontendName
        properties: {
          publicIPAddress: {
            id: pip.id
          }
        }
      }
    ]
    backendAddressPools: [
      {
        name: poolName
      }
    ]
    probes: [
      {
        name: probeName
        properties: {
          protocol: 'Http'
          port: appPort
          requestPath: healthPath
          intervalInSeconds: 5
          probeThreshold: 1
        }
      }
    ]
    loadBalancingRules: [
      {
        name: 'http'
        properties: {
          frontendIPConfiguration: {
            id: frontendId
          }
          backendAddressPool: {
            id: poolId
          }
          probe: {
            id: probeId
          }
          protocol: 'Tcp'
          frontendPort: 80
          backendPort: appPort
          enableFloatingIP: false
          idleTimeoutInMinutes: 4
          // Outbound traffic (apt, package downloads) goes through the explicit outbound rule below.
          disableOutboundSnat: true
        }
      }
    ]
    outboundRules: [
      {
        name: 'outbound'
        properties: {
          frontendIPConfigurations: [
            {
              id: frontendId
            }
          ]
          backendAddressPool: {
            id: poolId
          }
          protocol: 'All'
          allocatedOutboundPorts: 1024
          idleTimeoutInMinutes: 4
          enableTcpReset: true
        }
      }
    ]
  }
}

resource vmss 'Microsoft.Compute/virtualMachineScaleSets@2026-04-01' = {
  name: vmssName
  location: location
  tags: union(tags, { 'release-slot': slotName })
  sku: {
    name: vmSku
    tier: 'Standard'
    capacity: instanceCount
  }
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${vmIdentityId}': {}
    }
  }
  properties: {
    orchestrationMode: 'Uniform'
    overprovision: false
    // Manual: a re-provision never reimages instances, so the deployed release survives `azd provision`.
    upgradePolicy: {
      mode: 'Manual'
    }
    virtualMachineProfile: {
      osProfile: {
        computerNamePrefix: take(slotName, 9)
        adminUsername: adminUsername
        adminPassword: adminPassword
        customData: base64(loadTextContent('cloud-init.yaml'))
        linuxConfiguration: {
          disablePasswordAuthentication: false
          provisionVMAgent: true
        }
      }
      storageProfile: {
        imageReference: {
          publisher: 'Canonical'
          offer: 'ubuntu-24_04-lts'
          sku: 'server'
          version: 'latest'
        }
        osDisk: {
          createOption: 'FromImage'
          caching: 'ReadWrite'
          managedDisk: {
            storageAccountType: 'StandardSSD_LRS'
          }
        }
      }
      networkProfile: {
        networkInterfaceConfigurations: [
          {
            name: 'nic'
            properties: {
              primary: true
              ipConfigurations: [
                {
                  name: 'ipconfig'
                  properties: {
                    subnet: {
                      id: subnetId
                    }
                    loadBalancerBackendAddressPools: [
                      {
                        id: poolId
                      }
                    ]
                  }
                }
              ]
            }
          }
        ]
      }
      diagnosticsProfile: {
        bootDiagnostics: {
          enabled: true
        }
      }
    }
  }
  dependsOn: [
    lb
  ]
}

output publicIpId string = pip.id
output fqdn string = pip.properties.dnsSettings.fqdn
output vmssId string = vmss.id
output vmssName string = vmss.name
