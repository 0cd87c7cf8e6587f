/** Configuration: app settings, release targets and templates. */
export { SETTINGS, type SettingSpec } from './settings';
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
export { ArmIdPatterns, ArmIdExamples } from './arm';
export { targetSchema, targetsSchema, TARGET_NAME_PATTERN } from './schema';
