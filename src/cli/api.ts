/**
 * The CLI's HTTP client for the app's API. Credentials travel in headers only (`x-functions-key`, `Authorization:
 * Bearer`, the App Service session cookie), never in a URL, so no error message, log or process list shows them.
 */
import type { ReleaseView } from '../core/domain';

/** Where the API is and how to authenticate to it. */
export interface ApiOptions {
  /** The app's base URL, e.g. `https://func-release.azurewebsites.net` (no `/api`). */
  baseUrl: string;
  /** A function key (App keys): reads releases and asks for rollbacks. */
  functionKey?: string;
  /** An Entra ID access token for the app (App Service authentication): the identity approvals need. */
  bearerToken?: string;
  /**
   * An App Service authentication session (the `AppServiceAuthSession` cookie's value): from a browser's sign-in
   * on Azure, or the local host's development sign-in (`devSignIn`).
   */
  sessionCookie?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** The cookie App Service authentication (and the local host's stand-in) keeps a signed-in session in. */
export const SESSION_COOKIE = 'AppServiceAuthSession';

/** An API call that failed: HTTP status and the app's error code when it answered, else a network cause. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Worth another try while watching: the app or its storage is briefly unavailable, or unreachable. */
  get transient(): boolean {
    return this.status === undefined || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

/** The calls the CLI makes. */
export interface Api {
  listReleases(query: {
    target?: string;
    status?: string;
    limit?: number;
    continuationToken?: string;
  }): Promise<{ releases: ReleaseView[]; continuationToken?: string }>;
  getRelease(id: string): Promise<ReleaseView>;
  decide(
    id: string,
    decision: 'approve' | 'reject',
    body: Record<string, unknown>,
  ): Promise<Record<string, unknown>>;
  rollback(id: string, body: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Freezes (`{reason, until?}`) or unfreezes a target. */
  freeze(
    target: string,
    action: 'freeze' | 'unfreeze',
    body?: Record<string, unknown>,
  ): Promise<Record<string, unknown>>;
}

/** A client over `fetch`; every failure is an ApiError naming the call, the status and the app's message. */
export function createApi(options: ApiOptions): Api {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const headers = (json: boolean): Record<string, string> => ({
    accept: 'application/json',
    ...(json ? { 'content-type': 'application/json' } : {}),
    ...(options.functionKey ? { 'x-functions-key': options.functionKey } : {}),
    ...(options.bearerToken ? { authorization: `Bearer ${options.bearerToken}` } : {}),
    ...(options.sessionCookie ? { cookie: `${SESSION_COOKIE}=${options.sessionCookie}` } : {}),
  });
  const call = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const what = `${method} ${path.split('?')[0]}`;
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method,
        headers: headers(body !== undefined),
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
    } catch (err) {
      const cause =
        err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      throw new ApiError(`${what}: cannot reach ${base}: ${cause}`);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      const code = typeof error?.code === 'string' ? error.code : undefined;
      const message =
        typeof error?.message === 'string'
          ? error.message
          : res.status === 401
            ? 'not authorized: set RELEASE_FUNCTION_KEY (or RELEASE_TOKEN) for this app'
            : text.trim().slice(0, 200) || res.statusText;
      throw new ApiError(
        `${what}: HTTP ${res.status}${code ? ` ${code}` : ''}: ${message}`,
        res.status,
        code,
      );
    }
    if (parsed === undefined)
      throw new ApiError(`${what}: HTTP ${res.status} but the answer is not JSON`, res.status);
    return parsed as T;
  };
  const releasePath = (id: string) => `/api/releases/${encodeURIComponent(id)}`;
  return {
    async listReleases(query) {
      const params = new URLSearchParams();
      if (query.target) params.set('target', query.target);
      if (query.status) params.set('status', query.status);
      if (query.limit !== undefined) params.set('limit', String(query.limit));
      if (query.continuationToken) params.set('continuationToken', query.continuationToken);
      const qs = params.toString();
      const body = await call<{ releases?: ReleaseView[]; continuationToken?: unknown }>(
        'GET',
        `/api/releases${qs ? `?${qs}` : ''}`,
      );
      return {
        releases: body.releases ?? [],
        ...(typeof body.continuationToken === 'string' ? { continuationToken: body.continuationToken } : {}),
      };
    },
    getRelease: (id) => call<ReleaseView>('GET', releasePath(id)),
    decide: (id, decision, body) =>
      call('POST', `/api/approvals/${encodeURIComponent(id)}/${decision}`, body),
    rollback: (id, body) => call('POST', `${releasePath(id)}/rollback`, body),
    freeze: (target, action, body) =>
      call('POST', `/api/targets/${encodeURIComponent(target)}/${action}`, body ?? {}),
  };
}

/**
 * Signs in as `name` on the local host's development sign-in (`POST /.auth/login/aad`, the stand-in for App
 * Service authentication, where anyone can be anyone) and returns the session cookie's value. Azure's
 * `/.auth/login/aad` takes no name (it wants a provider token), so there this fails and says what to use.
 */
export async function devSignIn(
  baseUrl: string,
  name: string,
  options: { fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<string> {
  const base = baseUrl.replace(/\/+$/, '');
  const what = `sign-in as ${name} at ${base}`;
  const azure =
    "the development sign-in is the local host's only; on Azure set RELEASE_TOKEN (an Entra ID access token for the app) or RELEASE_SESSION";
  let res: Response;
  try {
    res = await (options.fetch ?? fetch)(`${base}/.auth/login/aad`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name }).toString(),
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
  } catch (err) {
    const cause =
      err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
    throw new ApiError(`${what}: cannot reach ${base}: ${cause}`);
  }
  const body = res.status === 302 ? '' : (await res.text()).trim().slice(0, 200);
  const cookies = res.headers.getSetCookie?.() ?? [res.headers.get('set-cookie') ?? ''];
  const value = cookies
    .map((c) => c.split(';')[0]!.trim())
    .find((c) => c.startsWith(`${SESSION_COOKIE}=`))
    ?.slice(SESSION_COOKIE.length + 1);
  if (res.status !== 302 || !value) {
    throw new ApiError(`${what}: HTTP ${res.status}${body ? `: ${body}` : ''} (${azure})`, res.status);
  }
  return value;
}
