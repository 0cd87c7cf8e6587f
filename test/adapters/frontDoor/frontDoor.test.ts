import { createFrontDoorSwitch, ORIGIN_TYPE } from '../../../src/adapters/frontDoor';
import { createTrafficRouters } from '../../../src/adapters/traffic/factory';
import { StepError } from '../../../src/core/errors';
import { bindSwitch, type TrafficSwitch } from '../../../src/adapters/traffic/router';
import { swapEndpoints, SwapGuardError } from '../../../src/core/traffic/swap';
import type { Harness } from '../../local/arm/harness';
import { ORIGIN_GROUP_ID, PROFILE_ID, startHarness, testClients } from '../../local/arm/harness';
import { tmTraffic } from '../../builders/target';

const clock = { now: () => new Date() };
const FRONT_DOOR = { kind: 'frontDoor', originGroupId: ORIGIN_GROUP_ID, resource: ORIGIN_GROUP_ID };
/** The core's router over a switch, as the factory binds it to a target. */
const routed = (sw: TrafficSwitch) => bindSwitch(sw, ORIGIN_GROUP_ID, FRONT_DOOR);
const input = (enable: string, disable: string, mode: 'swap' | 'rollback' = 'swap') => ({
  releaseId: 'webapp-b1',
  traffic: FRONT_DOOR,
  enable,
  disable,
  mode,
});
/** The path as the SDK sends it (its operation spec spells `originGroups` in camel case). */
const ORIGINS = `${ORIGIN_GROUP_ID}/origins`;

describe('TrafficSwitch over @azure/arm-cdn (Front Door origin group)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ frontDoorPropagationMs: 60_000 });
  });
  afterEach(async () => {
    await h.stop();
  });

  const states = () =>
    Object.fromEntries(h.arm.control.originGroup().origins.map((o) => [o.name, o.properties.enabledState]));

  it('reads the origin group: each origin as an endpoint with its enabled state and host', async () => {
    const traffic = createFrontDoorSwitch(testClients(h.arm));
    expect(await traffic.readProfile(ORIGIN_GROUP_ID)).toEqual({
      profileId: ORIGIN_GROUP_ID,
      endpoints: [
        { name: 'blue', type: ORIGIN_TYPE, enabled: true, target: '127.0.10.1' },
        { name: 'green', type: ORIGIN_TYPE, enabled: false, target: '127.0.11.1' },
      ],
    });
  });

  it('writes enabledState alone with a PATCH, waits for the operation, leaves every other property as found', async () => {
    const traffic = createFrontDoorSwitch(testClients(h.arm));
    const before = h.arm.control.originGroup().origins[1]?.properties;
    const green = (await traffic.readProfile(ORIGIN_GROUP_ID)).endpoints[1]!;
    await traffic.setEndpointEnabled(ORIGIN_GROUP_ID, green, true);
    const log = h.arm.control.requests();
    const patch = log.filter((r) => r.method === 'PATCH');
    expect(patch.map((r) => [r.path, r.query['api-version'], r.body])).toEqual([
      [`${ORIGINS}/green`, '2024-02-01', { properties: { enabledState: 'Enabled' } }],
    ]);
    // The long-running operation was followed to its end (status, then the origin).
    expect(log.some((r) => r.method === 'GET' && r.path.includes('/operationresults/'))).toBe(true);
    expect(h.arm.control.originGroup().origins[1]?.properties).toMatchObject({
      ...before,
      enabledState: 'Enabled',
      deploymentStatus: 'InProgress',
    });
  });

  it('runs the core swap protocol: enable staging first, then disable production, read back', async () => {
    const traffic = createFrontDoorSwitch(testClients(h.arm));
    const result = await swapEndpoints(routed(traffic), input('green', 'blue'), clock);
    expect(result.changed).toBe(true);
    expect(states()).toEqual({ blue: 'Disabled', green: 'Enabled' });
    const writes = h.arm.control.requests().filter((r) => r.method === 'PATCH');
    expect(writes.map((r) => [r.path.split('/').pop(), r.body])).toEqual([
      ['green', { properties: { enabledState: 'Enabled' } }],
      ['blue', { properties: { enabledState: 'Disabled' } }],
    ]);
    // At the edge the two writes land in order, one propagation apart: never zero origins there either.
    const [first, second] = h.arm.control.frontDoorEdge().pending;
    expect(
      h.arm.control
        .frontDoorEdge(undefined, (first?.effectiveAtMs ?? 0) + 1)
        .origins.map((o) => o.enabledState),
    ).toEqual(['Enabled', 'Enabled']);
    expect(
      h.arm.control
        .frontDoorEdge(undefined, (second?.effectiveAtMs ?? 0) + 1)
        .origins.map((o) => o.enabledState),
    ).toEqual(['Disabled', 'Enabled']);
    // Idempotent: the same swap again writes nothing.
    const again = await swapEndpoints(routed(traffic), input('green', 'blue'), clock);
    expect(again.changed).toBe(false);
    expect(h.arm.control.requests().filter((r) => r.method === 'PATCH')).toHaveLength(2);
    // And the rollback puts blue back the same way.
    await swapEndpoints(routed(traffic), input('blue', 'green', 'rollback'), clock);
    expect(states()).toEqual({ blue: 'Enabled', green: 'Disabled' });
  });

  it('refuses to swap over a concurrent change (both disabled at the start) and writes nothing', async () => {
    h.arm.control.setOriginState('blue', 'Disabled');
    const traffic = createFrontDoorSwitch(testClients(h.arm));
    await expect(swapEndpoints(routed(traffic), input('green', 'blue'), clock)).rejects.toBeInstanceOf(
      SwapGuardError,
    );
    expect(h.arm.control.requests().filter((r) => r.method === 'PATCH')).toHaveLength(0);
  });

  it('re-enables the slot that must serve when the read-back shows zero enabled origins (another writer)', async () => {
    const real = createFrontDoorSwitch(testClients(h.arm));
    let interfered = false;
    // Another writer disables green right after our enable lands, before our disable of blue.
    const traffic: TrafficSwitch = {
      readProfile: (id) => real.readProfile(id),
      setEndpointEnabled: async (id, endpoint, enabled) => {
        await real.setEndpointEnabled(id, endpoint, enabled);
        if (!interfered && endpoint.name === 'blue' && !enabled) {
          interfered = true;
          h.arm.control.setOriginState('green', 'Disabled');
        }
      },
    };
    const result = await swapEndpoints(routed(traffic), input('green', 'blue'), clock);
    expect(result.restored).toMatch(/re-enabled green/);
    expect(states()).toEqual({ blue: 'Disabled', green: 'Enabled' });
  });

  it('a throttled write carries Retry-After as retryNotBefore (the orchestrator waits on a durable timer)', async () => {
    h.arm.control.addFault({ method: 'PATCH', path: '/origins/green', status: 429, retryAfterSeconds: 120 });
    const traffic = createFrontDoorSwitch(testClients(h.arm));
    const green = (await traffic.readProfile(ORIGIN_GROUP_ID)).endpoints[1]!;
    const before = Date.now();
    const err = await traffic.setEndpointEnabled(ORIGIN_GROUP_ID, green, true).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StepError);
    const e = err as StepError;
    expect([e.step, e.resource, e.transient]).toEqual(['enable-endpoint', `${ORIGINS}/green`, true]);
    expect(Date.parse(e.retryNotBefore ?? '')).toBeGreaterThanOrEqual(before + 119_000);
    expect(states().green).toBe('Disabled');
  });

  it("names the step, the origin group and ARM's answer on failures; a bad ID fails before any call", async () => {
    const traffic = createFrontDoorSwitch(testClients(h.arm, { retryOptions: { maxRetries: 0 } }));
    const missing = ORIGIN_GROUP_ID.replace('/slots', '/nope');
    await expect(traffic.readProfile(missing)).rejects.toThrow(
      new RegExp(`read-profile failed on ${missing}: HTTP 404 ResourceNotFound`),
    );
    const wrong = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/trafficManagerProfiles/tm';
    const err = await traffic.readProfile(wrong).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepError);
    expect((err as StepError).transient).toBe(false);
    expect((err as StepError).message).toContain('is not a Microsoft.Cdn/profiles/originGroups resource ID');
  });

  it('maps slots to origins of other names: endpoints read by slot name, writes to the mapped origin', async () => {
    const traffic = createFrontDoorSwitch(testClients(h.arm), (id) =>
      id === ORIGIN_GROUP_ID ? { live: 'blue', next: 'green' } : undefined,
    );
    const profile = await traffic.readProfile(ORIGIN_GROUP_ID);
    expect(profile.endpoints.map((e) => [e.name, e.enabled])).toEqual([
      ['live', true],
      ['next', false],
    ]);
    await swapEndpoints(routed(traffic), input('next', 'live'), clock);
    expect(states()).toEqual({ blue: 'Disabled', green: 'Enabled' });
    expect(
      h.arm.control
        .requests()
        .filter((r) => r.method === 'PATCH')
        .map((r) => r.path.split('/').pop()),
    ).toEqual(['green', 'blue']);
  });

  it("the factory picks the provider by the target's traffic kind, the origin names from its traffic", async () => {
    const routers = createTrafficRouters(testClients(h.arm));
    const fd = { ...FRONT_DOOR, origins: { a: 'blue', b: 'green' } };
    const viaFrontDoor = await routers(fd).read();
    expect(viaFrontDoor.resource).toBe(ORIGIN_GROUP_ID);
    expect(viaFrontDoor.endpoints.map((e) => [e.name, e.type])).toEqual([
      ['a', ORIGIN_TYPE],
      ['b', ORIGIN_TYPE],
    ]);
    const viaTrafficManager = await routers(tmTraffic(PROFILE_ID)).read();
    expect(viaTrafficManager.endpoints.map((e) => e.type)).toEqual([
      'Microsoft.Network/trafficManagerProfiles/externalEndpoints',
      'Microsoft.Network/trafficManagerProfiles/externalEndpoints',
    ]);
  });
});
