import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { closeServer, listen, readJson, sendJson } from './http-util';
import { buildSampleAppPackage, VERSION_PATTERN } from './package';

/** Options of the local artifact server. */
export interface ArtifactServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Where builds marked bad are remembered across restarts; in memory only when absent. */
  dataDir?: string;
  /** Error rate of a bad build's `/` responses; default 0.5. */
  badErrorRate?: number;
}

/** The running artifact server. */
export interface ArtifactServer {
  /** `http://host:port/artifacts`: the target's artifact URL template starts with it. */
  baseUrl: string;
  port: number;
  /** URL of the package of one build, in the `/artifacts/{pipeline}/{number}/app.tar.gz` layout. */
  url(pipeline: string, number: string): string;
  /** Marks a build bad (its `/` answers `errorRate` of requests with 500) or good again. */
  setBad(number: string, bad: boolean, errorRate?: number): void;
  /** How many package downloads were served (GET with 200), per version or in total. */
  downloads(version?: string): number;
  close(): Promise<void>;
}

/**
 * Which build a package path names: `?version=` when given, else the folder holding the file
 * (`/artifacts/{pipeline}/{number}/app.tar.gz`), else the file name (`/artifacts/{number}.tar.gz`).
 */
export function versionFromPath(pathname: string, query: URLSearchParams): string | undefined {
  if (!pathname.startsWith('/artifacts/') || !pathname.endsWith('.tar.gz')) return undefined;
  const explicit = query.get('version');
  if (explicit) return explicit;
  const segments = pathname
    .slice('/artifacts/'.length)
    .split('/')
    .filter(Boolean)
    .map((s) => decodeURIComponent(s));
  if (segments.length >= 2) return segments[segments.length - 2];
  return segments[0]?.slice(0, -'.tar.gz'.length);
}

/**
 * Serves a freshly built package of the sample app for any build asked for, its version being the build
 * number. A build is bad when marked through `POST /_control/bad-builds {"number", "errorRate"?}` (or
 * `setBad`) or when its number contains `bad`; a number containing `corrupt` gets bytes that are not a
 * tar.gz, and one containing `missing` gets 404 (both to exercise the deploy script's failure paths).
 */
export async function startArtifactServer(options: ArtifactServerOptions = {}): Promise<ArtifactServer> {
  const host = options.host ?? '127.0.0.1';
  const defaultRate = options.badErrorRate ?? 0.5;
  const stateFile = options.dataDir ? path.join(options.dataDir, 'bad-builds.json') : undefined;
  const bad = new Map<string, number>();
  if (stateFile && existsSync(stateFile)) {
    for (const [k, v] of Object.entries(
      JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, number>,
    )) {
      bad.set(k, v);
    }
  }
  const cache = new Map<string, Buffer>();
  const downloads = new Map<string, number>();

  const persist = () => {
    if (!stateFile) return;
    mkdirSync(path.dirname(stateFile), { recursive: true });
    writeFileSync(stateFile, JSON.stringify(Object.fromEntries(bad), null, 2));
  };
  const setBad = (number: string, isBad: boolean, errorRate = defaultRate) => {
    if (isBad) bad.set(number, Math.min(1, Math.max(0, errorRate)));
    else bad.delete(number);
    persist();
  };
  const errorRateOf = (version: string) =>
    bad.get(version) ?? (version.toLowerCase().includes('bad') ? defaultRate : 0);

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const handle = async () => {
      if (url.pathname === '/_control/bad-builds') {
        if (req.method === 'GET') return sendJson(res, 200, Object.fromEntries(bad));
        if (req.method === 'POST' || req.method === 'DELETE') {
          const body = (await readJson(req)) as { number?: unknown; errorRate?: unknown };
          if (typeof body.number !== 'string' && typeof body.number !== 'number') {
            return sendJson(res, 400, { error: 'bad-builds: body must be {"number": "<build number>"}' });
          }
          const rate = typeof body.errorRate === 'number' ? body.errorRate : defaultRate;
          setBad(String(body.number), req.method === 'POST', rate);
          return sendJson(res, 200, Object.fromEntries(bad));
        }
        return sendJson(res, 405, { error: 'bad-builds: use GET, POST or DELETE' });
      }
      if (url.pathname === '/_control/stats') {
        return sendJson(res, 200, { downloads: Object.fromEntries(downloads) });
      }
      const version = versionFromPath(url.pathname, url.searchParams);
      if (!version) return sendJson(res, 404, { error: `no artifact at ${url.pathname}` });
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'use GET' });
      if (!VERSION_PATTERN.test(version)) {
        return sendJson(res, 400, { error: `artifact: '${version}' is not a usable version` });
      }
      if (version.toLowerCase().includes('missing')) {
        return sendJson(res, 404, { error: `artifact: build ${version} has no package` });
      }
      const errorRate = errorRateOf(version);
      const key = `${version}|${errorRate}`;
      let body = cache.get(key);
      if (!body) {
        body = version.toLowerCase().includes('corrupt')
          ? Buffer.from('this is not a gzip archive\n'.repeat(20))
          : buildSampleAppPackage({ version, errorRate });
        cache.set(key, body);
      }
      res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': body.length });
      if (req.method === 'HEAD') return res.end();
      downloads.set(version, (downloads.get(version) ?? 0) + 1);
      res.end(body);
    };
    handle().catch((err: Error) => sendJson(res, 400, { error: `artifact server: ${err.message}` }));
  });

  const port = await listen(server, host, options.port ?? 0);
  const baseUrl = `http://${host}:${port}/artifacts`;
  return {
    baseUrl,
    port,
    url: (pipeline, number) =>
      `${baseUrl}/${encodeURIComponent(pipeline)}/${encodeURIComponent(number)}/app.tar.gz`,
    setBad,
    downloads: (version) =>
      version === undefined
        ? [...downloads.values()].reduce((a, b) => a + b, 0)
        : (downloads.get(version) ?? 0),
    close: () => closeServer(server),
  };
}
