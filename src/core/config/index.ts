/** Configuration: app settings, release targets and templates. */
export {
  loadConfig,
  getConfig,
  resetConfigCache,
  findTarget,
  deepFreeze,
  type AppConfig,
  type DeepReadonly,
} from './load';
export {
  TEMPLATE_PLACEHOLDERS,
  expandTemplate,
  expandUrlTemplate,
  templatePlaceholders,
  unknownPlaceholders,
  type ExpandOptions,
  type Placeholder,
} from './template';
export { ArmIdPatterns, ArmIdExamples, RESOURCE_GROUP_ID } from './arm';
export { armResourceId, trafficSchema, type TrafficKind } from './traffic';
export { targetSchema, targetsSchema, TARGET_NAME_PATTERN } from './schema';
