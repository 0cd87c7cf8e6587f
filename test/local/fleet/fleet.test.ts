import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CommonAlertPayload, Fleet, ProductionEndpoint } from '../../../local/fleet';
import { deployScriptPath, startFleet } from '../../../local/fleet';
import type { RunCommandRequest } from '../../../local/contracts';
import { alertMatchesScope, parseCommonAlert } from '../../../src/core/payloads/alerts';
import { get, tempDir, testNetwork, waitFor } from './helpers';

const deployScript = readFileSync(deployScriptPath(), 'utf8');

/** A run command request as the ARM stand-in builds it from the app's managed run command. */
function runRequest(
  fleet: Fleet,
  instanceName: string,
  overrides: Partial<RunCommandRequest> = {},
): RunCommandRequest {
  const [vmss, id] = instanceName.split('_');
  return {
    resourceId:
      `/subscriptions/${fleet.topology.subscriptionId}/resourceGroups/${fleet.topology.resourceGroup}` +
      `/providers/Microsoft.Compute/virtualMachineScaleSets/${vmss}/virtualMachines/${id}`,
    instanceName,
    runName: 'release-webapp-5-deploy',
    script: deployScript,
    parameters: {},
    timeoutSeconds: 60,
    ...overrides,
  };
}

describe('local fleet', () => {
  const tmp = tempDir('fleet-');
  const network = testNetwork();
  let fleet: Fleet;

  const slot = (name: string) => fleet.topology.slots.find((s) => s.name === name)!;
  const lbUrl = (name: string, path = '/') => `http://${slot(name).endpointTarget}:${slot(name).port}${path}`;
  const deployTo = (slotName: string, version: string) =>
    Promise.all(
      slot(slotName).instances.map((i) =>
        fleet.executor.execute(
          runRequest(fleet, i.name, {
            parameters: { ARTIFACT_URL: fleet.artifacts.url('webapp', version), VERSION: version },
          }),
        ),
      ),
    );
  const start = () =>
    startFleet({
      dataDir: tmp.dir,
      instancesPerSlot: 2,
      network,
      instancePort: 0,
      lbPort: 0,
      artifactPort: 0,
      controlPort: 0,
    });

  beforeAll(async () => {
    fleet = await start();
  });

  afterAll(async () => {
    await fleet?.close();
    tmp.remove();
  });

  it('describes the sample target and serves the initial version on every instance and slot', async () => {
    expect(fleet.topology).toMatchObject({
      subscriptionId: '00000000-0000-0000-0000-000000000000',
      resourceGroup: 'rg-webapp',
      profileName: 'tm-webapp',
      appInsightsId:
        '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-webapp/providers/Microsoft.Insights/components/appi-webapp',
    });
    expect(fleet.topology.slots.map((s) => [s.name, s.vmssName, s.endpointTarget])).toEqual([
      ['blue', 'vmss-webapp-blue', `127.${network}.1.1`],
      ['green', 'vmss-webapp-green', `127.${network}.2.1`],
    ]);
    expect(slot('green').instances.map((i) => [i.name, i.instanceId, i.address])).toEqual([
      ['vmss-webapp-green_0', '0', `127.${network}.2.10`],
      ['vmss-webapp-green_1', '1', `127.${network}.2.11`],
    ]);
    for (const instance of fleet.topology.slots.flatMap((s) => s.instances)) {
      const health = await get(`http://${instance.address}:${instance.port}/health`);
      expect(health.status).toBe(200);
      expect(JSON.parse(health.text)).toMatchObject({ status: 'ok', version: '1.0.0' });
    }
    for (const name of ['blue', 'green']) {
      const page = await get(lbUrl(name));
      expect(page.status).toBe(200);
      expect(page.headers.get('x-app-version')).toBe('1.0.0');
    }
  });

  it('deploys a build onto a slot through the executor with the real script; the slot LB serves it round-robin', async () => {
    const outcomes = await deployTo('green', '5');

    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ exitCode: 0, timedOut: false, stderr: '' });
      expect(outcome.stdout).toContain('deploy: deployed 5 to');
      expect(Date.parse(outcome.endedAt)).toBeGreaterThanOrEqual(Date.parse(outcome.startedAt));
    }
    const servedBy = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const page = await get(lbUrl('green'));
      expect(page.headers.get('x-app-version')).toBe('5');
      servedBy.add(page.headers.get('x-served-by') ?? '');
    }
    expect([...servedBy].sort()).toEqual(['vmss-webapp-green_0', 'vmss-webapp-green_1']);
    expect((await get(lbUrl('blue'))).headers.get('x-app-version')).toBe('1.0.0');
    expect(
      fleet
        .instances()
        .filter((i) => i.version === '5')
        .map((i) => i.name)
        .sort(),
    ).toEqual(['vmss-webapp-green_0', 'vmss-webapp-green_1']);
  });

  it('lets parameters the app sends win over the host defaults', async () => {
    const outcome = await fleet.executor.execute(
      runRequest(fleet, 'vmss-webapp-blue_0', {
        script: 'echo "root=$INSTALL_ROOT restart=$RESTART_COMMAND custom=$CUSTOM"',
        parameters: { RESTART_COMMAND: 'true', CUSTOM: 'x' },
      }),
    );

    expect(outcome.exitCode).toBe(0);
    expect(outcome.stdout.trim()).toBe(`root=${slot('blue').instances[0].root} restart=true custom=x`);
  });

  it('kills a run over its timeout and reports it', async () => {
    const outcome = await fleet.executor.execute(
      runRequest(fleet, 'vmss-webapp-blue_1', { script: 'echo started; sleep 30 & wait', timeoutSeconds: 1 }),
    );

    expect(outcome).toMatchObject({ exitCode: 124, timedOut: true });
    expect(outcome.stdout).toBe('started\n');
    expect(outcome.stderr).toContain('timed out after 1s');
  });

  it('refuses a run command for an instance it does not have', async () => {
    await expect(
      fleet.executor.execute(
        runRequest(fleet, 'vmss-webapp-red_0', { resourceId: '/x/virtualMachines/nope' }),
      ),
    ).rejects.toThrow("no fleet instance 'vmss-webapp-red_0'");
  });

  it('refuses to start a second fleet on addresses another one holds, naming them', async () => {
    const other = tempDir('fleet-other-');
    const held = slot('blue').instances[0]!;
    try {
      await expect(
        startFleet({
          dataDir: other.dir,
          instancesPerSlot: 1,
          network,
          instancePort: held.port,
          lbPort: 0,
          artifactPort: 0,
          controlPort: 0,
        }),
      ).rejects.toThrow(`addresses already in use (${held.address}:${held.port})`);
    } finally {
      other.remove();
    }
    expect((await get(lbUrl('blue', '/health'))).status).toBe(200);
  }, 30_000);

  it('keeps what was deployed across a restart of the fleet', async () => {
    await fleet.close();
    fleet = await start();

    expect((await get(lbUrl('green'))).headers.get('x-app-version')).toBe('5');
    expect((await get(lbUrl('blue'))).headers.get('x-app-version')).toBe('1.0.0');
  });

  describe('bad build under traffic', () => {
    let hook: Server;
    let hookUrl: string;
    const received: Array<{ url: string; body: CommonAlertPayload }> = [];
    let production: ProductionEndpoint;

    beforeAll(async () => {
      hook = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          received.push({
            url: req.url ?? '',
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as CommonAlertPayload,
          });
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        });
      });
      await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
      hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/api/hooks/alerts?code=test-key`;
    });

    afterAll(async () => {
      await new Promise((r) => hook.close(r));
    });

    it('raises the error rate, fires one schema-valid alert, and resolves it once traffic is back on a good slot', async () => {
      fleet.artifacts.setBad('6', true, 0.5);
      const outcomes = await deployTo('green', '6');
      expect(outcomes.map((o) => o.exitCode)).toEqual([0, 0]);

      production = { target: slot('green').endpointTarget, port: slot('green').port };
      const traffic = fleet.startTraffic({
        resolveProduction: async () => production,
        ratePerSecond: 50,
        windowSeconds: 2,
        resolveIntervalMs: 100,
      });
      const notified: string[] = [];
      fleet.startAlerts({
        webhookUrl: hookUrl,
        windowSeconds: 2,
        threshold: 0.1,
        minRequests: 10,
        evaluateEveryMs: 100,
        clearEvaluations: 2,
        onAlert: (event) => void notified.push(event.monitorCondition),
      });

      const fired = await waitFor('a Fired webhook', () =>
        received.find((r) => r.body.data.essentials.monitorCondition === 'Fired'),
      );
      expect(traffic.window('green').errorRate).toBeGreaterThan(0.3);
      expect(fired.url).toBe('/api/hooks/alerts?code=test-key');
      const essentials = fired.body.data.essentials;
      expect(fired.body.schemaId).toBe('azureMonitorCommonAlertSchema');
      expect(essentials).toMatchObject({
        alertRule: 'webapp-failed-requests',
        severity: 'Sev1',
        signalType: 'Metric',
        monitorCondition: 'Fired',
        monitoringService: 'Platform',
        alertTargetIDs: [
          '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg-webapp/providers/microsoft.insights/components/appi-webapp',
        ],
        configurationItems: ['appi-webapp'],
        essentialsVersion: '1.0',
        alertContextVersion: '1.0',
      });
      expect(essentials.alertId).toMatch(
        /^\/subscriptions\/00000000-0000-0000-0000-000000000000\/providers\/Microsoft\.AlertsManagement\/alerts\/[0-9a-f-]{36}$/,
      );
      expect(essentials.firedDateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
      expect(fired.body.data.alertContext).toMatchObject({
        conditionType: 'SingleResourceMultipleMetricCriteria',
        condition: {
          windowSize: 'PT2S',
          allOf: [expect.objectContaining({ operator: 'GreaterThanOrEqual' })],
        },
      });

      // The app's own webhook parser takes it, and it belongs to the sample target's alert scope.
      const parsed = parseCommonAlert(fired.body);
      expect(parsed).toMatchObject({
        monitorCondition: 'Fired',
        rule: 'webapp-failed-requests',
        severity: 'Sev1',
      });
      expect(alertMatchesScope(parsed, { resourceIds: [fleet.topology.appInsightsId], ruleNames: [] })).toBe(
        true,
      );

      // Traffic swapped back to the good slot: the incident resolves, under the same alert ID.
      production = { target: slot('blue').endpointTarget, port: slot('blue').port };
      const resolved = await waitFor('a Resolved webhook', () =>
        received.find((r) => r.body.data.essentials.monitorCondition === 'Resolved'),
      );
      expect(resolved.body.data.essentials.alertId).toBe(essentials.alertId);
      expect(resolved.body.data.essentials.resolvedDateTime).toMatch(/Z$/);
      expect(received.filter((r) => r.body.data.essentials.monitorCondition === 'Fired')).toHaveLength(1);
      expect(notified).toEqual(['Fired', 'Resolved']);
      expect(traffic.stats().production).toMatchObject({ slot: 'blue' });
      expect(fleet.alerts!.active()).toEqual([]);
    });

    it('fires an alert on demand with a new alert ID', async () => {
      const before = received.length;
      const payload = await fleet.alerts!.fireAlert({ rule: 'manual-test', description: 'on demand' });

      expect(received).toHaveLength(before + 1);
      expect(received[before].body).toEqual(payload);
      expect(payload.data.essentials).toMatchObject({
        alertRule: 'manual-test',
        monitorCondition: 'Fired',
        description: 'on demand',
      });
      expect(fleet.alerts!.deliveries().at(-1)).toMatchObject({
        status: 200,
        attempts: 1,
        monitorCondition: 'Fired',
      });
    });
  });
});
