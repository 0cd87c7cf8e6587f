// The Durable Task Scheduler backend (durableBackend = 'durableTaskScheduler'): a scheduler and the one
// task hub the app uses. The scheduler pushes work items to the app over gRPC, so an approval or an alert
// raised as an external event reaches its orchestration without waiting for a queue poll. The app
// authenticates with its user-assigned identity (Durable Task Data Contributor on the task hub, in
// rbac.bicep); the scheduler has no keys.

param schedulerName string
@description('Task hub name: the same as host.json\'s durableTask.hubName, so both backends use one name.')
param taskHubName string
param location string
param tags { *: string } = {}

@description('Consumption: pay per action, no capacity to size. Dedicated: reserved capacity units.')
@allowed([
  'Consumption'
  'Dedicated'
])
param skuName string = 'Consumption'

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' = {
  name: schedulerName
  location: location
  tags: tags
  properties: {
    sku: {
      name: skuName
    }
    // Reached over the public endpoint with Entra ID auth; an empty allow list would refuse every call.
    ipAllowlist: [
      '0.0.0.0/0'
    ]
  }

  resource taskHub 'taskHubs' = {
    name: taskHubName
  }
}

output schedulerName string = scheduler.name
output endpoint string = scheduler.properties.endpoint
output taskHubName string = scheduler::taskHub.name
