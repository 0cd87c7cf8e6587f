/**
 * The managed identity of the app: an App Service-style token endpoint (`GET /msi/token?api-version=2019-08-01`
 * with `X-IDENTITY-HEADER`), so the app's unchanged DefaultAzureCredential gets a token.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { ArmError } from '../errors';
import type { Route } from '../http';
import { sendJson } from '../http';
import { stableGuid } from '../state';

/** The identity of the app as ARM sees it: who its tokens are and the principal they stand for. */
export interface ManagedIdentity {
  /** Client (application) id of the identity. */
  clientId: string;
  /** Object (principal) id role assignments name. */
  principalId: string;
}

/** The identity module: the token route, and which bearer tokens it issued. */
export interface IdentityModule {
  routes: Route[];
  identity: ManagedIdentity;
  /** True when the bearer token is one this endpoint issued. */
  issued(token: string): boolean;
}

/** The local app's identity: stable ids, so role assignments and messages stay the same across restarts. */
export const LOCAL_IDENTITY: ManagedIdentity = {
  clientId: stableGuid('local-managed-identity'),
  principalId: stableGuid('local-managed-identity/principal'),
};

/** Builds the module; `header` is the secret `X-IDENTITY-HEADER` must carry. */
export function identity(header: string, id: ManagedIdentity = LOCAL_IDENTITY): IdentityModule {
  const issuedTokens = new Set<string>();
  const expected = Buffer.from(header);
  const routes: Route[] = [
    {
      method: 'GET',
      pattern: '/msi/token',
      action: '',
      handle: ({ req, res, query: q }) => {
        const given = Buffer.from(String(req.headers['x-identity-header'] ?? ''));
        // Constant-time comparison of the secret.
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          throw new ArmError(401, 'Unauthorized', 'The X-IDENTITY-HEADER header is missing or wrong.');
        }
        const resource = q.get('resource');
        if (!resource) throw new ArmError(400, 'BadRequest', "The 'resource' query parameter is required.");
        const expiresOn = Math.floor(Date.now() / 1000) + 3600;
        const token = `local-${randomBytes(24).toString('hex')}`;
        issuedTokens.add(token);
        sendJson(res, 200, {
          access_token: token,
          expires_on: String(expiresOn),
          resource,
          token_type: 'Bearer',
          client_id: q.get('client_id') ?? id.clientId,
        });
      },
    },
  ];
  return { routes, identity: id, issued: (token) => issuedTokens.has(token) };
}
