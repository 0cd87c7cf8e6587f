/** The local ARM stand-in: start it with `startArm`, drive faults and alerts through `control`. */
export { startArm, API_VERSIONS } from './server';
export type { StartArmOptions, ArmStandIn, ArmControl, AddVmSpec, AddAlertSpec } from './server';
export type { FaultSpec, FaultRule, RunCommandFailureSpec, RequestLogEntry } from './faults';
export { armCertPath, ensureArmCertificate } from './cert';
export type { ArmCertificate } from './cert';
export type {
  ArmWorld,
  ProfileResource,
  EndpointResource,
  RunCommandRecord,
  AlertRecord,
  VmRecord,
  AfdOriginResource,
  AfdOriginGroupRecord,
  AfdDeployment,
} from './state';
export {
  FRONT_DOOR_PROPAGATION_MS,
  FRONT_DOOR_ACTIONS,
  CDN_API_VERSIONS,
  localFrontDoorNames,
  localOriginGroupId,
} from './providers/frontDoor';
export type { FrontDoorEdgeView } from './providers/frontDoor';
export { RbacPolicy, localRbacPolicy, loadLocalRbacPolicy, templatePath, BUILT_IN_ROLES } from './rbac';
export type { RoleAssignment, RoleDefinition } from './rbac';
export { LOCAL_IDENTITY } from './providers/identity';
