// Monitoring of the release target, wired to the app:
// - an availability test on the Traffic Manager name (what users reach), feeding the target's App Insights;
// - two metric alerts on that component: failed requests and availability;
// - an action group whose only receiver is the app's alerts endpoint, with the common alert schema.
// During a bake the app rolls back when one of these alerts fires (the target's `alerts` names both the
// component and the rule names).

param location string
param tags { *: string } = {}
param actionGroupName string
param failedRequestsAlertName string
param availabilityAlertName string
param targetAppInsightsName string

@description('Host name of the Function App (its alerts endpoint is /api/hooks/alerts).')
param apiHostName string

@secure()
@description('Function key of the alerts endpoint (set on the function by the azd postdeploy hook).')
param alertsFunctionKey string

@description('URL the availability test requests: the Traffic Manager name, i.e. what users are served.')
param availabilityUrl string

@description('Failed requests (count over 5 minutes) above which the failed-requests alert fires.')
param failedRequestsThreshold int

@description('Availability (percent over 5 minutes) below which the availability alert fires.')
param availabilityThreshold int

resource targetAppInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: targetAppInsightsName
}

resource availabilityTest 'Microsoft.Insights/webtests@2022-06-15' = {
  name: 'webtest-${targetAppInsightsName}'
  location: location
  // Links the test to the component (required by Application Insights).
  tags: union(tags, { 'hidden-link:${targetAppInsights.id}': 'Resource' })
  kind: 'standard'
  properties: {
    Name: 'release-target-availability'
    SyntheticMonitorId: 'webtest-${targetAppInsightsName}'
    Description: 'GET on the Traffic Manager name of the release target.'
    Kind: 'standard'
    Enabled: true
    Frequency: 300
    Timeout: 30
    // No retries: a bad build must show as failed runs, not be retried into a pass.
    RetryEnabled: false
    Locations: [
      {
        Id: 'us-va-ash-azr'
      }
      {
        Id: 'us-ca-sjc-azr'
      }
      {
        Id: 'emea-nl-ams-azr'
      }
      {
        Id: 'emea-gb-db3-azr'
      }
      {
        Id: 'apac-sg-sin-azr'
      }
    ]
    Request: {
      RequestUrl: availabilityUrl
      HttpVerb: 'GET'
      ParseDependentRequests: false
      FollowRedirects: false
    }
    ValidationRules: {
      ExpectedHttpStatusCode: 200
      SSLCheck: false
    }
  }
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'release'
    enabled: true
    webhookReceivers: [
      {
        name: 'release-orchestrator'
        // The key is a function key of the AlertHook function only (not a host key): it opens nothing else.
        serviceUri: 'https://${apiHostName}/api/hooks/alerts?code=${alertsFunctionKey}'
        useCommonAlertSchema: true
        useAadAuth: false
      }
    ]
  }
}

resource failedRequestsAlert 'Microsoft.Insights/metricAlerts@2026-01-01' = {
  name: failedRequestsAlertName
  location: 'global'
  tags: tags
  properties: {
    description: 'Failed requests of the release target. Fires during a bake -> the release rolls back.'
    severity: 1
    enabled: true
    scopes: [
      targetAppInsights.id
    ]
    evaluationFrequency: 'PT1M'
    windowSize: 'PT5M'
    autoMitigate: true
    targetResourceType: 'microsoft.insights/components'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'failed-requests'
          metricNamespace: 'microsoft.insights/components'
          metricName: 'requests/failed'
          operator: 'GreaterThan'
          threshold: failedRequestsThreshold
          timeAggregation: 'Count'
        }
      ]
    }
    actions: [
      {
        actionGroupId: actionGroup.id
      }
    ]
  }
}

resource availabilityAlert 'Microsoft.Insights/metricAlerts@2026-01-01' = {
  name: availabilityAlertName
  location: 'global'
  tags: tags
  properties: {
    description: 'Availability of the release target (from the availability test). Fires during a bake -> rollback.'
    severity: 1
    enabled: true
    scopes: [
      targetAppInsights.id
    ]
    evaluationFrequency: 'PT1M'
    windowSize: 'PT5M'
    autoMitigate: true
    targetResourceType: 'microsoft.insights/components'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'availability'
          metricNamespace: 'microsoft.insights/components'
          metricName: 'availabilityResults/availabilityPercentage'
          operator: 'LessThan'
          threshold: availabilityThreshold
          timeAggregation: 'Average'
        }
      ]
    }
    actions: [
      {
        actionGroupId: actionGroup.id
      }
    ]
  }
  dependsOn: [
    availabilityTest
  ]
}

output actionGroupId string = actionGroup.id
output failedRequestsAlertName string = failedRequestsAlert.name
output availabilityAlertName string = availabilityAlert.name
