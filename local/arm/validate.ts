/**
 * Request-body validation of the operations the stand-in serves, from the REST API specs
 * (Azure/azure-rest-api-specs: trafficmanager stable/2022-04-01 `trafficmanager.json`; compute `runCommands`
 * `VirtualMachineRunCommand`, `RunCommandInputParameter` with `name` and `value` required, `RunCommandInput`
 * with `commandId` required) and the rules the services document (Traffic Manager: weight and priority 1..1000,
 * priorities unique in a profile). A refused body changes nothing: validation runs before any state is touched.
 */
import type { ArmError } from './errors';
import { armErrors } from './errors';
import { isObject } from './http';

/** A field schema: type, enum, integer range, required members, item schema. */
export type Schema =
  | { type: 'string'; enum?: readonly string[] }
  | { type: 'integer'; min?: number; max?: number }
  | { type: 'boolean' }
  | { type: 'array'; items: Schema }
  | { type: 'object'; properties?: Record<string, Schema>; required?: readonly string[]; values?: Schema };

/** How a provider words a refusal (Traffic Manager: `BadRequest`; Compute: `InvalidParameter` with target). */
export type Refuse = (message: string, field: string) => ArmError;

const typeName = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;

const join = (field: string, key: string): string => (field ? `${field}.${key}` : key);
const shown = (field: string): string => field || 'body';

/** Checks `value` against `schema`; throws the provider's refusal naming the field path and the rule. */
export function check(value: unknown, schema: Schema, field: string, refuse: Refuse): void {
  const at = shown(field);
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string')
        throw refuse(`The value of '${at}' must be a string, not ${typeName(value)}.`, at);
      if (schema.enum && !schema.enum.includes(value)) {
        throw refuse(
          `The value '${value}' of '${at}' is invalid; allowed values are ${schema.enum.map((e) => `'${e}'`).join(', ')}.`,
          at,
        );
      }
      return;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value))
        throw refuse(`The value of '${at}' must be an integer, not ${typeName(value)}.`, at);
      if (
        (schema.min !== undefined && value < schema.min) ||
        (schema.max !== undefined && value > schema.max)
      ) {
        throw refuse(
          `The value ${value} of '${at}' is out of range; it must be from ${schema.min ?? '-∞'} to ${schema.max ?? '∞'}.`,
          at,
        );
      }
      return;
    case 'boolean':
      if (typeof value !== 'boolean')
        throw refuse(`The value of '${at}' must be a boolean, not ${typeName(value)}.`, at);
      return;
    case 'array':
      if (!Array.isArray(value))
        throw refuse(`The value of '${at}' must be an array, not ${typeName(value)}.`, at);
      value.forEach((item, i) => check(item, schema.items, `${field}[${i}]`, refuse));
      return;
    case 'object': {
      if (!isObject(value))
        throw refuse(`The value of '${at}' must be an object, not ${typeName(value)}.`, at);
      for (const r of schema.required ?? []) {
        if (value[r] === undefined || value[r] === null)
          throw refuse(`Required parameter '${join(field, r)}' is missing (null).`, join(field, r));
      }
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined || v === null) continue; // null means "not given" in ARM bodies
        const sub = schema.properties?.[k] ?? schema.values;
        if (sub) check(v, sub, join(field, k), refuse);
      }
      return;
    }
  }
}

const str: Schema = { type: 'string' };
const tags: Schema = { type: 'object', values: str };
const header: Schema = { type: 'object', properties: { name: str, value: str } };
const enabledDisabled: Schema = { type: 'string', enum: ['Enabled', 'Disabled'] };

/** `EndpointProperties` (trafficmanager 2022-04-01). */
export const ENDPOINT_PROPERTIES: Schema = {
  type: 'object',
  properties: {
    targetResourceId: str,
    target: str,
    endpointStatus: enabledDisabled,
    weight: { type: 'integer', min: 1, max: 1000 },
    priority: { type: 'integer', min: 1, max: 1000 },
    endpointLocation: str,
    endpointMonitorStatus: str,
    minChildEndpoints: { type: 'integer', min: 1 },
    minChildEndpointsIPv4: { type: 'integer', min: 0 },
    minChildEndpointsIPv6: { type: 'integer', min: 0 },
    geoMapping: { type: 'array', items: str },
    subnets: {
      type: 'array',
      items: {
        type: 'object',
        properties: { first: str, last: str, scope: { type: 'integer', min: 0, max: 128 } },
      },
    },
    customHeaders: { type: 'array', items: header },
    alwaysServe: enabledDisabled,
  },
};

/** An `Endpoint` in a request body (id, name and type are read-only there). */
export const ENDPOINT: Schema = {
  type: 'object',
  properties: { id: str, name: str, type: str, properties: ENDPOINT_PROPERTIES },
};

/** `Profile` (TrackedResource + ProfileProperties). */
export const PROFILE: Schema = {
  type: 'object',
  properties: {
    id: str,
    name: str,
    type: str,
    location: str,
    tags,
    properties: {
      type: 'object',
      properties: {
        profileStatus: enabledDisabled,
        trafficRoutingMethod: {
          type: 'string',
          enum: ['Performance', 'Priority', 'Weighted', 'Geographic', 'MultiValue', 'Subnet'],
        },
        dnsConfig: {
          type: 'object',
          properties: { relativeName: str, fqdn: str, ttl: { type: 'integer', min: 0, max: 2147483647 } },
        },
        monitorConfig: {
          type: 'object',
          properties: {
            profileMonitorStatus: str,
            protocol: { type: 'string', enum: ['HTTP', 'HTTPS', 'TCP'] },
            port: { type: 'integer', min: 1, max: 65535 },
            path: str,
            intervalInSeconds: { type: 'integer', min: 10, max: 30 },
            timeoutInSeconds: { type: 'integer', min: 5, max: 10 },
            toleratedNumberOfFailures: { type: 'integer', min: 0, max: 9 },
            customHeaders: { type: 'array', items: header },
            expectedStatusCodeRanges: {
              type: 'array',
              items: { type: 'object', properties: { min: { type: 'integer' }, max: { type: 'integer' } } },
            },
          },
        },
        endpoints: { type: 'array', items: ENDPOINT },
        trafficViewEnrollmentStatus: enabledDisabled,
        allowedEndpointRecordTypes: {
          type: 'array',
          items: { type: 'string', enum: ['DomainName', 'IPv4Address', 'IPv6Address', 'Any'] },
        },
        maxReturn: { type: 'integer', min: 1, max: 8 },
      },
    },
  },
};

const runCommandParameter: Schema = {
  type: 'object',
  required: ['name', 'value'],
  properties: { name: str, value: str },
};

/** `VirtualMachineRunCommand` (PUT of a managed run command; Compute's tracked resources require `location`). */
export const RUN_COMMAND: Schema = {
  type: 'object',
  required: ['location'],
  properties: {
    location: str,
    tags,
    properties: {
      type: 'object',
      properties: {
        source: {
          type: 'object',
          properties: {
            script: str,
            scriptUri: str,
            commandId: str,
            scriptUriManagedIdentity: { type: 'object' },
          },
        },
        parameters: { type: 'array', items: runCommandParameter },
        protectedParameters: { type: 'array', items: runCommandParameter },
        asyncExecution: { type: 'boolean' },
        runAsUser: str,
        runAsPassword: str,
        timeoutInSeconds: { type: 'integer', min: 0 },
        outputBlobUri: str,
        errorBlobUri: str,
        outputBlobManagedIdentity: { type: 'object' },
        errorBlobManagedIdentity: { type: 'object' },
        treatFailureAsDeploymentFailure: { type: 'boolean' },
      },
    },
  },
};

/** `RunCommandInput` (POST `runCommand` action). */
export const RUN_COMMAND_INPUT: Schema = {
  type: 'object',
  required: ['commandId'],
  properties: {
    commandId: str,
    script: { type: 'array', items: str },
    parameters: { type: 'array', items: runCommandParameter },
  },
};

/** Traffic Manager's refusal: `BadRequest`. */
export const trafficManagerRefusal: Refuse = (message, field) => armErrors.badRequest(message, field);
/** Compute's refusal: `InvalidParameter` with the field as target. */
export const computeRefusal: Refuse = (message, field) => armErrors.invalidParameter(message, field);

/** Validates a whole request body; fields are named by their path in it (`properties.parameters[0].value`). */
export function validateBody(body: unknown, schema: Schema, refuse: Refuse): void {
  if (body === undefined) throw refuse('The request body is required.', 'body');
  check(body, schema, '', refuse);
}

/**
 * Traffic Manager's cross-endpoint rule: priorities, when given, are unique in the profile (its API reference:
 * "no two endpoints can share the same priority value").
 */
export function checkUniquePriorities(
  endpoints: { name: string; properties: { priority?: unknown } }[],
): void {
  const seen = new Map<number, string>();
  for (const e of endpoints) {
    const p = e.properties.priority;
    if (typeof p !== 'number') continue;
    const other = seen.get(p);
    if (other !== undefined) {
      throw armErrors.badRequest(
        `Endpoints '${other}' and '${e.name}' have the same priority ${p}; no two endpoints of a profile can share the same priority value.`,
        'properties.priority',
      );
    }
    seen.set(p, e.name);
  }
}
