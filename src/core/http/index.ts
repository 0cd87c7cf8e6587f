/** HTTP helpers for the function handlers. */
export {
  DEFAULT_MAX_BODY_BYTES,
  readJsonBody,
  readFormOrJson,
  readRawBody,
  parseJsonText,
  mediaType,
  isJsonType,
  type BodyOptions,
} from './body';
export {
  basicAuthPassword,
  constantTimeEqual,
  crossSiteProblem,
  identityFromHeaders,
  principalFromHeaders,
  type HeaderSource,
} from './auth';
export { jsonResponse, errorResponse, httpErrorFrom, JSON_HEADERS } from './response';
export { parseJson, jsonErrorPosition, jsonDepthExceeded, JsonTooDeepError, MAX_JSON_DEPTH } from './json';
