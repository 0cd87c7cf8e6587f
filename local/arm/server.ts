/**
 * Local stand-in for Azure Resource Manager. This file wires the front door (TLS, token check, fault injection,
 * request log, api-version, routing) to one module per resource provider under `providers/`, each with its route
 * table: Traffic Manager, Front Door, Compute, Alerts Management and the managed identity's token endpoint.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { FleetTopology, RunCommandExecutor } from '../contracts';
import { ensureArmCertificate } from './cert';
import { createContext } from './context';
import type { ArmControl } from './control';
import { createControl, handleControl } from './control';
import { armErrors, toArmError } from './errors';
import { FaultBook, RequestLog, retryAfterHeader } from './faults';
import type { Route } from './http';
import { readBody, requireApiVersion, Router, sendError, sendJson } from './http';
import { ALERTS_API_VERSIONS, alertsManagement } from './providers/alertsManagement';
import { COMPUTE_API_VERSIONS, compute } from './providers/compute';
import { identity, LOCAL_IDENTITY } from './providers/identity';
import { network } from './providers/network';
import type { RbacPolicy } from './rbac';
import { NETWORK_API_VERSIONS, trafficManager } from './providers/trafficManager';
import { CDN_API_VERSIONS, frontDoor } from './providers/frontDoor';
import { emptyWorld, reconcileTopology, rgId, WorldStore } from './state';

export type { ArmControl } from './control';
export type { AddVmSpec } from './providers/compute';
export type { AddAlertSpec } from './providers/alertsManagement';

/** Api-versions accepted per provider (the SDKs' own first; a few neighbours for hand-written callers). */
export const API_VERSIONS = {
  network: NETWORK_API_VERSIONS,
  compute: COMPUTE_API_VERSIONS,
  alerts: ALERTS_API_VERSIONS,
  cdn: CDN_API_VERSIONS,
} as const;

/** Options of `startArm`. */
export interface StartArmOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. The launcher uses 7072 / LOCAL_ARM_PORT. */
  port?: number;
  /** Where the certificate and the state file live. */
  dataDir: string;
  topology: FleetTopology;
  executor: RunCommandExecutor;
  /** Azure region of the seeded compute resources; default `westeurope`. */
  location?: string;
  /** Secret the managed identity endpoint expects in `X-IDENTITY-HEADER`; random when omitted. */
  identityHeader?: string;
  /**
   * Scopes where callers may list alerts (the alerts reader role's assignments); a list at any other scope
   * answers 403 AuthorizationFailed, as ARM authorizes at the URL's scope. Default: the topology's resource
   * group, as infra/app/rbac.bicep assigns the role.
   */
  alertReadScopes?: string[];
  /**
   * Role assignments to enforce for the app's identity (requests with a token the identity endpoint issued):
   * every such request is authorized by the route's action at its scope, or answers 403 AuthorizationFailed.
   * Other bearer tokens (tests, an operator) are not checked. Omitted: nothing is enforced.
   */
  rbac?: RbacPolicy;
  /**
   * Delay between a Front Door write and the edge following it, ms. Default: Azure's documented figure
   * (`FRONT_DOOR_PROPAGATION_MS`, 20 minutes); `arm.control.setFrontDoorPropagationMs` changes it later.
   */
  frontDoorPropagationMs?: number;
}

/** A running stand-in. */
export interface ArmStandIn {
  /** `https://127.0.0.1:<port>`: the ARM endpoint to configure. */
  url: string;
  port: number;
  certPath: string;
  caPem: string;
  /** App Service-style managed identity: set IDENTITY_ENDPOINT / IDENTITY_HEADER of the app to these. */
  identity: { endpoint: string; header: string };
  control: ArmControl;
  /**
   * Environment for the app process so its unchanged settings and DefaultAzureCredential reach this stand-in:
   * ARM_ENDPOINT, IDENTITY_ENDPOINT, IDENTITY_HEADER, NODE_EXTRA_CA_CERTS (read by Node only at start-up, and
   * needed by the token call too), and AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential so a developer's own
   * Azure CLI login or AZURE_* secrets can never send the local app to real Azure.
   */
  appEnv(): Record<string, string>;
  close(): Promise<void>;
}

/**
 * The scope ARM checks a request at: the resource the path names, or, for a collection (`…/virtualMachines`) or
 * an action (`…/runCommand`), its parent (`…/providers/Microsoft.Compute`, the VM), as ARM's messages show.
 */
function defaultScope(route: Route, segments: string[]): string {
  const last = route.pattern.split('/').filter(Boolean).pop() ?? '';
  const own = /^\{\w+\}$/.test(last) ? segments : segments.slice(0, -1);
  return `/${own.join('/')}`;
}

const bearer = (auth: string): string | undefined => /^Bearer (\S+)/.exec(auth)?.[1];

/** Starts the stand-in. */
export async function startArm(options: StartArmOptions): Promise<ArmStandIn> {
  const location = options.location ?? 'westeurope';
  const cert = ensureArmCertificate(options.dataDir);
  const store = new WorldStore(options.dataDir);
  const world = store.load() ?? emptyWorld(options.topology.subscriptionId);
  reconcileTopology(world, options.topology, location);
  const faults = new FaultBook();
  const log = new RequestLog();
  const identityHeader = options.identityHeader ?? randomBytes(24).toString('hex');
  const sub = world.subscriptionId;
  let closed = false;
  const changes = new Set<() => void>();
  const save = (): void => {
    if (closed) return;
    store.save(world);
    for (const listener of changes) listener();
  };
  save();

  const ctx = createContext(world, location, options.topology.resourceGroup, save);
  const tm = trafficManager(ctx);
  const afd = frontDoor(
    ctx,
    options.frontDoorPropagationMs !== undefined ? { propagationMs: options.frontDoorPropagationMs } : {},
  );
  afd.reconcile(options.topology);
  save();
  const cmp = compute(ctx, options.executor, faults);
  const alerts = alertsManagement(
    ctx,
    options.alertReadScopes ?? [rgId(sub, options.topology.resourceGroup)],
  );
  const nics = network(ctx);
  const id = identity(identityHeader);
  const control = createControl({
    world,
    faults,
    log,
    trafficManager: tm,
    frontDoor: afd,
    compute: cmp,
    alerts,
    ...(options.rbac ? { rbac: options.rbac } : {}),
    changes,
  });
  cmp.resumeInterrupted();

  const resourceGroupRoute: Route = {
    method: 'GET',
    pattern: '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}',
    action: 'Microsoft.Resources/subscriptions/resourceGroups/read',
    handle: ({ res, params }) => {
      const found = ctx.findRg(params.resourceGroupName ?? '');
      sendJson(res, 200, {
        id: rgId(sub, found),
        name: found,
        location,
        properties: { provisioningState: 'Succeeded' },
      });
    },
  };
  const armRouter = new Router([
    ...alerts.routes,
    ...tm.routes,
    ...afd.routes,
    ...cmp.routes,
    ...nics.routes,
    resourceGroupRoute,
  ]);
  const identityRouter = new Router(id.routes);

  /** ARM's access check for the app's identity, before the provider sees the request. */
  const authorize = (
    rbac: RbacPolicy,
    route: Route,
    params: Record<string, string>,
    segments: string[],
    path: string,
  ): void => {
    const action = typeof route.action === 'function' ? route.action(params) : route.action;
    const scope = route.scope ? route.scope(params, path) : defaultScope(route, segments);
    if (!rbac.allows(LOCAL_IDENTITY.principalId, action, scope)) {
      throw armErrors.authorizationFailed(
        { clientId: LOCAL_IDENTITY.clientId, objectId: LOCAL_IDENTITY.principalId },
        action,
        scope,
      );
    }
  };

  const server = createServer({ key: cert.keyPem, cert: cert.caPem }, (req, res) => {
    void (async () => {
      const method = (req.method ?? 'GET').toUpperCase();
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const path = url.pathname;
      const q = url.searchParams;
      const host = req.headers.host ?? '127.0.0.1';
      const arrived = Date.now();
      let body: unknown;
      let faultId: number | undefined;
      const isArm = path.toLowerCase().startsWith('/subscriptions/');
      const token = bearer(String(req.headers.authorization ?? ''));
      // Token requests are logged too (query only: the X-IDENTITY-HEADER secret is never recorded).
      const logged = isArm || path === '/msi/token';
      try {
        const bodyText = await readBody(req);
        if (bodyText.length > 0) {
          try {
            body = JSON.parse(bodyText);
          } catch {
            throw armErrors.invalidRequestContent();
          }
        }
        const segments = path
          .split('/')
          .filter((s) => s.length > 0)
          .map(decodeURIComponent);
        if (path.startsWith('/_control/')) {
          handleControl(control, res, method, segments.slice(1), q, body);
          return;
        }
        const identityMatch = identityRouter.match(method, segments);
        if (identityMatch.kind === 'route') {
          await identityMatch.route.handle({
            req,
            res,
            method,
            path,
            params: {},
            query: q,
            body,
            host,
            apiVersion: '',
          });
          return;
        }
        if (!isArm) throw armErrors.notFound(`No route for '${path}'.`);

        const fault = faults.take(method, path);
        if (fault) {
          faultId = fault.id;
          if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
          if (fault.status !== undefined) {
            const injected = armErrors.injected(
              fault.status,
              fault.errorCode,
              fault.message ?? `Injected fault ${fault.id} (${fault.status}).`,
            );
            Object.assign(injected.headers, retryAfterHeader(fault)); // delay-seconds or HTTP-date
            throw injected;
          }
        }
        if (!token) throw armErrors.authenticationFailed();
        if (segments.length < 2) throw armErrors.invalidResourceType(path);
        if ((segments[1] ?? '').toLowerCase() !== sub.toLowerCase())
          throw armErrors.subscriptionNotFound(segments[1] ?? '');
        const match = armRouter.match(method, segments);
        if (match.kind === 'method') throw armErrors.methodNotAllowed(method, path);
        if (match.kind === 'none') throw armErrors.invalidResourceType(path);
        const apiVersion = match.route.apiVersions ? requireApiVersion(q, match.route.apiVersions) : '';
        if (options.rbac && id.issued(token))
          authorize(options.rbac, match.route, match.params, segments, path);
        await match.route.handle({
          req,
          res,
          method,
          path,
          params: match.params,
          query: q,
          body,
          host,
          apiVersion,
        });
      } catch (err) {
        if (!res.headersSent) sendError(res, toArmError(err));
      } finally {
        if (logged) {
          const query: Record<string, string> = {};
          q.forEach((v, k) => (query[k] = v));
          log.add({
            at: new Date(arrived).toISOString(),
            atMs: arrived,
            method,
            path,
            query,
            status: res.statusCode,
            ...(faultId !== undefined ? { faultId } : {}),
            authorized: token !== undefined,
            managedIdentityToken: token !== undefined && id.issued(token),
            ...(body !== undefined ? { body } : {}),
          });
        }
      }
    })();
  });

  // Keep idle sockets longer than clients do (Node's 5 s default races a client reusing a socket the server is
  // closing: a spurious ECONNRESET under load). close() ends every connection anyway.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `https://127.0.0.1:${port}`;

  return {
    url,
    port,
    certPath: cert.certPath,
    caPem: cert.caPem,
    identity: { endpoint: `${url}/msi/token`, header: identityHeader },
    control,
    appEnv: () => ({
      ARM_ENDPOINT: url,
      IDENTITY_ENDPOINT: `${url}/msi/token`,
      IDENTITY_HEADER: identityHeader,
      NODE_EXTRA_CA_CERTS: cert.certPath,
      AZURE_TOKEN_CREDENTIALS: 'ManagedIdentityCredential',
    }),
    close: async () => {
      // Let executions finish recording before the state file goes quiet, but never hang on a stuck executor.
      await Promise.race([cmp.settled(), new Promise((r) => setTimeout(r, 2000).unref())]);
      closed = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
