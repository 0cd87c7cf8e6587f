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
} from './state';
export { RbacPolicy, localRbacPolicy, loadLocalRbacPolicy, templatePath, BUILT_IN_ROLES } from './rbac';
export type { RoleAssignment, RoleDefinition } from './rbac';
export { LOCAL_IDENTITY } from './providers/identity';
