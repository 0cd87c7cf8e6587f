import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { intakeMemoryOf } from '../core/api/builds';
import { durableReleaseClient, type ReleaseClient } from '../core/api/client';
import { releaseQueryOf } from '../core/api/query';
import { listTargets } from '../core/api/targets';
import { listReleases, readRelease, type ReleaseQuery } from '../core/api/views';
import {
  parseConsoleAction,
  parseTargetAction,
  runConsoleAction,
  runTargetAction,
  type ConsoleAction,
  type TargetAction,
} from '../core/console/actions';
import { consoleIdentity, crossSiteActionProblem } from '../core/console/auth';
import {
  CONSOLE_HEADERS,
  CONSOLE_PATH,
  releasePath,
  renderConsoleMessage,
  renderDashboard,
  renderReleasePage,
  type ConsoleNotice,
} from '../core/console/page';
import { findTarget } from '../core/config';
import { HttpError } from '../core/errors';
import { httpErrorFrom, identityFromHeaders, readFormOrJson } from '../core/http';
import { formatLine } from '../core/log';
import { HttpFunctions, RELEASE_ID_PATTERN } from '../core/names';
import type { AppDeps } from '../composition';

type Page = (
  req: HttpRequest,
  client: ReleaseClient,
  deps: AppDeps,
  identity: string,
) => Promise<HttpResponseInit>;

function html(status: number, body: string, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, body, headers: { ...CONSOLE_HEADERS, ...headers } };
}

/** Where App Service authentication signs someone in and sends them back. */
function signInUrl(path: string): string {
  return `/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent(path)}`;
}

/**
 * Wraps a console handler: the caller must be a signed-in person (anonymous callers get 401 with where to sign
 * in; the function key is no credential here, so no page ever needs it), errors become HTML pages.
 */
function consolePage(getDeps: () => AppDeps, name: string, fn: Page) {
  return async (req: HttpRequest, ctx: InvocationContext): Promise<HttpResponseInit> => {
    let deps: AppDeps;
    try {
      deps = getDeps();
    } catch (err) {
      ctx.error(
        formatLine('error', `${name}: configuration invalid`, {
          data: { cause: err instanceof Error ? err.message : String(err) },
        }),
      );
      return html(
        503,
        renderConsoleMessage({
          title: 'Unavailable',
          message: "The app's configuration is invalid; see its logs.",
        }),
      );
    }
    const identity = consoleIdentity(req.headers, deps.config.appServiceAuth);
    if (!identity) {
      const here = new URL(req.url).pathname;
      return html(
        401,
        renderConsoleMessage({
          title: 'Sign-in required',
          message: deps.config.appServiceAuth
            ? 'The console shows releases and acts on them as a person: sign in first.'
            : 'The console needs App Service authentication (Entra ID) on this app, or the local stack’s development sign-in: it never uses the function key.',
          ...(deps.config.appServiceAuth ? { link: { href: signInUrl(here), label: 'Sign in' } } : {}),
        }),
      );
    }
    try {
      return await fn(req, durableReleaseClient(df.getClient(ctx)), deps, identity);
    } catch (err) {
      const e = httpErrorFrom(err);
      if (e.status >= 500) {
        deps.log.error(`${name} failed: ${err instanceof Error ? err.message : String(err)}`);
        return html(
          503,
          renderConsoleMessage({
            title: 'Unavailable',
            message: 'The console could not load this; retry later.',
            identity,
          }),
        );
      }
      return html(
        e.status,
        renderConsoleMessage({
          title: 'Not possible',
          message: e.message,
          identity,
          link: { href: CONSOLE_PATH, label: 'Back to the console' },
        }),
      );
    }
  };
}

function releaseIdParam(req: HttpRequest): string {
  const id = req.params.id ?? '';
  if (!RELEASE_ID_PATTERN.test(id)) {
    throw new HttpError(
      400,
      'invalid-release-id',
      `release id must be <target>-b<build id>, got ${JSON.stringify(id.slice(0, 120))}`,
    );
  }
  return id;
}

/** Releases per dashboard page unless the filters say otherwise. */
const CONSOLE_PAGE = 25;

/**
 * The dashboard's query: the list API's own parameters and checks (`releaseQueryOf`), where the form's empty
 * fields ("All targets", "Any status", no date) mean no filter.
 */
function dashboardQuery(req: HttpRequest): ReleaseQuery {
  const params = {
    get: (name: string) => {
      const value = req.query.get(name) || null;
      // The form's date field names a day: "created to" that day includes all of it.
      return name === 'createdTo' && value !== null && /^\d{4}-\d{2}-\d{2}$/.test(value)
        ? `${value}T23:59:59.999Z`
        : value;
    },
  };
  const query = releaseQueryOf(params);
  return params.get('limit') === null ? { ...query, limit: CONSOLE_PAGE } : query;
}

/** The dashboard's own URL for a query (its filters, and a page's token). */
function dashboardUrl(q: ReleaseQuery, continuationToken?: string): string {
  const params = new URLSearchParams();
  if (q.target) params.set('target', q.target);
  if (q.status) params.set('status', q.status);
  if (q.from) params.set('createdFrom', q.from.toISOString());
  if (q.to) params.set('createdTo', q.to.toISOString());
  params.set('limit', String(q.limit));
  if (continuationToken) params.set('continuationToken', continuationToken);
  return `${CONSOLE_PATH}?${params.toString()}`;
}

/** GET console?target=&status=&createdFrom=&createdTo=&limit=&continuationToken=: targets and the release list. */
const dashboard: Page = async (req, client, deps, identity) => {
  const q = dashboardQuery(req);
  if (q.target !== undefined && !findTarget(deps.config, q.target)) {
    throw new HttpError(400, 'unknown-target', `no target '${q.target}'`);
  }
  const done = req.query.get('done');
  const notice: ConsoleNotice | undefined =
    done && Object.prototype.hasOwnProperty.call(TARGET_DONE, done)
      ? { kind: 'ok', text: TARGET_DONE[done as TargetAction] }
      : undefined;
  const [targets, page] = await Promise.all([
    listTargets(client, deps.clock, deps.activities.traffic, deps.config.targets),
    listReleases(client, q),
  ]);
  // Each target's provider by name, from its configured kind (the core names no provider).
  const kinds = new Map(deps.config.targets.map((t) => [t.name, t.traffic.kind]));
  return html(
    200,
    renderDashboard({
      identity,
      targets: targets.map((t) => {
        const kind = kinds.get(t.name);
        return kind ? { ...t, traffic: deps.trafficName(kind) } : t;
      }),
      releases: page.releases,
      filter: {
        ...(q.target ? { target: q.target } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.from ? { createdFrom: q.from.toISOString() } : {}),
        ...(q.to ? { createdTo: q.to.toISOString() } : {}),
        limit: q.limit,
      },
      ...(page.continuationToken ? { nextPage: dashboardUrl(q, page.continuationToken) } : {}),
      ...(q.continuationToken ? { firstPage: dashboardUrl(q) } : {}),
      self: dashboardUrl(q, q.continuationToken),
      ...(notice ? { notice } : {}),
    }),
  );
};

/** Fixed texts for the notice after an action (the redirect carries only the action's name). */
const DONE: Readonly<Record<ConsoleAction, string>> = Object.freeze({
  approve: 'Your approval was recorded.',
  reject: 'Your rejection was recorded.',
  rollback: 'Your rollback request was accepted.',
  cancel: 'Your cancel request was accepted: the release stops before its swap, production untouched.',
  rerun: 'This re-run was started at your request.',
});

/** Fixed texts for the dashboard's notice after a freeze form (the redirect carries only the action's name). */
const TARGET_DONE: Readonly<Record<TargetAction, string>> = Object.freeze({
  freeze: 'The target is frozen.',
  unfreeze: 'The target is unfrozen.',
});

/** POST console/targets/{name}/{freeze|unfreeze}: a freeze form of the dashboard; answers 303 back to it. */
const targetAction: Page = async (req, client, deps, identity) => {
  const action = parseTargetAction(req.params.action ?? '');
  const crossSite = crossSiteActionProblem(req.headers, deps.config.publicBaseUrl);
  if (crossSite) throw new HttpError(403, 'cross-site', `${crossSite}: act from the console's own pages`);
  const fields = await readFormOrJson(req, { maxBytes: 64 * 1024 });
  const principal = identityFromHeaders(req.headers, deps.config.appServiceAuth) ?? {
    name: identity,
    idp: 'aad',
  };
  const target = req.params.name ?? '';
  const notice = await runTargetAction({
    client,
    clock: deps.clock,
    config: deps.config,
    target,
    action,
    identity: principal,
    fields,
  });
  // Redeliveries this instance answers from memory name the freeze as now, not as it was seen before.
  intakeMemoryOf(deps).forgetFreeze(target);
  deps.log.info(`console ${action} by ${identity}: ${notice.text}`, { target });
  return { status: 303, headers: { ...CONSOLE_HEADERS, Location: `${CONSOLE_PATH}?done=${action}` } };
};

/** GET console/releases/{id}: one release, live. */
const releasePage: Page = async (req, client, deps, identity) => {
  const id = releaseIdParam(req);
  const release = await readRelease(client, id);
  if (!release) throw new HttpError(404, 'not-found', `no release '${id}'`);
  const done = req.query.get('done');
  const notice: ConsoleNotice | undefined =
    done && Object.prototype.hasOwnProperty.call(DONE, done)
      ? { kind: 'ok', text: DONE[done as ConsoleAction] }
      : undefined;
  return html(
    200,
    renderReleasePage({ identity, release, now: deps.clock.now(), ...(notice ? { notice } : {}) }),
  );
};

/** POST console/releases/{id}/{action}: a form of the release page; answers 303 back to it. */
const releaseAction: Page = async (req, client, deps, identity) => {
  const id = releaseIdParam(req);
  const action = parseConsoleAction(req.params.action ?? '');
  const crossSite = crossSiteActionProblem(req.headers, deps.config.publicBaseUrl);
  if (crossSite) throw new HttpError(403, 'cross-site', `${crossSite}: act from the console's own pages`);
  const fields = await readFormOrJson(req, { maxBytes: 64 * 1024 });
  const principal = identityFromHeaders(req.headers, deps.config.appServiceAuth);
  try {
    const notice = await runConsoleAction({
      client,
      clock: deps.clock,
      config: deps.config,
      id,
      action,
      identity,
      ...(principal ? { principal } : {}),
      fields,
    });
    deps.log.info(`console ${action} by ${identity}: ${notice.text}`, { releaseId: id });
    // A re-run goes on in its new release: the page shown next is that one's.
    const next = notice.goTo ?? id;
    return { status: 303, headers: { ...CONSOLE_HEADERS, Location: `${releasePath(next)}?done=${action}` } };
  } catch (err) {
    const e = httpErrorFrom(err);
    if (e.status >= 500) throw err;
    deps.log.info(`console ${action} by ${identity} refused: ${e.message}`, { releaseId: id });
    const release = await readRelease(client, id);
    if (!release) throw err;
    return html(
      e.status,
      renderReleasePage({
        identity,
        release,
        now: deps.clock.now(),
        notice: { kind: 'error', text: e.message },
      }),
    );
  }
};

/**
 * Registers the console. `anonymous` at the Functions level because a browser cannot hold the function key
 * (and must never be given it): every console route authenticates the signed-in person itself.
 */
export function registerConsole(getDeps: () => AppDeps): void {
  const client = [df.input.durableClient()];
  app.http(HttpFunctions.ConsoleDashboard, {
    route: 'console',
    methods: ['GET'],
    authLevel: 'anonymous',
    extraInputs: client,
    handler: consolePage(getDeps, HttpFunctions.ConsoleDashboard, dashboard),
  });
  app.http(HttpFunctions.ConsoleRelease, {
    route: 'console/releases/{id}',
    methods: ['GET'],
    authLevel: 'anonymous',
    extraInputs: client,
    handler: consolePage(getDeps, HttpFunctions.ConsoleRelease, releasePage),
  });
  app.http(HttpFunctions.ConsoleTargetAction, {
    route: 'console/targets/{name}/{action}',
    methods: ['POST'],
    authLevel: 'anonymous',
    extraInputs: client,
    handler: consolePage(getDeps, HttpFunctions.ConsoleTargetAction, targetAction),
  });
  app.http(HttpFunctions.ConsoleAction, {
    route: 'console/releases/{id}/{action}',
    methods: ['POST'],
    authLevel: 'anonymous',
    extraInputs: client,
    handler: consolePage(getDeps, HttpFunctions.ConsoleAction, releaseAction),
  });
}
