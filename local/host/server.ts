/**
 * The host's HTTP server on 127.0.0.1: the app's HTTP triggers under `/api` (routes, methods, authLevel), and the
 * Durable management API under `/runtime/webhooks/durabletask/` (always behind the function key).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DurableEngine } from './durable/engine';
import { DurableEngineError } from './durable/engine';
import type { InstanceFilter, RuntimeStatus } from './durable/types';
import type { Registry, RpcHttpCookie, RpcHttpData, RpcInvocationResponse } from './functionsCore';
import { handleDevAuth, platformHeaders } from './devAuth';
import { extraInputsFor, invokeRegistered } from './invoke';
import type { HttpRoute } from './routes';
import { registerInProcessRpc, rpcInProcess, type RpcDispatcher } from './rpcChannel';
import { BadPathError, buildRoutes, decodeSegment, keyMatches, matchRoute } from './routes';

/** Base path of the Durable management API (the extension's webhook path). */
export const DURABLE_BASE_PATH = '/runtime/webhooks/durabletask';

/**
 * Base path of the SDK's rpc channel (`rpcBaseUrl`). On Azure that channel is a listener only the worker reaches;
 * here it shares the port, so it is the one place where the key travels as a Basic password (the SDK resolves rpc
 * URLs against a base that keeps its userinfo, and axios sends that as Basic auth).
 */
export const RPC_BASE_PATH = '/_rpc/durabletask';

/** Options of the host HTTP server. */
export interface HostServerOptions {
  registry: () => Registry;
  engine: DurableEngine;
  functionKey: string;
  /** 0 picks a free port. */
  port: number;
  /** Loopback address to bind (default 127.0.0.1). */
  host?: string;
  routePrefix?: string;
  logError?: (message: string) => void;
  /**
   * Signs development sign-in sessions (`/.auth/login/aad`); unset: no sign-in routes. Either way, client-sent
   * `X-MS-CLIENT-PRINCIPAL*` headers never reach the app, as behind App Service authentication.
   */
  devAuthSecret?: string;
  /** Answer the SDK's rpc channel in process (default: `LOCAL_RPC_TRANSPORT`, in process unless `http`). */
  rpcInProcess?: boolean;
}

/** A running host HTTP server. */
export interface HostServer {
  readonly url: string;
  readonly port: number;
  /** The `durableClient` binding payload the extension would send (rpcBaseUrl mode plus legacy templates). */
  durableClientPayload(): Record<string, unknown>;
  close(): Promise<void>;
}

/** The page size of an instance query without `top` (the extension's `OrchestrationStatusQueryCondition`). */
const DEFAULT_PAGE_SIZE = 100;

const RUNNING_STATUSES: RuntimeStatus[] = ['Running', 'Pending', 'ContinuedAsNew', 'Suspended'];
const ALL_STATUSES: RuntimeStatus[] = [
  'Pending',
  'Running',
  'Completed',
  'ContinuedAsNew',
  'Failed',
  'Canceled',
  'Terminated',
  'Suspended',
];

async function managementRequest(req: IncomingMessage): Promise<ManagementRequest> {
  return { method: req.method ?? 'GET', headers: req.headers, body: await readBody(req) };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** What the management handler reads of a request. */
interface ManagementRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Where an answer is written: a ServerResponse, or the reply of an in-process rpc call. */
interface ReplyTarget {
  readonly headersSent: boolean;
  writeHead(status: number, headers?: Record<string, string | string[]>): ReplyTarget;
  end(text?: string | Buffer): void;
}

/** An in-process rpc call's answer, collected (the management handler has written it when it resolves). */
class CollectedReply implements ReplyTarget {
  headersSent = false;
  status = 200;
  headers: Record<string, string> = {};
  body = '';

  writeHead(status: number, headers: Record<string, string | string[]> = {}): this {
    this.status = status;
    for (const [name, value] of Object.entries(headers)) {
      this.headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    }
    this.headersSent = true;
    return this;
  }

  end(text?: string | Buffer): void {
    if (!this.headersSent) this.writeHead(200);
    this.body = text === undefined ? '' : text.toString();
  }
}

function sendJson(
  res: ReplyTarget,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

function cookieHeader(c: RpcHttpCookie): string {
  const parts = [`${c.name ?? ''}=${c.value ?? ''}`];
  if (c.domain?.value) parts.push(`Domain=${c.domain.value}`);
  if (c.path?.value) parts.push(`Path=${c.path.value}`);
  const seconds = c.expires?.value?.seconds;
  if (seconds !== undefined && seconds !== null)
    parts.push(`Expires=${new Date(Number(seconds) * 1000).toUTCString()}`);
  if (c.maxAge?.value !== undefined && c.maxAge?.value !== null) parts.push(`Max-Age=${c.maxAge.value}`);
  if (c.secure?.value) parts.push('Secure');
  if (c.httpOnly?.value) parts.push('HttpOnly');
  if (c.sameSite === 'lax') parts.push('SameSite=Lax');
  else if (c.sameSite === 'strict') parts.push('SameSite=Strict');
  else if (c.sameSite === 'explicitNone') parts.push('SameSite=None');
  return parts.join('; ');
}

/**
 * Extracts the function key a caller presented. Azure Functions reads it from the `x-functions-key` header or the
 * `code` query parameter only ("Function access keys", learn.microsoft.com/azure/azure-functions/function-keys-how-to):
 * an `Authorization` header belongs to the app (e.g. a service hook's Basic credentials) and is never a key.
 */
function presentedKey(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers['x-functions-key'];
  if (typeof header === 'string') return header;
  const code = url.searchParams.get('code');
  if (code !== null) return code;
  return undefined;
}

/** The key on the rpc channel: the password of the Basic credentials the SDK derives from `rpcBaseUrl`. */
function rpcKey(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Basic ')) {
    const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

function parseStatuses(text: string | null): RuntimeStatus[] | undefined {
  if (!text) return undefined;
  const wanted = text.split(',').map((s) => s.trim().toLowerCase());
  return ALL_STATUSES.filter((s) => wanted.includes(s.toLowerCase()));
}

function parseTime(text: string | null): number | undefined {
  if (!text) return undefined;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}

/** Starts the server; resolves once it listens. */
export async function startHostServer(options: HostServerOptions): Promise<HostServer> {
  const host = options.host ?? '127.0.0.1';
  if (!host.startsWith('127.'))
    throw new Error(`host server: refusing to bind ${host}: only 127.x.x.x is allowed`);
  const prefix = `/${(options.routePrefix ?? 'api').replace(/^\/+|\/+$/g, '')}`;
  const logError = options.logError ?? ((m: string) => console.error(m));
  const { engine, functionKey } = options;
  let routes: HttpRoute[] | undefined;
  let routesOf: Registry | undefined;
  let origin = '';

  const managementUrls = (base: string, id: string): Record<string, string> => {
    const common = `taskHub=${engine.taskHubName}&connection=Storage&code=${encodeURIComponent(functionKey)}`;
    const instance = `${base}${DURABLE_BASE_PATH}/instances/${id}`;
    return {
      id,
      statusQueryGetUri: `${instance}?${common}`,
      sendEventPostUri: `${instance}/raiseEvent/{eventName}?${common}`,
      terminatePostUri: `${instance}/terminate?reason={text}&${common}`,
      rewindPostUri: `${instance}/rewind?reason={text}&${common}`,
      purgeHistoryDeleteUri: `${instance}?${common}`,
      restartPostUri: `${instance}/restart?${common}`,
      suspendPostUri: `${instance}/suspend?reason={text}&${common}`,
      resumePostUri: `${instance}/resume?reason={text}&${common}`,
    };
  };

  const durableClientPayload = (): Record<string, unknown> => {
    const code = `code=${encodeURIComponent(functionKey)}`;
    const base = `${origin}${DURABLE_BASE_PATH}`;
    const rpc = new URL(`${origin}${RPC_BASE_PATH}/`);
    // The SDK resolves every rpc URL against this base, which keeps the userinfo: axios sends it as Basic auth.
    rpc.username = 'functions';
    rpc.password = functionKey;
    return {
      taskHubName: engine.taskHubName,
      creationUrls: {
        createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?${code}`,
        createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${code}`,
      },
      managementUrls: managementUrls(origin, 'INSTANCEID'),
      baseUrl: base,
      requiredQueryStringParameters: code,
      rpcBaseUrl: rpc.href,
    };
  };

  const handleManagement = async (
    req: ManagementRequest,
    res: ReplyTarget,
    url: URL,
    basePath: string,
  ): Promise<void> => {
    const rest = url.pathname.slice(basePath.length).replace(/^\/+/, '');
    const parts = rest.split('/').map(decodeSegment);
    const method = req.method.toUpperCase();
    const reqOrigin = `http://${String(req.headers.host ?? host)}`;
    const body = req.body;
    const bodyJson = (): string | null | undefined => {
      const text = body.toString('utf8').trim();
      if (text === '') return null;
      try {
        JSON.parse(text);
        return text;
      } catch {
        return undefined;
      }
    };

    if (parts[0] === 'orchestrators' && parts[1] && parts.length <= 3 && method === 'POST') {
      const input = bodyJson();
      if (input === undefined) {
        sendJson(res, 400, { message: `start ${parts[1]}: the request body is not valid JSON` });
        return;
      }
      try {
        const id = engine.startNew(parts[1], {
          instanceId: parts[2] || undefined,
          inputJson: input,
          // `client.startNew(name, { version })` asks for a version; none: the host's defaultVersion.
          version: url.searchParams.get('version') || undefined,
        });
        const links = managementUrls(reqOrigin, id);
        sendJson(res, 202, links, { Location: links.statusQueryGetUri, 'Retry-After': '10' });
      } catch (err) {
        if (err instanceof DurableEngineError) sendJson(res, err.status, { message: err.message });
        else throw err;
      }
      return;
    }

    if (parts[0] === 'instances') {
      const id = parts[1] ?? '';
      const filter: InstanceFilter = {
        createdTimeFrom: parseTime(url.searchParams.get('createdTimeFrom')),
        createdTimeTo: parseTime(url.searchParams.get('createdTimeTo')),
        runtimeStatus: parseStatuses(url.searchParams.get('runtimeStatus')),
        instanceIdPrefix: url.searchParams.get('instanceIdPrefix') ?? undefined,
      };
      if (parts.length <= 2 && id === '' && method === 'GET') {
        // Paged as the extension pages (`top`, default 100; the `x-ms-continuation-token` header both
        // ways); the SDK's getStatusAll/getStatusBy follow the header until it is absent.
        const showInput = url.searchParams.get('showInput') !== 'false';
        const topText = url.searchParams.get('top');
        const top = topText !== null && /^[1-9]\d{0,5}$/.test(topText) ? Number(topText) : DEFAULT_PAGE_SIZE;
        const header = req.headers['x-ms-continuation-token'];
        const continuationToken = typeof header === 'string' && header !== '' ? header : undefined;
        try {
          const page = engine.queryJson(filter, {
            top,
            showInput,
            ...(continuationToken ? { continuationToken } : {}),
          });
          res.writeHead(200, {
            'Content-Type': 'application/json; charset=utf-8',
            ...(page.continuationToken ? { 'x-ms-continuation-token': page.continuationToken } : {}),
          });
          res.end(page.json);
        } catch (err) {
          if (err instanceof DurableEngineError) sendJson(res, err.status, { message: err.message });
          else throw err;
        }
        return;
      }
      if (parts.length <= 2 && id === '' && method === 'DELETE') {
        if (filter.createdTimeFrom === undefined) {
          sendJson(res, 400, { message: 'purge: createdTimeFrom is required' });
          return;
        }
        const deleted = engine.purgeBy(filter);
        if (deleted === 0) sendJson(res, 404, { instancesDeleted: 0 });
        else sendJson(res, 200, { instancesDeleted: deleted });
        return;
      }
      if (parts.length === 2 && method === 'GET') {
        const status = engine.getStatus(id, {
          showHistory: url.searchParams.get('showHistory') === 'true',
          showInput: url.searchParams.get('showInput') !== 'false',
        });
        if (!status) {
          sendJson(res, 404, { message: `status: no instance with ID '${id}' was found` });
          return;
        }
        if (RUNNING_STATUSES.includes(status.runtimeStatus)) {
          const links = managementUrls(reqOrigin, id);
          sendJson(res, 202, status, { Location: links.statusQueryGetUri, 'Retry-After': '5' });
        } else if (
          status.runtimeStatus === 'Failed' &&
          url.searchParams.get('returnInternalServerErrorOnFailure') === 'true'
        ) {
          sendJson(res, 500, status);
        } else {
          sendJson(res, 200, status);
        }
        return;
      }
      if (parts.length === 2 && method === 'DELETE') {
        if (engine.purge(id)) sendJson(res, 200, { instancesDeleted: 1 });
        else sendJson(res, 404, { instancesDeleted: 0 });
        return;
      }
      if (parts.length === 4 && parts[2] === 'raiseEvent' && method === 'POST') {
        const contentType = String(req.headers['content-type'] ?? '');
        const data = bodyJson();
        if (body.length > 0 && !contentType.toLowerCase().includes('application/json')) {
          sendJson(res, 400, {
            message: `raiseEvent ${parts[3]}: the content type must be application/json`,
          });
          return;
        }
        if (data === undefined) {
          sendJson(res, 400, { message: `raiseEvent ${parts[3]}: the request body is not valid JSON` });
          return;
        }
        const outcome = engine.raiseEvent(id, parts[3], undefined, data);
        if (outcome === 'notFound')
          sendJson(res, 404, { message: `raiseEvent: no instance with ID '${id}' was found` });
        else if (outcome === 'gone')
          sendJson(res, 410, { message: `raiseEvent: instance '${id}' has finished` });
        else res.writeHead(202).end();
        return;
      }
      if (parts.length === 3 && parts[2] === 'terminate' && method === 'POST') {
        const outcome = engine.terminate(id, url.searchParams.get('reason') ?? '');
        if (outcome === 'notFound')
          sendJson(res, 404, { message: `terminate: no instance with ID '${id}' was found` });
        else if (outcome === 'gone')
          sendJson(res, 410, { message: `terminate: instance '${id}' has finished` });
        else res.writeHead(202).end();
        return;
      }
      if (
        parts.length === 3 &&
        ['rewind', 'restart', 'suspend', 'resume'].includes(parts[2]) &&
        method === 'POST'
      ) {
        sendJson(res, 501, { message: `${parts[2]}: not implemented by the local Durable host` });
        return;
      }
    }
    if (parts[0] === 'entities' || parts[0] === 'orchestrators') {
      sendJson(res, 501, { message: `${method} ${parts[0]}: not implemented by the local Durable host` });
      return;
    }
    sendJson(res, 404, { message: `durable API: no route for ${method} /${rest}` });
  };

  const handleFunction = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const registry = options.registry();
    if (!routes || routesOf !== registry) {
      routes = buildRoutes(registry);
      routesOf = registry;
    }
    const relative = url.pathname.slice(prefix.length) || '/';
    const method = (req.method ?? 'GET').toUpperCase();
    let methodMismatch = false;
    for (const route of routes) {
      const params = matchRoute(route, relative);
      if (!params) continue;
      if (!route.methods.includes(method)) {
        methodMismatch = true;
        continue;
      }
      if (route.authLevel !== 'anonymous' && !keyMatches(presentedKey(req, url), functionKey)) {
        sendJson(res, 401, {
          error: 'Unauthorized: a valid function key is required (x-functions-key or ?code=)',
        });
        return;
      }
      const body = await readBody(req);
      const raw: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (v !== undefined) raw[k] = Array.isArray(v) ? v.join(', ') : v;
      }
      // As App Service authentication's front end: the client's principal headers are dropped, the session's set.
      const headers = platformHeaders(raw, options.devAuthSecret ?? '', Date.now());
      const query: Record<string, string> = {};
      for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
      const http: RpcHttpData = {
        method,
        url: `http://${req.headers.host ?? host}${req.url ?? '/'}`,
        headers,
        query,
        params,
        body: { bytes: body },
      };
      let response: RpcInvocationResponse;
      try {
        response = await invokeRegistered(registry, route.fn, {
          inputData: [
            { name: route.triggerName, data: { http } },
            ...extraInputsFor(route.fn, durableClientPayload),
          ],
        });
      } catch (err) {
        logError(
          `http ${method} ${url.pathname}: function '${route.fn.metadata.name}' failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        );
        sendJson(res, 500, { error: `Function '${route.fn.metadata.name}' failed` });
        return;
      }
      const out =
        response.returnValue?.http ?? response.outputData?.find((o) => o.data?.http)?.data?.http ?? undefined;
      if (!out) {
        res.writeHead(204).end();
        return;
      }
      const status = Number(out.statusCode ?? 200) || 200;
      const outHeaders: Record<string, string | string[]> = { ...(out.headers ?? {}) };
      const cookies = (out.cookies ?? []).map(cookieHeader);
      if (cookies.length > 0) outHeaders['set-cookie'] = cookies;
      const bytes = out.body?.bytes ? Buffer.from(out.body.bytes) : Buffer.from(out.body?.string ?? '');
      res.writeHead(status, outHeaders);
      res.end(method === 'HEAD' ? undefined : bytes);
      return;
    }
    if (methodMismatch) sendJson(res, 405, { error: `Method ${method} is not allowed on ${url.pathname}` });
    else sendJson(res, 404, { error: `No function matches ${method} ${url.pathname}` });
  };

  /** An unexpected failure: 400 for a path that does not decode, else 500 (logged). */
  const answerFailure = (err: unknown, method: string | undefined, url: URL, res: ReplyTarget): void => {
    if (err instanceof BadPathError) {
      if (!res.headersSent) sendJson(res, 400, { error: `Bad request: ${err.message}` });
      else res.end();
      return;
    }
    logError(
      `http ${method} ${url.pathname}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
    if (!res.headersSent) sendJson(res, 500, { error: 'Internal error of the local host' });
    else res.end();
  };

  /** The rpc channel in process: the same key check and handler as over HTTP, without the socket. */
  const dispatchRpc: RpcDispatcher = async (request) => {
    const reply = new CollectedReply();
    try {
      if (!keyMatches(request.key, functionKey)) {
        sendJson(reply, 401, { error: 'Unauthorized: the rpc channel needs the key as Basic credentials' });
      } else {
        await handleManagement(request, reply, request.url, RPC_BASE_PATH);
      }
    } catch (err) {
      answerFailure(err, request.method, request.url, reply);
    }
    return { status: reply.status, headers: reply.headers, body: reply.body };
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${host}`);
    const run = async (): Promise<void> => {
      if (url.pathname === DURABLE_BASE_PATH || url.pathname.startsWith(`${DURABLE_BASE_PATH}/`)) {
        // The management API can start, stop and delete anything: never without the key.
        if (!keyMatches(presentedKey(req, url), functionKey)) {
          sendJson(res, 401, { error: 'Unauthorized: a valid function key is required' });
          return;
        }
        await handleManagement(await managementRequest(req), res, url, DURABLE_BASE_PATH);
        return;
      }
      if (url.pathname.startsWith(`${RPC_BASE_PATH}/`)) {
        if (!keyMatches(rpcKey(req), functionKey)) {
          sendJson(res, 401, { error: 'Unauthorized: the rpc channel needs the key as Basic credentials' });
          return;
        }
        await handleManagement(await managementRequest(req), res, url, RPC_BASE_PATH);
        return;
      }
      if (url.pathname === prefix || url.pathname.startsWith(`${prefix}/`)) {
        await handleFunction(req, res, url);
        return;
      }
      if (options.devAuthSecret && (await handleDevAuth(req, res, url, options.devAuthSecret, Date.now)))
        return;
      sendJson(res, 404, { error: `Not found: ${url.pathname}` });
    };
    run().catch((err: unknown) => answerFailure(err, req.method, url, res));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://${host}:${port}`;
  const unregisterRpc =
    (options.rpcInProcess ?? rpcInProcess())
      ? registerInProcessRpc(origin, RPC_BASE_PATH, dispatchRpc)
      : undefined;

  return {
    url: origin,
    port,
    durableClientPayload,
    close: () =>
      new Promise<void>((resolve) => {
        unregisterRpc?.();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
