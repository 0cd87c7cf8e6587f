import { StepError } from '../../../src/core/errors';
import { createTrafficSwitch } from '../../../src/adapters/trafficManager';
import type { Harness } from '../../local/arm/harness';
import { PROFILE_ID, RG_ID, startHarness, testClients } from '../../local/arm/harness';

/** The path as the SDK sends it (its operation spec spells `trafficmanagerprofiles` in lower case). */
const SENT = `${RG_ID}/providers/Microsoft.Network/trafficmanagerprofiles/tm-webapp`;

describe('TrafficSwitch over @azure/arm-trafficmanager', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('reads the profile with its endpoints, fqdn and ttl', async () => {
    const traffic = createTrafficSwitch(testClients(h.arm));
    const profile = await traffic.readProfile(PROFILE_ID);
    expect(profile).toEqual({
      profileId: PROFILE_ID,
      fqdn: 'tm-webapp.trafficmanager.net',
      ttl: 30,
      endpoints: [
        {
          name: 'blue',
          type: 'Microsoft.Network/trafficManagerProfiles/externalEndpoints',
          enabled: true,
          target: '127.0.10.1',
        },
        {
          name: 'green',
          type: 'Microsoft.Network/trafficManagerProfiles/externalEndpoints',
          enabled: false,
          target: '127.0.11.1',
        },
      ],
    });
  });

  it('enables and disables an endpoint with a PATCH carrying endpointStatus only', async () => {
    const traffic = createTrafficSwitch(testClients(h.arm));
    const { endpoints } = await traffic.readProfile(PROFILE_ID);
    const green = endpoints.find((e) => e.name === 'green');
    const blue = endpoints.find((e) => e.name === 'blue');
    if (!green || !blue) throw new Error('seeded endpoints missing');
    await traffic.setEndpointEnabled(PROFILE_ID, green, true);
    await traffic.setEndpointEnabled(PROFILE_ID, blue, false);
    const after = await traffic.readProfile(PROFILE_ID);
    expect(after.endpoints.map((e) => [e.name, e.enabled])).toEqual([
      ['blue', false],
      ['green', true],
    ]);
    const patches = h.arm.control.requests().filter((r) => r.method === 'PATCH');
    expect(patches.map((p) => [p.path, p.query['api-version'], p.body])).toEqual([
      [`${SENT}/ExternalEndpoints/green`, '2022-04-01', { properties: { endpointStatus: 'Enabled' } }],
      [`${SENT}/ExternalEndpoints/blue`, '2022-04-01', { properties: { endpointStatus: 'Disabled' } }],
    ]);
    // Fields the app does not own are untouched.
    expect(h.arm.control.profile().properties.endpoints[1]?.properties).toMatchObject({
      target: '127.0.11.1',
      priority: 2,
    });
  });

  it('handles azureEndpoints (type path AzureEndpoints)', async () => {
    h.arm.control.world().profiles[PROFILE_ID.toLowerCase()]!.properties.endpoints[1]!.type =
      'Microsoft.Network/trafficManagerProfiles/azureEndpoints';
    h.arm.control.world().profiles[PROFILE_ID.toLowerCase()]!.properties.endpoints[1]!.id =
      `${PROFILE_ID}/azureEndpoints/green`;
    const traffic = createTrafficSwitch(testClients(h.arm));
    const green = (await traffic.readProfile(PROFILE_ID)).endpoints[1]!;
    await traffic.setEndpointEnabled(PROFILE_ID, green, true);
    expect(h.arm.control.requests().at(-1)?.path).toBe(`${SENT}/AzureEndpoints/green`);
    expect(h.arm.control.profile().properties.endpoints[1]?.properties.endpointStatus).toBe('Enabled');
  });

  it('sees a concurrent change made by someone else', async () => {
    const traffic = createTrafficSwitch(testClients(h.arm));
    h.arm.control.setEndpointStatus('green', 'Enabled');
    const profile = await traffic.readProfile(PROFILE_ID);
    expect(profile.endpoints.every((e) => e.enabled)).toBe(true);
  });

  it('names step, resource and ARM cause for a missing profile (non-transient)', async () => {
    const traffic = createTrafficSwitch(testClients(h.arm));
    const missing = `${RG_ID}/providers/Microsoft.Network/trafficManagerProfiles/tm-missing`;
    const err = await traffic.readProfile(missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepError);
    expect(err).toMatchObject({ step: 'read-profile', resource: missing, transient: false });
    expect((err as StepError).message).toMatch(
      /^read-profile failed on .*tm-missing: HTTP 404 ResourceNotFound: The Resource/,
    );
    expect((err as StepError).cause).toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
  });

  it('rejects an ID that is not a profile without calling ARM', async () => {
    const traffic = createTrafficSwitch(testClients(h.arm));
    await expect(
      traffic.readProfile(`${RG_ID}/providers/Microsoft.Compute/virtualMachines/vm1`),
    ).rejects.toMatchObject({
      step: 'read-profile',
      transient: false,
    });
    expect(h.arm.control.requests()).toHaveLength(0);
  });
});
