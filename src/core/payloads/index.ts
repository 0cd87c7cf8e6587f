/** Webhook payloads: Azure DevOps service hooks and Azure Monitor common alert schema. */
export {
  parseDevOpsEvent,
  matchesFilters,
  shortBranch,
  globMatch,
  DevOpsEventTypes,
  type HookOutcome,
  type FilterMatch,
} from './devops';
export {
  parseCommonAlert,
  toFiredAlert,
  alertMatchesScope,
  isWithinScope,
  normalizeResourceId,
  COMMON_ALERT_SCHEMA_ID,
  type CommonAlert,
} from './alerts';
