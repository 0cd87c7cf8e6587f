import {
  ALERT_SOURCE_PROVIDERS,
  createAlertSource,
  type AlertSourceProvider,
} from '../../../src/adapters/alerts/factory';
import type { AzureClients } from '../../../src/adapters/azure/clients';
import type { FiredAlert } from '../../../src/core/domain';
import { ValidationError } from '../../../src/core/errors';
import { memoryLogger } from '../../support/appHost';
import type { Harness } from '../../local/arm/harness';
import { APPI_ID, PROFILE_ID, startHarness, testClients } from '../../local/arm/harness';

/** Sources are built lazily: the fake providers never reach ARM. */
const NO_CLIENTS = {} as AzureClients;
const scope = { resourceIds: [APPI_ID], ruleNames: [] };
const context = { trafficResource: PROFILE_ID };

const alert = (alertId: string, firedAt: string): FiredAlert => ({
  alertId,
  rule: 'r',
  targetResourceIds: [APPI_ID],
  firedAt,
});

/** A provider selected when `armEndpoint` contains its name, answering `alerts` (or failing). */
function fake(name: string, alerts: FiredAlert[] | Error, problem?: string): AlertSourceProvider {
  return {
    name,
    configured: (s) => s.armEndpoint?.includes(name) ?? false,
    problems: () => (problem ? [{ path: name, message: problem }] : []),
    create: () => ({
      firing: async () => {
        if (alerts instanceof Error) throw alerts;
        return alerts;
      },
    }),
  };
}

describe('the alert source factory', () => {
  describe('over the ARM stand-in', () => {
    let h: Harness;
    beforeEach(async () => {
      h = await startHarness();
    });
    afterEach(async () => {
      await h.stop();
    });

    it("picks Alerts Management when ARM is configured (always, by ARM_ENDPOINT's default)", async () => {
      h.arm.control.addAlert({ targetResource: APPI_ID, rule: 'failed-requests' });
      const clients = testClients(h.arm);
      const source = createAlertSource({ armEndpoint: clients.armEndpoint }, clients, memoryLogger());
      expect((await source.firing(scope, context)).map((a) => a.rule)).toEqual(['failed-requests']);
      expect(ALERT_SOURCE_PROVIDERS.map((p) => p.name)).toEqual(['alertsManagement']);
    });
  });

  it('merges every configured source: an alert two report counts once, oldest first', async () => {
    const providers = [
      fake('a', [alert('/X/1', '2026-01-01T00:02:00Z'), alert('/x/2', '2026-01-01T00:00:00Z')]),
      fake('b', [alert('/x/1', '2026-01-01T00:02:00Z'), alert('/x/3', '2026-01-01T00:01:00Z')]),
      fake('c', new Error('never asked')),
    ];
    const source = createAlertSource({ armEndpoint: 'https://a.b' }, NO_CLIENTS, memoryLogger(), providers);
    expect((await source.firing(scope, context)).map((a) => a.alertId)).toEqual(['/x/2', '/x/3', '/x/1']);
  });

  it('fails the read when one configured source fails: a blind spot never passes for "nothing firing"', async () => {
    const providers = [fake('a', []), fake('b', new Error('b is down'))];
    const source = createAlertSource({ armEndpoint: 'https://a.b' }, NO_CLIENTS, memoryLogger(), providers);
    await expect(source.firing(scope, context)).rejects.toThrow('b is down');
  });

  it('lists every problem of every configured provider in one error', () => {
    const providers = [fake('a', [], 'bad a'), fake('b', [], 'bad b')];
    let error: unknown;
    try {
      createAlertSource({ armEndpoint: 'https://a.b' }, NO_CLIENTS, memoryLogger(), providers);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toBe('invalid alert source configuration: a: bad a; b: bad b');
    expect(() => createAlertSource({ armEndpoint: 'http://arm.local' }, NO_CLIENTS, memoryLogger())).toThrow(
      'invalid alert source configuration: ARM_ENDPOINT: must be an absolute https URL',
    );
  });

  it('with nothing configured falls back to the no-op source: nothing firing, and a warning once', async () => {
    const log = memoryLogger();
    const source = createAlertSource({}, NO_CLIENTS, log);
    expect(await source.firing(scope, context)).toEqual([]);
    expect(await source.firing(scope, context)).toEqual([]);
    expect(log.lines.map((l) => JSON.parse(l) as object)).toEqual([
      {
        level: 'warn',
        message: 'no alert source is configured: firing alerts are not polled, only pushed alerts act',
        data: { trafficResource: PROFILE_ID },
      },
    ]);
  });
});
