/** RBAC of the ARM stand-in: the compiled template's role assignments, enforced for the app's identity. */
import { join } from 'node:path';
import type { FleetTopology } from '../../contracts';
import { localFrontDoorNames } from '../providers/frontDoor';
import { RbacPolicy } from './policy';
import { rbacFromTemplate, readTemplate } from './template';

export { RbacPolicy, covers, matchesAny, roleGrants } from './policy';
export type { ActionKind } from './policy';
export { BUILT_IN_ROLES } from './roles';
export { rbacFromTemplate, readTemplate } from './template';
export type { Permission, RoleAssignment, RoleDefinition, TemplateBindings, TemplateRbac } from './template';

/** Names the local world gives the template's identities (the template derives its own from a token). */
export const LOCAL_IDENTITY_NAMES = { api: 'id-release-local', vm: 'id-slots-local' } as const;

/** The compiled template of the repository (`infra/main.json`, what `azd up` deploys). */
export const templatePath = (root: string): string => join(root, 'infra', 'main.json');

/**
 * The policy `azd up` would create, bound to the local world: the template's module parameters that name the
 * profile, the scale sets, Application Insights and the two identities take the local names; `principalId` is
 * the stand-in's managed identity.
 */
export function localRbacPolicy(
  template: unknown,
  topology: FleetTopology,
  principals: { app: string; vm: string },
  location = 'westeurope',
  trafficProvider: 'trafficManager' | 'frontDoor' = 'trafficManager',
): RbacPolicy {
  const { definitions, assignments } = rbacFromTemplate(template, {
    subscriptionId: topology.subscriptionId,
    resourceGroup: topology.resourceGroup,
    location,
    parameters: {
      environmentName: 'local',
      location,
      trafficManagerProfileName: topology.profileName,
      // The template's traffic variant: the Front Door one assigns its roles on the seeded origin group.
      trafficProvider,
      frontDoorProfileName: localFrontDoorNames(topology).profile,
      frontDoorOriginGroupName: localFrontDoorNames(topology).originGroup,
      vmssNames: topology.slots.map((s) => s.vmssName),
      appInsightsName: topology.appInsightsId.split('/').pop() ?? '',
      apiIdentityName: LOCAL_IDENTITY_NAMES.api,
      vmIdentityName: LOCAL_IDENTITY_NAMES.vm,
      // Older templates pass the principal ids themselves.
      apiPrincipalId: principals.app,
      vmPrincipalId: principals.vm,
    },
    principals: { [LOCAL_IDENTITY_NAMES.api]: principals.app, [LOCAL_IDENTITY_NAMES.vm]: principals.vm },
  });
  return new RbacPolicy(definitions, assignments);
}

/** Reads `infra/main.json` under `root` and binds it to the local world. */
export function loadLocalRbacPolicy(
  root: string,
  topology: FleetTopology,
  principals: { app: string; vm: string },
  trafficProvider: 'trafficManager' | 'frontDoor' = 'trafficManager',
): RbacPolicy {
  return localRbacPolicy(
    readTemplate(templatePath(root)),
    topology,
    principals,
    'westeurope',
    trafficProvider,
  );
}
