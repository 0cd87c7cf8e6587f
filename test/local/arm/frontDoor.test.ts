import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FRONT_DOOR_ACTIONS, FRONT_DOOR_PROPAGATION_MS } from '../../../local/arm';
import { RbacPolicy } from '../../../local/arm/rbac';
import { LOCAL_IDENTITY } from '../../../local/arm/providers/identity';
import type { Harness, WireJson } from './harness';
import {
  managedIdentityToken,
  ORIGIN_GROUP_ID,
  RG,
  rawRequest,
  startHarness,
  SUB,
  testClients,
} from './harness';

const V = '?api-version=2024-02-01';
const ORIGINS = `${ORIGIN_GROUP_ID}/origins`;
const fixture = (name: string): WireJson =>
  JSON.parse(readFileSync(join(__dirname, '../../fixtures/frontDoor', name), 'utf8'));

/** The property names and JSON types of a body, for comparing shapes with the spec examples. */
const shape = (o: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(o).map(([k, v]) => [k, v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v]),
  );

describe('ARM stand-in: Microsoft.Cdn (Front Door origin groups and origins)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ frontDoorPropagationMs: 60_000 });
  });
  afterEach(async () => {
    await h.stop();
  });

  it('answers AFDOrigins_Get with the spec example shape: blue enabled, green disabled', async () => {
    const example = fixture('AFDOrigins_Get.json').responses['200'].body;
    const res = await rawRequest(h.arm, 'GET', `${ORIGINS}/blue${V}`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(Object.keys(example).sort());
    expect(res.body.type).toBe(example.type);
    const expected = shape(example.properties);
    // The example leaves priority and weight null; the stand-in carries the values Azure fills in.
    expect({ ...shape(res.body.properties), priority: 'null', weight: 'null' }).toEqual(expected);
    expect(res.body).toMatchObject({
      id: `${ORIGIN_GROUP_ID}/origins/blue`,
      name: 'blue',
      properties: {
        hostName: '127.0.10.1',
        httpPort: 8080,
        enabledState: 'Enabled',
        originGroupName: 'slots',
      },
    });
    const green = await rawRequest(h.arm, 'GET', `${ORIGINS}/green${V}`);
    expect(green.body.properties.enabledState).toBe('Disabled');
  });

  it('answers AFDOrigins_ListByOriginGroup and AFDOriginGroups_Get with the spec example shapes', async () => {
    const list = await rawRequest(h.arm, 'GET', `${ORIGINS}${V}`);
    expect(list.status).toBe(200);
    expect(Object.keys(list.body)).toEqual(
      Object.keys(fixture('AFDOrigins_ListByOriginGroup.json').responses['200'].body),
    );
    expect(list.body.value.map((o: WireJson) => o.name)).toEqual(['blue', 'green']);
    const example = fixture('AFDOriginGroups_Get.json').responses['200'].body;
    const group = await rawRequest(h.arm, 'GET', `${ORIGIN_GROUP_ID}${V}`);
    expect(group.status).toBe(200);
    expect(Object.keys(group.body).sort()).toEqual(Object.keys(example).sort());
    expect(group.body.type).toBe(example.type);
    for (const k of Object.keys(example.properties)) expect(group.body.properties).toHaveProperty(k);
    expect(Object.keys(group.body.properties.healthProbeSettings).sort()).toEqual(
      Object.keys(example.properties.healthProbeSettings).sort(),
    );
  });

  it('takes the AFDOrigins_Update example body: 202 with Azure-AsyncOperation, merged properties, operation Succeeded', async () => {
    const ex = fixture('AFDOrigins_Update.json');
    const res = await rawRequest(
      h.arm,
      'PATCH',
      `${ORIGINS}/green${V}`,
      ex.parameters.originUpdateProperties,
    );
    expect(res.status).toBe(202);
    expect(Object.keys(res.body).sort()).toEqual(Object.keys(ex.responses['202'].body).sort());
    expect(res.body.properties.provisioningState).toBe('Updating');
    const poll = String(res.headers['azure-asyncoperation']);
    expect(poll).toMatch(
      new RegExp(
        `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Cdn/operationresults/[0-9a-f-]+/profileresults/afd-tm-webapp/origingroupresults/slots/originresults/green\\?api-version=2024-02-01$`,
      ),
    );
    const op = await rawRequest(h.arm, 'GET', new URL(poll).pathname + new URL(poll).search);
    expect([op.status, op.body.status]).toEqual([200, 'Succeeded']);
    const after = await rawRequest(h.arm, 'GET', `${ORIGINS}/green${V}`);
    expect(after.body.properties).toMatchObject({
      enabledState: 'Enabled',
      hostName: 'host1.blob.core.windows.net',
      httpPort: 80,
      // Not in the PATCH: kept.
      originHostHeader: '127.0.11.1',
      provisioningState: 'Succeeded',
      // The edge has not followed yet.
      deploymentStatus: 'InProgress',
    });
  });

  it('refuses what Microsoft.Cdn refuses and changes nothing: bad enabledState, priority out of range, wrong types', async () => {
    const before = JSON.stringify(h.arm.control.originGroup().origins);
    const cases: [unknown, string][] = [
      [{ properties: { enabledState: 'On' } }, 'properties.enabledState'],
      [{ properties: { enabledState: true } }, 'properties.enabledState'],
      [{ properties: { priority: 6 } }, 'properties.priority'],
      [{ properties: { weight: 0 } }, 'properties.weight'],
      [{ properties: { httpPort: 70000 } }, 'properties.httpPort'],
      [{ properties: 'Enabled' }, 'properties'],
    ];
    for (const [body, field] of cases) {
      const res = await rawRequest(h.arm, 'PATCH', `${ORIGINS}/green${V}`, body);
      expect([res.status, res.body.error.code, res.body.error.target]).toEqual([400, 'BadRequest', field]);
      expect(res.body.error.message).toContain(field);
    }
    const noBody = await rawRequest(h.arm, 'PATCH', `${ORIGINS}/green${V}`);
    expect(noBody.status).toBe(400);
    const putNoHost = await rawRequest(h.arm, 'PUT', `${ORIGINS}/green${V}`, {
      properties: { enabledState: 'Enabled' },
    });
    expect([putNoHost.status, putNoHost.body.error.target]).toEqual([400, 'properties.hostName']);
    expect(JSON.stringify(h.arm.control.originGroup().origins)).toBe(before);
    expect(h.arm.control.frontDoorEdge().pending).toEqual([]);
  });

  it('answers 404 ResourceNotFound for an unknown origin, group or profile, and InvalidApiVersionParameter', async () => {
    const origin = await rawRequest(h.arm, 'PATCH', `${ORIGINS}/purple${V}`, {
      properties: { enabledState: 'Enabled' },
    });
    expect([origin.status, origin.body.error.code]).toEqual([404, 'ResourceNotFound']);
    const group = await rawRequest(h.arm, 'GET', `${ORIGIN_GROUP_ID.replace('/slots', '/nope')}/origins${V}`);
    expect([group.status, group.body.error.code]).toEqual([404, 'ResourceNotFound']);
    const profile = await rawRequest(
      h.arm,
      'GET',
      `${ORIGIN_GROUP_ID.replace('afd-tm-webapp', 'other')}${V}`,
    );
    expect([profile.status, profile.body.error.code]).toEqual([404, 'ResourceNotFound']);
    const version = await rawRequest(h.arm, 'GET', `${ORIGINS}?api-version=2019-01-01`);
    expect([version.status, version.body.error.code]).toEqual([400, 'InvalidApiVersionParameter']);
  });

  it('PUT replaces an origin (AFDOrigins_Create): 200 for an existing one, defaults for what is not sent', async () => {
    const res = await rawRequest(h.arm, 'PUT', `${ORIGINS}/green${V}`, {
      properties: { hostName: '127.0.11.1', enabledState: 'Enabled' },
    });
    expect(res.status).toBe(200);
    expect(res.headers['azure-asyncoperation']).toBeDefined();
    const after = h.arm.control.originGroup().origins.find((o) => o.name === 'green');
    expect(after?.properties).toMatchObject({
      enabledState: 'Enabled',
      httpPort: 80,
      httpsPort: 443,
      priority: 1,
    });
  });

  it('the edge follows a write after the propagation delay, and back-to-back writes queue behind each other', async () => {
    const t0 = Date.now();
    await rawRequest(h.arm, 'PATCH', `${ORIGINS}/green${V}`, { properties: { enabledState: 'Enabled' } });
    await rawRequest(h.arm, 'PATCH', `${ORIGINS}/blue${V}`, { properties: { enabledState: 'Disabled' } });
    const t1 = Date.now();
    const edge = h.arm.control.frontDoorEdge();
    expect(edge.propagationMs).toBe(60_000);
    // ARM already says green; the edge still serves blue.
    expect(edge.origins.map((o) => [o.name, o.enabledState])).toEqual([
      ['blue', 'Enabled'],
      ['green', 'Disabled'],
    ]);
    const [first, second] = edge.pending;
    expect(first?.changed).toEqual(['green']);
    expect(first?.effectiveAtMs).toBeGreaterThanOrEqual(t0 + 60_000);
    expect(first?.effectiveAtMs).toBeLessThanOrEqual(t1 + 60_000);
    // The second one starts only when the first has landed (Azure queues configuration updates).
    expect(second?.effectiveAtMs).toBe((first?.effectiveAtMs ?? 0) + 60_000);
    const view = (at: number) =>
      Object.fromEntries(
        h.arm.control.frontDoorEdge(undefined, at).origins.map((o) => [o.name, o.enabledState]),
      );
    // Between the two: both enabled at the edge (enable lands first), never zero.
    expect(view((first?.effectiveAtMs ?? 0) + 1)).toEqual({ blue: 'Enabled', green: 'Enabled' });
    expect(view((second?.effectiveAtMs ?? 0) + 1)).toEqual({ blue: 'Disabled', green: 'Enabled' });
  });

  it('defaults the propagation delay to the documented 20 minutes, and it can be changed at run time', async () => {
    const other = await startHarness();
    try {
      expect(FRONT_DOOR_PROPAGATION_MS).toBe(20 * 60_000);
      expect(other.arm.control.frontDoorEdge().propagationMs).toBe(FRONT_DOOR_PROPAGATION_MS);
      const put = await rawRequest(other.arm, 'PUT', '/_control/front-door/propagation', {
        propagationMs: 0,
      });
      expect(put.status).toBe(200);
      await rawRequest(other.arm, 'PATCH', `${ORIGINS}/green${V}`, {
        properties: { enabledState: 'Enabled' },
      });
      const edge = await rawRequest(other.arm, 'GET', '/_control/front-door/edge');
      expect(edge.body.origins.map((o: WireJson) => o.enabledState)).toEqual(['Enabled', 'Enabled']);
      expect(edge.body.pending).toEqual([]);
      const bad = await rawRequest(other.arm, 'PUT', '/_control/front-door/propagation', {
        propagationMs: -1,
      });
      expect(bad.status).toBe(400);
    } finally {
      await other.stop();
    }
  });

  it('someone else changing an origin (control) is a write like any other: ARM at once, the edge late', async () => {
    const res = await rawRequest(h.arm, 'POST', '/_control/origin-status', {
      origin: 'blue',
      state: 'Disabled',
    });
    expect(res.body.properties.enabledState).toBe('Disabled');
    expect(h.arm.control.frontDoorEdge().origins[0]?.enabledState).toBe('Enabled');
    expect(h.arm.control.frontDoorEdge().pending).toHaveLength(1);
  });

  it('keeps origin states and queued deployments across a restart', async () => {
    await rawRequest(h.arm, 'PATCH', `${ORIGINS}/green${V}`, { properties: { enabledState: 'Enabled' } });
    await h.stop({ keepData: true });
    h = await startHarness({ dataDir: h.dataDir, frontDoorPropagationMs: 60_000 });
    const g = h.arm.control.originGroup();
    expect(g.origins.map((o) => o.properties.enabledState)).toEqual(['Enabled', 'Enabled']);
    expect(h.arm.control.frontDoorEdge().pending).toHaveLength(1);
  });

  it('serves the calls of @azure/arm-cdn 9.1.0: get, listByOriginGroup, beginUpdateAndWait', async () => {
    const cdn = testClients(h.arm).cdn(SUB);
    const got = await cdn.afdOrigins.get(RG, 'afd-tm-webapp', 'slots', 'green');
    expect([got.name, got.enabledState, got.hostName, got.httpPort]).toEqual([
      'green',
      'Disabled',
      '127.0.11.1',
      8080,
    ]);
    const listed = [];
    for await (const o of cdn.afdOrigins.listByOriginGroup(RG, 'afd-tm-webapp', 'slots')) listed.push(o.name);
    expect(listed).toEqual(['blue', 'green']);
    const group = await cdn.afdOriginGroups.get(RG, 'afd-tm-webapp', 'slots');
    expect(group.healthProbeSettings?.probePath).toBe('/health');
    const updated = await cdn.afdOrigins.beginUpdateAndWait(
      RG,
      'afd-tm-webapp',
      'slots',
      'green',
      { enabledState: 'Enabled' },
      { updateIntervalInMs: 10 },
    );
    expect([updated.enabledState, updated.provisioningState, updated.deploymentStatus]).toEqual([
      'Enabled',
      'Succeeded',
      'InProgress',
    ]);
    const sent = h.arm.control.requests().filter((r) => r.method === 'PATCH');
    expect(sent.map((r) => [r.query['api-version'], r.body])).toEqual([
      ['2024-02-01', { properties: { enabledState: 'Enabled' } }],
    ]);
  });

  it("authorizes the app's identity by Microsoft.Cdn's action names: a reader is refused the origin write", async () => {
    await h.stop();
    const profileScope = ORIGIN_GROUP_ID.split('/originGroups/')[0] ?? '';
    const rbac = new RbacPolicy(
      [
        {
          name: 'origin-reader',
          roleName: 'origin reader',
          source: 'test',
          permissions: [
            {
              actions: [FRONT_DOOR_ACTIONS.originGroupRead, FRONT_DOOR_ACTIONS.originRead],
              notActions: [],
              dataActions: [],
              notDataActions: [],
            },
          ],
        },
      ],
      [
        {
          name: 'reader',
          principalId: LOCAL_IDENTITY.principalId,
          roleDefinitionName: 'origin-reader',
          scope: profileScope,
        },
      ],
    );
    h = await startHarness({ rbac, frontDoorPropagationMs: 60_000 });
    const token = await managedIdentityToken(h.arm);
    const auth = { Authorization: `Bearer ${token}` };
    const read = await rawRequest(h.arm, 'GET', `${ORIGINS}${V}`, undefined, auth);
    expect(read.status).toBe(200);
    const write = await rawRequest(
      h.arm,
      'PATCH',
      `${ORIGINS}/green${V}`,
      { properties: { enabledState: 'Enabled' } },
      auth,
    );
    expect([write.status, write.body.error.code]).toEqual([403, 'AuthorizationFailed']);
    expect(write.body.error.message).toContain(
      `perform action 'Microsoft.Cdn/profiles/originGroups/origins/write' over scope '${ORIGINS}/green'`,
    );
    expect(h.arm.control.originGroup().origins[1]?.properties.enabledState).toBe('Disabled');
  });
});
