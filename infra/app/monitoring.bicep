// Log Analytics and two Application Insights components on it:
// - the app's own (the orchestrator's telemetry; local auth off, it sends with its managed identity),
// - the release target's (the sample web app's availability and requests; the alerts watch this one,
//   and the target's `alerts.resourceIds` names it).

param logAnalyticsName string
param appInsightsName string
param targetAppInsightsName string
param location string
param tags { *: string } = {}

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2026-03-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    // Only Entra ID ingestion: the app authenticates with APPLICATIONINSIGHTS_AUTHENTICATION_STRING.
    DisableLocalAuth: true
  }
}

resource targetAppInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: targetAppInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    // The released web app sends with its connection string (it has no Entra ID token of its own).
    DisableLocalAuth: false
  }
}

output logAnalyticsId string = logAnalytics.id
output appInsightsName string = appInsights.name
output appInsightsConnectionString string = appInsights.properties.ConnectionString
output targetAppInsightsId string = targetAppInsights.id
output targetAppInsightsName string = targetAppInsights.name
output targetAppInsightsConnectionString string = targetAppInsights.properties.ConnectionString
