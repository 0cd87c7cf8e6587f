/**
 * The Front Door variant of the sample target (`trafficProvider: 'frontDoor'`), read from the compiled template
 * deployed in memory: the profile, origin group and origins it creates (first provision only), the target the
 * app gets, and the app's role assignments (least privilege: origin reads and writes on the origin group, the
 * writes' operation status at the resource group, no Traffic Manager role).
 */
import { TRAFFIC_PROVIDERS } from '../../src/adapters/traffic/factory';
import { targetsSchema } from '../../src/core/config';
import { FRONT_DOOR_ACTIONS } from '../../local/arm';
import { type DeployedResource, type Deployment, SITE, deployMain, repoFile } from './template';

const frontDoor = deployMain({ trafficProvider: 'frontDoor' });
const reprovision = deployMain({ trafficProvider: 'frontDoor', sampleTargetExists: true });
const RG = `/subscriptions/${SITE.subscriptionId}/resourceGroups/rg-test`;
/** The built-in CDN Profile Contributor (Microsoft.Cdn/profiles/*): more than the app needs. */
const CDN_PROFILE_CONTRIBUTOR = 'ec156ff8-a8d1-4d15-830c-5b80698ca432';

const created = (d: Deployment): DeployedResource[] => d.resources.filter((r) => !r.existing);
const ofType = (d: Deployment, type: string): DeployedResource[] =>
  created(d).filter((r) => r.type.toLowerCase() === type.toLowerCase());
const one = (d: Deployment, path: string): DeployedResource => {
  const found = d.resources.filter((r) => r.path === path);
  if (found.length !== 1) throw new Error(`${found.length} resources at ${path}`);
  return found[0] as DeployedResource;
};
const appSettings = (d: Deployment): Record<string, string> =>
  one(d, 'api/settings').properties as Record<string, string>;
const apiPrincipal = (d: Deployment): string => String(one(d, 'identity/apiIdentity').properties.principalId);
const scopeOf = (a: DeployedResource): string =>
  a.scope ?? `/subscriptions/${SITE.subscriptionId}/resourceGroups/${a.resourceGroup}`;
/** The app identity's assignments: `<role symbol or id> @ <scope>`. */
const appRoles = (d: Deployment): string[] =>
  ofType(d, 'Microsoft.Authorization/roleAssignments')
    .filter((a) => a.properties.principalId === apiPrincipal(d))
    .map((a) => {
      const id = String(a.properties.roleDefinitionId).split('/').pop() ?? '';
      const custom = ofType(d, 'Microsoft.Authorization/roleDefinitions').find((r) => r.name === id);
      return `${custom?.symbol ?? id} @ ${scopeOf(a).replace(RG, '<rg>')}`;
    })
    .sort();

describe('sample target, Front Door variant (trafficProvider frontDoor)', () => {
  it('is selected by a parameter azd fills from TRAFFIC_PROVIDER (default trafficManager), and nothing else', () => {
    const params = JSON.parse(repoFile('infra/main.parameters.json')).parameters;
    expect(params.trafficProvider.value).toBe('${TRAFFIC_PROVIDER=trafficManager}');
    expect(() => deployMain({ trafficProvider: 'appGateway' })).toThrow(/not allowed/);
    expect(frontDoor.outputs.TRAFFIC_PROVIDER).toBe('frontDoor');
    expect(deployMain().outputs.TRAFFIC_PROVIDER).toBe('trafficManager');
  });

  it('creates a Front Door Standard profile, one origin group with the two slots as origins, blue enabled, and no Traffic Manager profile', () => {
    expect(ofType(frontDoor, 'Microsoft.Network/trafficmanagerprofiles')).toEqual([]);
    const [profile] = ofType(frontDoor, 'Microsoft.Cdn/profiles');
    expect(profile?.path).toBe('target/frontDoor/profile');
    const module = JSON.parse(repoFile('infra/main.json')).resources.target.properties.template.resources
      .frontDoor;
    expect(module.properties.template.resources.profile.sku).toEqual({ name: 'Standard_AzureFrontDoor' });
    const groups = ofType(frontDoor, 'Microsoft.Cdn/profiles/originGroups');
    expect(groups.map((g) => g.name)).toEqual([`${profile?.name}/slots`]);
    expect(groups[0]?.properties.healthProbeSettings).toMatchObject({
      probePath: '/health',
      probeProtocol: 'Http',
    });
    const origins = ofType(frontDoor, 'Microsoft.Cdn/profiles/originGroups/origins');
    expect(origins.map((o) => [o.name, o.properties.enabledState, o.properties.httpPort])).toEqual([
      [`${profile?.name}/slots/blue`, 'Enabled', 80],
      [`${profile?.name}/slots/green`, 'Disabled', 80],
    ]);
    const routes = ofType(frontDoor, 'Microsoft.Cdn/profiles/afdEndpoints/routes');
    expect(routes.map((r) => [r.properties.originGroup, r.properties.patternsToMatch])).toEqual([
      [{ id: groups[0]?.id }, ['/*']],
    ]);
  });

  it('leaves the origins alone on a re-provision (the app owns enabledState at runtime)', () => {
    expect(ofType(reprovision, 'Microsoft.Cdn/profiles/originGroups/origins')).toEqual([]);
    expect(ofType(reprovision, 'Microsoft.Cdn/profiles')).toEqual([]);
  });

  it("gives the app a target of kind frontDoor that passes the app's own schema, naming the created origin group", () => {
    const parsed = targetsSchema(TRAFFIC_PROVIDERS).safeParse(
      JSON.parse(appSettings(frontDoor).RELEASE_TARGETS ?? 'null'),
    );
    expect(parsed.error?.issues ?? []).toEqual([]);
    const target = parsed.success ? parsed.data[0] : undefined;
    const group = ofType(frontDoor, 'Microsoft.Cdn/profiles/originGroups')[0];
    expect(target?.traffic).toEqual({
      kind: 'frontDoor',
      originGroupId: group?.id,
      resource: group?.id,
    });
  });

  it('assigns least privilege: the origin reads and write at the origin group, the operation status at the group, no Traffic Manager role', () => {
    const t = one(frontDoor, 'storage/hostStorage').name.slice(2);
    const roles = appRoles(frontDoor).filter((r) => /frontDoor|trafficManager|a4b10055/i.test(r));
    expect(roles).toEqual([
      'frontDoorOperationRole @ <rg>',
      `frontDoorOriginsRole @ <rg>/providers/Microsoft.Cdn/profiles/afd-${t}/originGroups/slots`,
    ]);
    expect(one(frontDoor, 'rbac/frontDoorOriginsRole').properties.permissions).toEqual([
      {
        actions: [
          FRONT_DOOR_ACTIONS.originGroupRead,
          FRONT_DOOR_ACTIONS.originRead,
          FRONT_DOOR_ACTIONS.originWrite,
        ],
        notActions: [],
      },
    ]);
    expect(one(frontDoor, 'rbac/frontDoorOperationRole').properties.permissions).toEqual([
      { actions: [FRONT_DOOR_ACTIONS.operationRead], notActions: [] },
    ]);
    expect(repoFile('infra/main.json')).not.toContain(CDN_PROFILE_CONTRIBUTOR);
  });

  it('the default variant has none of the Front Door resources or roles', () => {
    const d = deployMain();
    expect(ofType(d, 'Microsoft.Cdn/profiles')).toEqual([]);
    expect(appRoles(d).filter((r) => /frontDoor/.test(r))).toEqual([]);
  });
});
