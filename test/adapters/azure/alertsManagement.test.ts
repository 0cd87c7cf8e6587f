import { alertQueryScopes, createAlertsManagementSource } from '../../../src/adapters/azure/alertsManagement';
import type { Harness } from '../../local/arm/harness';
import { APPI_ID, PROFILE_ID, RG_ID, SUB, startHarness, testClients, vmssId } from '../../local/arm/harness';

const OTHER_RG_ID = `/subscriptions/${SUB}/resourceGroups/rg-other`;
const OTHER_ID = `${OTHER_RG_ID}/providers/Microsoft.Compute/virtualMachines/vm-other`;
const rgAlertsPath = `${RG_ID}/providers/Microsoft.AlertsManagement/alerts`;
const context = { trafficResource: PROFILE_ID };

describe('alertQueryScopes', () => {
  it('lists once per resource group of the scoped IDs, never at the subscription', () => {
    expect(
      alertQueryScopes(
        { resourceIds: [APPI_ID, vmssId('blue'), APPI_ID.toLowerCase(), RG_ID, OTHER_ID], ruleNames: [] },
        context,
      ),
    ).toEqual([
      { scopeId: RG_ID, subscriptionId: SUB },
      { scopeId: OTHER_RG_ID, subscriptionId: SUB },
    ]);
  });

  it("adds the profile's resource group for rule names, so rule names alone find their alerts", () => {
    expect(alertQueryScopes({ resourceIds: [], ruleNames: ['cpu'] }, context)).toEqual([
      { scopeId: RG_ID, subscriptionId: SUB },
    ]);
    expect(alertQueryScopes({ resourceIds: [OTHER_ID], ruleNames: ['cpu'] }, context)).toEqual([
      { scopeId: OTHER_RG_ID, subscriptionId: SUB },
      { scopeId: RG_ID, subscriptionId: SUB },
    ]);
    expect(alertQueryScopes({ resourceIds: [], ruleNames: [] }, context)).toEqual([]);
  });

  it('lists a subscription ID at its own scope (it needs a role there)', () => {
    expect(alertQueryScopes({ resourceIds: [`/subscriptions/${SUB}`], ruleNames: [] }, context)).toEqual([
      { scopeId: `/subscriptions/${SUB}`, subscriptionId: SUB },
    ]);
  });
});

describe('AlertSource over Microsoft.AlertsManagement/alerts', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('returns alerts fired on the scoped resources (ids compared case-insensitively), mapped to FiredAlert', async () => {
    // Azure lower-cases parts of target IDs (resourcegroups, microsoft.insights).
    const fired = h.arm.control.addAlert({
      targetResource: APPI_ID.toLowerCase(),
      rule: 'failed-requests',
      severity: 'Sev2',
      description: 'Failed requests above 5%',
      startDateTime: '2026-11-28T04:00:00.000Z',
      alertGuid: '11111111-1111-4111-8111-111111111111',
    });
    h.arm.control.addAlert({
      targetResource: APPI_ID,
      rule: 'acknowledged-one',
      alertState: 'Acknowledged',
      startDateTime: '2026-11-28T04:01:00.000Z',
    });
    h.arm.control.addAlert({ targetResource: APPI_ID, rule: 'closed-one', alertState: 'Closed' });
    const resolved = h.arm.control.addAlert({ targetResource: APPI_ID, rule: 'resolved-one' });
    h.arm.control.resolveAlert(String(resolved.id.split('/').pop()));
    h.arm.control.addAlert({ targetResource: vmssId('blue'), rule: 'same-group-other-resource' });

    const alerts = await createAlertsManagementSource(testClients(h.arm)).firing(
      { resourceIds: [APPI_ID], ruleNames: [] },
      context,
    );
    expect(alerts).toEqual([
      {
        alertId: `/subscriptions/${SUB}/providers/Microsoft.AlertsManagement/alerts/11111111-1111-4111-8111-111111111111`,
        rule: 'failed-requests',
        severity: 'Sev2',
        targetResourceIds: [fired.properties.essentials.targetResource],
        firedAt: '2026-11-28T04:00:00.000Z',
        description: 'Failed requests above 5%',
        // The API's `monitorService`, and the source the alert policy reads from it.
        monitoringService: 'Platform',
        source: 'metric',
      },
      expect.objectContaining({ rule: 'acknowledged-one', severity: 'Sev1' }),
    ]);
    // One list at the resource group's scope (where the alerts reader role is), none at the subscription's.
    const sent = h.arm.control
      .requests()
      .filter((r) => r.path.endsWith('/Microsoft.AlertsManagement/alerts'));
    expect(sent.map((r) => `${r.path} ${r.status}`)).toEqual([`${rgAlertsPath} 200`]);
    expect(sent[0]?.query).toEqual({
      'api-version': '2019-03-01',
      monitorCondition: 'Fired',
      timeRange: '30d',
      pageCount: '250',
    });
  });

  it('matches rule names in the target groups, resource groups and resources under a scoped ID', async () => {
    h.arm.control.addAlert({ targetResource: APPI_ID, rule: 'Webapp-Availability' });
    h.arm.control.addAlert({ targetResource: `${vmssId('blue')}/virtualMachines/0`, rule: 'instance-cpu' });
    h.arm.control.addAlert({ targetResource: vmssId('green'), rule: 'cpu' });
    h.arm.control.addAlert({ targetResource: OTHER_ID, rule: 'webapp-availability' });
    const source = createAlertsManagementSource(testClients(h.arm));

    const byRuleOnly = await source.firing({ resourceIds: [], ruleNames: ['webapp-availability'] }, context);
    expect(byRuleOnly.map((a) => a.rule)).toEqual(['Webapp-Availability']);
    const underVmss = await source.firing({ resourceIds: [vmssId('blue')], ruleNames: [] }, context);
    expect(underVmss.map((a) => a.rule)).toEqual(['instance-cpu']);
    const byGroup = await source.firing({ resourceIds: [RG_ID], ruleNames: [] }, context);
    expect(byGroup.map((a) => a.rule).sort()).toEqual(['Webapp-Availability', 'cpu', 'instance-cpu']);
    const paths = new Set(h.arm.control.requests().map((r) => r.path));
    expect([...paths]).toEqual([rgAlertsPath]);
  });

  it('follows nextLink across pages at the same scope', async () => {
    for (let i = 0; i < 260; i++) {
      h.arm.control.addAlert({
        targetResource: APPI_ID,
        rule: `rule-${i}`,
        startDateTime: new Date(Date.now() - i * 1000).toISOString(),
      });
    }
    const alerts = await createAlertsManagementSource(testClients(h.arm)).firing(
      { resourceIds: [APPI_ID], ruleNames: [] },
      context,
    );
    expect(alerts).toHaveLength(260);
    const sent = h.arm.control.requests();
    expect(sent.map((r) => r.path)).toEqual([rgAlertsPath, rgAlertsPath]);
    expect(sent[1]?.query.ctoken).toBe('250');
  });

  it('reports a group the identity may not read as a 403 naming the scope; retries a 503', async () => {
    h.arm.control.addAlert({ targetResource: APPI_ID, rule: 'r' });
    h.arm.control.addFault({ path: 'alerts$', status: 503, retryAfterSeconds: 0 });
    const source = createAlertsManagementSource(testClients(h.arm));
    expect(await source.firing({ resourceIds: [APPI_ID], ruleNames: [] }, context)).toHaveLength(1);

    // The stand-in grants alerts read on rg-webapp only, as infra/app/rbac.bicep does.
    await expect(source.firing({ resourceIds: [OTHER_ID], ruleNames: [] }, context)).rejects.toMatchObject({
      step: 'firing-alerts',
      resource: OTHER_RG_ID,
      transient: false,
      message: expect.stringContaining(
        `firing-alerts failed on ${OTHER_RG_ID}: HTTP 403 AuthorizationFailed: The client does not have authorization to perform action 'Microsoft.AlertsManagement/alerts/read' over scope '${OTHER_RG_ID}'`,
      ),
    });
  });
});

describe('AlertSource against a stand-in that grants alerts read on another group too', () => {
  it('lists each resource group of the scope once and merges the results', async () => {
    const h = await startHarness({ alertReadScopes: [RG_ID, OTHER_RG_ID] });
    try {
      h.arm.control.addVm({ name: 'vm-other', resourceGroup: 'rg-other' });
      h.arm.control.addAlert({ targetResource: OTHER_ID, rule: 'other-cpu' });
      h.arm.control.addAlert({ targetResource: APPI_ID, rule: 'errors' });
      const alerts = await createAlertsManagementSource(testClients(h.arm)).firing(
        { resourceIds: [APPI_ID, OTHER_ID], ruleNames: [] },
        context,
      );
      expect(alerts.map((a) => a.rule).sort()).toEqual(['errors', 'other-cpu']);
      expect(h.arm.control.requests().map((r) => r.path)).toEqual([
        rgAlertsPath,
        `${OTHER_RG_ID}/providers/Microsoft.AlertsManagement/alerts`,
      ]);
    } finally {
      await h.stop();
    }
  });
});
