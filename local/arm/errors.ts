/**
 * The one error factory of the ARM stand-in: every refusal is an `ArmError` whose body is ARM's own
 * `{ "error": { "code", "message", "target"? } }`, with the codes ARM and the resource providers answer.
 */
import { defaultErrorCode } from './faults';

/** An ARM refusal: HTTP status, ARM error code, message, optional `target` (the field at fault) and headers. */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly target?: string,
  ) {
    super(message);
  }

  /** The wire body, as ARM sends it. */
  body(): { error: { code: string; message: string; target?: string } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.target !== undefined ? { target: this.target } : {}),
      },
    };
  }
}

/** Who asked, for `AuthorizationFailed` messages. */
export interface Caller {
  /** Application (client) id of the token. */
  clientId: string;
  /** Object id of the principal. */
  objectId: string;
}

/** Factory of the errors ARM answers; messages follow ARM's published wording. */
export const armErrors = {
  /** Generic ARM 404 of a resource (`ResourceNotFound`). */
  resourceNotFound: (type: string, name: string, rg?: string): ArmError =>
    new ArmError(
      404,
      'ResourceNotFound',
      `The Resource '${type}/${name}' under resource group '${rg ?? ''}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    ),
  resourceGroupNotFound: (rg: string): ArmError =>
    new ArmError(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`),
  subscriptionNotFound: (sub: string): ArmError =>
    new ArmError(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`),
  /** No provider serves the path's resource type. */
  invalidResourceType: (path: string): ArmError =>
    new ArmError(404, 'InvalidResourceType', `The resource type could not be found for '${path}'.`),
  /** A resource-provider 404 whose code is `NotFound` (Compute operations, for instance). */
  notFound: (message: string): ArmError => new ArmError(404, 'NotFound', message),
  methodNotAllowed: (method: string, path: string): ArmError =>
    new ArmError(
      405,
      'MethodNotAllowed',
      `The requested resource does not support http method '${method}' on '${path}'.`,
    ),
  missingApiVersion: (): ArmError =>
    new ArmError(
      400,
      'MissingApiVersionParameter',
      'The api-version query parameter (?api-version=) is required for all requests.',
    ),
  invalidApiVersion: (given: string, allowed: readonly string[]): ArmError =>
    new ArmError(
      400,
      'InvalidApiVersionParameter',
      `The api-version '${given}' is invalid. The supported versions are '${allowed.join(',')}'.`,
    ),
  /** The body is not JSON (ARM front door). */
  invalidRequestContent: (detail?: string): ArmError =>
    new ArmError(
      400,
      'InvalidRequestContent',
      `The request content was invalid and could not be deserialized${detail ? `: ${detail}` : '.'}`,
    ),
  /** Traffic Manager's validation refusals are `BadRequest` with a sentence naming the field. */
  badRequest: (message: string, target?: string): ArmError =>
    new ArmError(400, 'BadRequest', message, {}, target),
  /** Compute's validation refusals are `InvalidParameter` with the field as `target`. */
  invalidParameter: (message: string, target?: string): ArmError =>
    new ArmError(400, 'InvalidParameter', message, {}, target),
  /** Compute: a required property is absent ("Required parameter 'x' is missing (null)."). */
  missingParameter: (field: string): ArmError =>
    new ArmError(400, 'InvalidParameter', `Required parameter '${field}' is missing (null).`, {}, field),
  invalidScope: (scope: string): ArmError =>
    new ArmError(400, 'InvalidScope', `'${scope}' is not a valid scope.`),
  authenticationFailed: (): ArmError =>
    new ArmError(
      401,
      'AuthenticationFailed',
      "Authentication failed. The 'Authorization' header is missing.",
    ),
  /** ARM's RBAC refusal, word for word. */
  authorizationFailed: (caller: Caller | undefined, action: string, scope: string): ArmError =>
    new ArmError(
      403,
      'AuthorizationFailed',
      caller
        ? `The client '${caller.clientId}' with object id '${caller.objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`
        : `The client does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    ),
  requestTooLarge: (): ArmError =>
    new ArmError(413, 'RequestEntityTooLarge', 'The request body is too large.'),
  /** An injected fault (`/_control/faults`): the status with its default code unless one is given. */
  injected: (
    status: number,
    code: string | undefined,
    message: string,
    retryAfterSeconds?: number,
  ): ArmError =>
    new ArmError(
      status,
      code ?? defaultErrorCode(status),
      message,
      retryAfterSeconds !== undefined ? { 'Retry-After': String(retryAfterSeconds) } : {},
    ),
  internal: (message: string): ArmError => new ArmError(500, 'InternalServerError', message),
};

/** Any thrown value as an ArmError (unexpected ones become 500 InternalServerError). */
export function toArmError(err: unknown): ArmError {
  if (err instanceof ArmError) return err;
  return armErrors.internal(err instanceof Error ? err.message : String(err));
}
