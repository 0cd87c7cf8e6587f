/** Builders of webhook bodies (small, valid by default) and the published fixtures. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { merge } from './target';

/** A published sample payload from test/fixtures (parsed fresh on each call, safe to mutate). */
export function loadFixture(relativePath: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', relativePath), 'utf8')) as Record<
    string,
    unknown
  >;
}

/** Published fixture paths. */
export const FIXTURES = {
  buildComplete: 'devops/build.complete.json',
  runStateChanged: 'devops/run-state-changed.json',
  deploymentCompleted: 'devops/deployment-completed.json',
  metricResolved: 'alerts/metric-resolved.json',
  metricFired: 'alerts/metric-static-fired.json',
  logAlertV2: 'alerts/log-alert-v2.json',
  activityLog: 'alerts/activity-log-administrative.json',
  smartDetector: 'alerts/smart-detector-app-insights.json',
  resourceHealth: 'alerts/resource-health.json',
  serviceHealth2021: 'alerts/service-health-2021-test.json',
} as const;

/** A `build.complete` body with the fields the app reads; `resource` overrides deep-merge. */
export function aBuildCompletePayload(resource: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventType: 'build.complete',
    publisherId: 'tfs',
    resource: merge(
      {
        id: 1234,
        buildNumber: '20240501.3',
        status: 'completed',
        result: 'succeeded',
        url: 'https://dev.azure.com/fabrikam/web/_apis/build/Builds/1234',
        definition: { id: 42, name: 'web-ci' },
        project: { name: 'Fabrikam' },
        sourceBranch: 'refs/heads/main',
        sourceVersion: '6e12f6141917f66a2964af55952ee33914d2d91f',
        requestedFor: { displayName: 'Jack Fabrikam', uniqueName: 'jack@fabrikam.com' },
      },
      resource,
    ),
  };
}

/** A `ms.vss-pipelines.run-state-changed-event` body; `run` overrides deep-merge into resource.run. */
export function aRunStateChangedPayload(run: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventType: 'ms.vss-pipelines.run-state-changed-event',
    publisherId: 'pipelines',
    resource: {
      run: merge(
        {
          id: 1234,
          name: '20240501.3',
          state: 'completed',
          result: 'succeeded',
          url: 'https://dev.azure.com/fabrikam/web/_apis/Pipelines/42/runs/1234',
          resources: { repositories: { self: { refName: 'refs/heads/main', version: 'abc123' } } },
        },
        run,
      ),
      pipeline: { id: 42, name: 'web-ci' },
    },
  };
}

/** A common alert schema body; `essentials` overrides deep-merge. Fired, on `targetResourceId`. */
export function aCommonAlertPayload(essentials: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemaId: 'azureMonitorCommonAlertSchema',
    data: {
      essentials: merge(
        {
          alertId:
            '/subscriptions/s/providers/Microsoft.AlertsManagement/alerts/00000000-0000-0000-0000-000000000001',
          alertRule: 'web-5xx',
          severity: 'Sev1',
          signalType: 'Metric',
          monitorCondition: 'Fired',
          monitoringService: 'Platform',
          alertTargetIDs: [
            '/subscriptions/s/resourcegroups/rg-web/providers/microsoft.insights/components/appi-web',
          ],
          configurationItems: ['appi-web'],
          firedDateTime: '2024-05-01T10:30:00.000Z',
          description: 'HTTP 5xx above threshold',
          essentialsVersion: '1.0',
          alertContextVersion: '1.0',
        },
        essentials,
      ),
      alertContext: {},
    },
  };
}
