import {
  alertMatchesScope,
  isWithinScope,
  normalizeResourceId,
  parseCommonAlert,
  toFiredAlert,
} from '../../../src/core/payloads/alerts';
import { ValidationError } from '../../../src/core/errors';
import { FIXTURES, aCommonAlertPayload, loadFixture } from '../../builders/payloads';
import { SUB, ids } from '../../builders/target';

function essentialsOf(body: Record<string, unknown>): Record<string, unknown> {
  return (body.data as Record<string, Record<string, unknown>>).essentials as Record<string, unknown>;
}

function problemsOf(body: unknown): string[] {
  try {
    parseCommonAlert(body);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected a ValidationError');
}

describe('parseCommonAlert on the published samples', () => {
  it('reads the metric alert sample (Resolved), keeping IDs as sent', () => {
    expect(parseCommonAlert(loadFixture(FIXTURES.metricResolved))).toEqual({
      source: 'metric',
      alertId:
        '/subscriptions/<subscription ID>/providers/Microsoft.AlertsManagement/alerts/b9569717-bc32-442f-add5-83a997729330',
      rule: 'WCUS-R2-Gen2',
      severity: 'Sev3',
      monitorCondition: 'Resolved',
      targetResourceIds: [
        '/subscriptions/<subscription ID>/resourcegroups/pipelinealertrg/providers/microsoft.compute/virtualmachines/wcus-r2-gen2',
      ],
      firedAt: '2019-03-22T13:58:24.3713213Z',
      resolvedAt: '2019-03-22T14:03:16.2246313Z',
      signalType: 'Metric',
      monitoringService: 'Platform',
      configurationItems: ['wcus-r2-gen2'],
    });
  });

  it('reads the fired static-threshold metric alert sample', () => {
    expect(parseCommonAlert(loadFixture(FIXTURES.metricFired))).toMatchObject({
      rule: 'test-metricAlertRule',
      monitorCondition: 'Fired',
      severity: 'Sev3',
      description: 'Alert rule description',
      firedAt: '2021-11-15T09:35:24.3468506Z',
    });
  });

  it('reads the Log Alerts V2 sample, which has no configurationItems', () => {
    const alert = parseCommonAlert(loadFixture(FIXTURES.logAlertV2));
    expect(alert).toMatchObject({
      alertId:
        '/subscriptions/12345a-1234b-123c-123d-12345678e/providers/Microsoft.AlertsManagement/alerts/12345a-1234b-123c-123d-12345678e',
      rule: 'AcmeRule',
      severity: 'Sev4',
      monitorCondition: 'Fired',
      monitoringService: 'Log Alerts V2',
      description: 'log alert rule V2',
    });
    expect(alert.configurationItems).toBeUndefined();
  });

  it('reads the activity log and smart detection samples', () => {
    expect(parseCommonAlert(loadFixture(FIXTURES.activityLog))).toMatchObject({
      rule: 'test-activityLogAlertRule',
      signalType: 'Activity Log',
      targetResourceIds: [
        '/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/test-RG/providers/microsoft.compute/virtualmachines/test-VM',
      ],
    });
    expect(parseCommonAlert(loadFixture(FIXTURES.smartDetector))).toMatchObject({
      rule: 'Dependency Latency Degradation - test-applicationInsights',
      monitoringService: 'SmartDetector',
    });
  });

  it('drops an empty description', () => {
    expect(parseCommonAlert(loadFixture(FIXTURES.metricResolved)).description).toBeUndefined();
  });

  it('projects to the FiredAlert the orchestration stores', () => {
    expect(toFiredAlert(parseCommonAlert(loadFixture(FIXTURES.logAlertV2)))).toEqual({
      alertId:
        '/subscriptions/12345a-1234b-123c-123d-12345678e/providers/Microsoft.AlertsManagement/alerts/12345a-1234b-123c-123d-12345678e',
      rule: 'AcmeRule',
      severity: 'Sev4',
      targetResourceIds: [
        '/subscriptions/12345a-1234b-123c-123d-12345678e/resourcegroups/ai-engineering/providers/microsoft.compute/virtualmachines/testvm',
      ],
      firedAt: '2020-07-09T14:04:49.99645Z',
      description: 'log alert rule V2',
      monitoringService: 'Log Alerts V2',
      source: 'log',
    });
  });

  it.each([
    ['metricResolved', 'metric'],
    ['metricFired', 'metric'],
    ['logAlertV2', 'log'],
    ['smartDetector', 'smart-detection'],
    ['activityLog', 'activity-log-administrative'],
    ['resourceHealth', 'resource-health'],
    ['serviceHealth2021', 'service-health'],
  ] as const)('classifies the source of the %s sample as %s', (fixture, source) => {
    expect(parseCommonAlert(loadFixture(FIXTURES[fixture])).source).toBe(source);
  });

  it('reads the Resource Health and 2021 Service Health test samples', () => {
    expect(parseCommonAlert(loadFixture(FIXTURES.resourceHealth))).toMatchObject({
      rule: 'test-ResourceHealthAlertRule',
      severity: 'Sev4',
      monitoringService: 'Resource Health',
      monitorCondition: 'Fired',
    });
    // This sample's firedDateTime has no zone ("2021-11-17T05:34:48.0623172"): it is kept as sent.
    expect(parseCommonAlert(loadFixture(FIXTURES.serviceHealth2021))).toMatchObject({
      rule: 'test-ServiceHealthAlertRule',
      firedAt: '2021-11-17T05:34:48.0623172',
      targetResourceIds: ['/subscriptions/11111111-1111-1111-1111-111111111111'],
    });
  });

  it('tells availability tests apart by their condition type', () => {
    const body = aCommonAlertPayload({});
    (body.data as Record<string, unknown>).alertContext = {
      conditionType: 'WebtestLocationAvailabilityCriteria',
    };
    expect(parseCommonAlert(body).source).toBe('availability');
  });
});

describe('parseCommonAlert validation', () => {
  it('names every missing essentials field of a sample at once', () => {
    const sample = loadFixture(FIXTURES.metricFired);
    const e = essentialsOf(sample);
    delete e.alertId;
    delete e.alertRule;
    delete e.monitorCondition;
    delete e.alertTargetIDs;
    delete e.firedDateTime;
    expect(problemsOf(sample)).toEqual([
      'data.essentials.alertId: required',
      'data.essentials.alertRule: required',
      'data.essentials.monitorCondition: required',
      'data.essentials.alertTargetIDs: required',
      'data.essentials.firedDateTime: required',
    ]);
  });

  it('names ill-typed fields', () => {
    const body = aCommonAlertPayload({
      alertId: 5,
      alertTargetIDs: ['/ok', 7],
      monitorCondition: 'Acknowledged',
      configurationItems: 'x',
    });
    expect(problemsOf(body)).toEqual([
      'data.essentials.alertId: expected a string, got number',
      'data.essentials.monitorCondition: expected "Fired" or "Resolved", got "Acknowledged"',
      'data.essentials.alertTargetIDs[1]: expected a string, got number',
      'data.essentials.configurationItems: expected an array of strings, got string',
    ]);
  });

  it('refuses payloads not in the common alert schema', () => {
    const legacy = { schemaId: 'Microsoft.Insights/LogAlert', data: { AlertRuleName: 'AcmeRule' } };
    expect(problemsOf(legacy)).toEqual(
      expect.arrayContaining([
        'schemaId: expected "azureMonitorCommonAlertSchema" (enable the common alert schema on the action group)',
        'data.essentials: required',
      ]),
    );
  });

  it.each([null, [], 'x', 1])('refuses a body that is not an object: %j', (body) => {
    expect(problemsOf(body)).toEqual(['(body): expected a JSON object']);
  });

  it('requires schemaId', () => {
    const body = aCommonAlertPayload();
    delete body.schemaId;
    expect(problemsOf(body)).toEqual(['schemaId: required']);
  });
});

describe('parseCommonAlert bounds what the app keeps', () => {
  it('refuses over-long IDs, rule names and target lists, naming each field and its limit', () => {
    const body = aCommonAlertPayload({
      alertId: `/subscriptions/s/providers/Microsoft.AlertsManagement/alerts/${'a'.repeat(300)}`,
      alertRule: 'r'.repeat(261),
      alertTargetIDs: Array.from({ length: 101 }, (_, i) => `/subscriptions/s/resourceGroups/rg/x/${i}`),
    });
    expect(problemsOf(body)).toEqual([
      'data.essentials.alertId: must be at most 256 characters',
      'data.essentials.alertRule: must be at most 260 characters',
      'data.essentials.alertTargetIDs: must list at most 100 resources',
    ]);
  });
});

describe('alert scope', () => {
  const vmss = ids.scaleSet('vmss-blue');
  const appi = ids.appInsights();

  it('compares resource IDs case-insensitively (Azure lower-cases resourcegroups and providers)', () => {
    const sent = `/subscriptions/${SUB}/resourcegroups/rg-web/providers/microsoft.insights/components/appi-web`;
    expect(
      alertMatchesScope({ rule: 'r', targetResourceIds: [sent] }, { resourceIds: [appi], ruleNames: [] }),
    ).toBe(true);
  });

  it('matches a target under a configured scope, on a segment boundary only', () => {
    const rg = ids.resourceGroup('rg-web');
    expect(isWithinScope(vmss, rg)).toBe(true);
    expect(isWithinScope(`${vmss}/virtualMachines/3`, vmss)).toBe(true);
    expect(isWithinScope(ids.scaleSet('vmss-blue2'), vmss)).toBe(false);
    expect(isWithinScope(ids.resourceGroup('rg-web-2'), rg)).toBe(false);
    expect(isWithinScope(vmss, `${rg}/`)).toBe(true);
    expect(isWithinScope(vmss, '')).toBe(false);
  });

  it('matches rule names case-insensitively', () => {
    expect(
      alertMatchesScope(
        { rule: 'Web-5XX', targetResourceIds: [] },
        { resourceIds: [], ruleNames: ['web-5xx'] },
      ),
    ).toBe(true);
  });

  it('does not match other rules or resources', () => {
    expect(
      alertMatchesScope(
        { rule: 'db-cpu', targetResourceIds: [ids.vm('db-1')] },
        { resourceIds: [vmss, appi], ruleNames: ['web-5xx'] },
      ),
    ).toBe(false);
    expect(
      alertMatchesScope({ rule: 'x', targetResourceIds: [vmss] }, { resourceIds: [], ruleNames: [] }),
    ).toBe(false);
  });

  it('scopes the published samples by their lower-case target IDs', () => {
    const alert = parseCommonAlert(loadFixture(FIXTURES.smartDetector));
    const configured =
      '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/test-RG/providers/Microsoft.Insights/components/test-applicationInsights';
    expect(alertMatchesScope(alert, { resourceIds: [configured], ruleNames: [] })).toBe(true);
  });

  it('normalises trailing slashes and case', () => {
    expect(normalizeResourceId(' /Subscriptions/A/ResourceGroups/B/ ')).toBe(
      '/subscriptions/a/resourcegroups/b',
    );
  });
});
