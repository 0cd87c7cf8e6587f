import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { buildSampleAppPackage } from '../../local/fleet';
import { closeServer, listen, sendJson } from '../../local/fleet/http-util';

/** One token request the fake Instance Metadata Service received. */
export interface ImdsRequest {
  metadataHeader: string | undefined;
  resource: string | null;
  clientId: string | null;
}

/** A loopback stand-in for the VM's Instance Metadata Service managed-identity token endpoint. */
export interface FakeImds {
  /** What the deploy script's IMDS_ENDPOINT is set to (`http://127.0.0.1:<port>`). */
  endpoint: string;
  /** The access token it hands out (unique per fake, so a leak is recognisable). */
  token: string;
  requests: ImdsRequest[];
  close(): Promise<void>;
}

/** Which identities the fake VM has. */
export interface FakeImdsOptions {
  /** Client IDs of user-assigned identities; a request naming another one gets 400 "Identity not found". */
  clientIds?: string[];
  /** Whether a request without client_id is served (system-assigned identity). Default true. */
  systemAssigned?: boolean;
  /** Pretty-print the JSON answer (line breaks around fields), as some proxies and tools do. */
  pretty?: boolean;
  /**
   * Answers the first `count` valid token requests with HTTP `status` (e.g. 404 or 410 while the identity
   * is not yet available after boot, 429, 5xx); `count: Infinity` fails them all.
   */
  failFirst?: { count: number; status: number };
}

const STORAGE_RESOURCE = 'https://storage.azure.com/';

/** A JWT-shaped random token: base64url segments joined by dots, as Entra ID issues them. */
function fakeJwt(): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ typ: 'JWT', alg: 'RS256' })}.${part({ aud: STORAGE_RESOURCE })}.${randomBytes(32).toString('base64url')}`;
}

/**
 * Answers `GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=...[&client_id=...]` with
 * `Metadata: true` like IMDS: the body and error shapes follow the getIdentityToken example of
 * Azure/azure-rest-api-specs specification/imds/.../stable/2018-02-01 (error, error_description).
 */
export async function startFakeImds(options: FakeImdsOptions = {}): Promise<FakeImds> {
  const token = fakeJwt();
  const requests: ImdsRequest[] = [];
  const clientIds = options.clientIds ?? [];
  const systemAssigned = options.systemAssigned ?? true;
  let failuresLeft = options.failFirst?.count ?? 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://imds');
    const metadata = req.headers.metadata;
    const request: ImdsRequest = {
      metadataHeader: Array.isArray(metadata) ? metadata.join(',') : metadata,
      resource: url.searchParams.get('resource'),
      clientId: url.searchParams.get('client_id'),
    };
    requests.push(request);
    const error = (status: number, code: string, description: string) =>
      sendJson(res, status, { error: code, error_description: description });
    if (req.method !== 'GET' || url.pathname !== '/metadata/identity/oauth2/token') {
      return error(404, 'not_found', 'Not found');
    }
    if (request.metadataHeader !== 'true') {
      return error(400, 'invalid_request', 'Required metadata header not specified');
    }
    if (url.searchParams.get('api-version') !== '2018-02-01') {
      return error(400, 'invalid_request', 'Bad request: api-version');
    }
    if (request.resource !== STORAGE_RESOURCE) {
      return error(400, 'invalid_resource', `AADSTS500011: resource ${request.resource} not found`);
    }
    const clientId = request.clientId ?? (systemAssigned ? undefined : clientIds[0]);
    if (request.clientId !== null && !clientIds.includes(request.clientId)) {
      return error(400, 'invalid_request', 'Identity not found');
    }
    if (request.clientId === null && !systemAssigned && clientIds.length !== 1) {
      return error(
        400,
        'invalid_request',
        'Multiple user assigned identities exist, please specify the clientId',
      );
    }
    if (options.failFirst && failuresLeft > 0) {
      failuresLeft -= 1;
      return error(options.failFirst.status, 'unavailable', 'Identity not yet available, retry later');
    }
    const now = 1_760_000_000;
    const body = {
      access_token: token,
      client_id: clientId ?? '00000000-0000-0000-0000-0000000000aa',
      expires_in: '86399',
      expires_on: String(now + 86399),
      ext_expires_in: '86399',
      not_before: String(now),
      resource: STORAGE_RESOURCE,
      token_type: 'Bearer',
    };
    const text = options.pretty ? JSON.stringify(body, null, 2) + '\n' : JSON.stringify(body);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(text);
  });
  const port = await listen(server, '127.0.0.1', 0);
  return { endpoint: `http://127.0.0.1:${port}`, token, requests, close: () => closeServer(server) };
}

/** A loopback stand-in for a private Blob container that only accepts OAuth bearer tokens. */
export interface ProtectedBlobServer {
  /** URL of the package of one version: `.../releases/builds/<version>/webapp.tar.gz`. */
  url(version: string): string;
  /** Packages served with 200, per version. */
  downloads(version: string): number;
  /** Requests answered 403. */
  rejected(): number;
  close(): Promise<void>;
}

/**
 * Serves sample-app packages only to `Authorization: Bearer <token>` with an `x-ms-version` header
 * (bearer tokens need 2017-11-09 or later); anything else gets Blob storage's 403 AuthenticationFailed.
 */
export async function startProtectedBlobServer(token: string): Promise<ProtectedBlobServer> {
  const downloads = new Map<string, number>();
  let rejected = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://blob');
    const version = /^\/releases\/builds\/([A-Za-z0-9._-]+)\/webapp\.tar\.gz$/.exec(url.pathname)?.[1];
    const msVersion = req.headers['x-ms-version'];
    const authorized =
      req.headers.authorization === `Bearer ${token}` &&
      typeof msVersion === 'string' &&
      msVersion >= '2017-11-09';
    if (!authorized) {
      rejected += 1;
      const xml =
        '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code>' +
        '<Message>Server failed to authenticate the request.</Message></Error>';
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end(xml);
      return;
    }
    if (req.method !== 'GET' || !version) {
      res.writeHead(404, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="utf-8"?><Error><Code>BlobNotFound</Code></Error>');
      return;
    }
    const body = buildSampleAppPackage({ version, errorRate: 0 });
    downloads.set(version, (downloads.get(version) ?? 0) + 1);
    res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': body.length });
    res.end(body);
  });
  const port = await listen(server, '127.0.0.1', 0);
  return {
    url: (version) => `http://127.0.0.1:${port}/releases/builds/${encodeURIComponent(version)}/webapp.tar.gz`,
    downloads: (version) => downloads.get(version) ?? 0,
    rejected: () => rejected,
    close: () => closeServer(server),
  };
}
