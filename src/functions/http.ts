import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { parseCommonAlert } from '../core/payloads/alerts';
import { matchesFilters, parseDevOpsEvent } from '../core/payloads/devops';
import { deployParameterProblems } from '../core/activities/parameters';
import { checkLink, checkOpen, decide, type CheckedLink } from '../core/api/approvals';
import { durableReleaseClient, type ReleaseClient } from '../core/api/client';
import { auditRecord, listAlerts, recordAlert, routeAlert } from '../core/api/alerts';
import { resolveSlotResources } from '../core/alerts/resolve';
import { intakeMemoryOf, submitBuild } from '../core/api/builds';
import {
  currentFreeze,
  describeFreeze,
  FUNCTION_KEY_CALLER,
  parseFreezeFields,
  requestFreeze,
} from '../core/api/freeze';
import { requestRollback } from '../core/api/rollback';
import { requestCancel } from '../core/api/cancel';
import { requestRerun } from '../core/api/rerun';
import { listReleases, readRelease } from '../core/api/views';
import { releaseQueryOf } from '../core/api/query';
import { listTargets } from '../core/api/targets';
import { acknowledgedAlerts } from '../core/approval/alerts';
import { alertsNeedingAcknowledgement, describeAlerts } from '../core/orchestration/steps/awaitApproval';
import {
  APPROVAL_PAGE_HEADERS,
  renderApprovalPage,
  renderResultPage,
  type ApprovalPageView,
} from '../core/approval/page';
import { approverKey, checkDecider, identityBound } from '../core/approval/policy';
import { findTarget } from '../core/config';
import type { Identity, SlotCompute, TargetConfig } from '../core/domain';
import { HttpError, ValidationError } from '../core/errors';
import {
  DEFAULT_MAX_BODY_BYTES,
  basicAuthPassword,
  constantTimeEqual,
  crossSiteProblem,
  errorResponse,
  httpErrorFrom,
  identityFromHeaders,
  jsonResponse,
  readFormOrJson,
  readJsonBody,
} from '../core/http';
import { urgentFirst } from '../core/concurrency';
import { formatLine } from '../core/log';
import { HttpFunctions, RELEASE_ID_PATTERN } from '../core/names';
import type { AppDeps } from '../composition';

type Handler = (
  req: HttpRequest,
  client: ReleaseClient,
  deps: AppDeps,
  ctx: InvocationContext,
) => Promise<HttpResponseInit>;

/**
 * Wraps a handler: resolves the dependencies (a configuration error answers 503, which an operator can
 * fix, never 500 or 404, which put Azure DevOps subscriptions on probation), maps thrown errors to JSON.
 */
function handle(getDeps: () => AppDeps, name: string, fn: Handler, anonymous: boolean) {
  return async (req: HttpRequest, ctx: InvocationContext): Promise<HttpResponseInit> => {
    let deps: AppDeps;
    try {
      deps = getDeps();
    } catch (err) {
      const cause = err instanceof Error ? err.message : String(err);
      ctx.error(formatLine('error', `${name}: configuration invalid`, { data: { cause } }));
      // Callers without a key (approval links) learn that it is broken, not how it is configured.
      const detail = anonymous ? '; see its logs' : `: ${cause}`;
      return errorResponse(
        new HttpError(503, 'configuration-invalid', `the app's configuration is invalid${detail}`),
      );
    }
    try {
      return await fn(req, durableReleaseClient(df.getClient(ctx)), deps, ctx);
    } catch (err) {
      const httpError = httpErrorFrom(err);
      if (httpError.status >= 500) {
        deps.log.error(`${name} failed: ${err instanceof Error ? err.message : String(err)}`);
        // Durable storage or the host being unavailable is worth a retry by the caller.
        return errorResponse(new HttpError(503, 'unavailable', `${name} could not complete; retry later`));
      }
      return errorResponse(httpError);
    }
  };
}

/**
 * The `{id}` route value, refused (400) unless it is a generated release id: anything else (a `?`, `#`,
 * `/` or a lane's id) names no release and must never reach the Durable API.
 */
function releaseIdParam(req: HttpRequest): string {
  const id = req.params.id ?? '';
  if (!RELEASE_ID_PATTERN.test(id)) {
    throw new HttpError(
      400,
      'invalid-release-id',
      `release id must be <target>-b<build id> (${RELEASE_ID_PATTERN.source}), got ${JSON.stringify(id.slice(0, 120))}${id.length > 120 ? '…' : ''}`,
    );
  }
  return id;
}

function statusUrl(deps: AppDeps, id: string): string {
  return `${deps.config.publicBaseUrl}/api/releases/${encodeURIComponent(id)}`;
}

/** POST hooks/devops/{target}: Azure DevOps service hook (function key + basic auth secret). */
const devOpsHook: Handler = async (req, client, deps) => {
  // An alert being handled in this instance goes first: a flood of deliveries waits here, before any work.
  await urgentFirst.yieldToUrgent();
  const password = basicAuthPassword(req.headers.get('authorization'));
  if (password === undefined || !constantTimeEqual(password, deps.config.serviceHookSecret)) {
    return errorResponse(
      new HttpError(401, 'unauthorized', 'basic authentication with the service hook secret is required'),
      {
        'WWW-Authenticate': 'Basic realm="service-hooks"',
      },
    );
  }
  const name = req.params.target ?? '';
  const target = findTarget(deps.config, name);
  if (!target) {
    // 400, not 404: Azure DevOps disables subscriptions that keep getting 404s.
    const known = deps.config.targets.map((t) => t.name).join(', ');
    throw new HttpError(
      400,
      'unknown-target',
      `no release target '${name}' (configured: ${known || 'none'})`,
    );
  }
  const body = await readJsonBody(req, { maxBytes: DEFAULT_MAX_BODY_BYTES });
  const outcome = parseDevOpsEvent(body);
  if (outcome.kind === 'ignored') return jsonResponse(200, { ignored: outcome.reason });
  const filter = matchesFilters(outcome.build, target.filters);
  if (!filter.ok) return jsonResponse(200, { ignored: filter.reason });
  // The script would refuse these with exit 2 on every instance: refuse them here, before anything starts.
  const problems = deployParameterProblems(target, outcome.build);
  if (problems.length > 0) {
    throw new ValidationError(problems, `build ${outcome.build.id} for target ${target.name}`);
  }
  const result = await submitBuild(client, deps.clock, target, outcome.build, intakeMemoryOf(deps));
  deps.log.info(`build ${outcome.build.number} ${result.outcome}`, {
    releaseId: result.id,
    target: target.name,
  });
  return jsonResponse(202, {
    id: result.id,
    statusUrl: statusUrl(deps, result.id),
    ...(result.outcome === 'duplicate' ? { duplicate: true } : {}),
    ...(result.behind ? { behind: result.behind } : {}),
    ...(result.frozen
      ? result.outcome === 'duplicate'
        ? {
            // A redelivery may find its build queued or its release started before the freeze: the status says which.
            frozen: result.frozen,
            message: `${describeFreeze(target.name, result.frozen)}; this build was delivered before: its status says whether it is queued (it starts when the target is unfrozen) or its release started (a swap not yet made waits until then)`,
          }
        : {
            queued: true,
            frozen: result.frozen,
            message: `${describeFreeze(target.name, result.frozen)}; the build is queued and starts when the target is unfrozen (only the newest queued build is kept)`,
          }
      : {}),
  });
};

/** POST hooks/alerts: Azure Monitor common alert schema webhook (function key). Urgent: hook deliveries wait for it. */
const alertHook: Handler = (req, client, deps) => urgentFirst.run(() => routeAlertHook(req, client, deps));

const routeAlertHook = async (
  req: HttpRequest,
  client: ReleaseClient,
  deps: AppDeps,
): Promise<HttpResponseInit> => {
  const alert = parseCommonAlert(await readJsonBody(req, { maxBytes: DEFAULT_MAX_BODY_BYTES }));
  const receivedAt = deps.clock.now().toISOString();
  const list = (c: SlotCompute) => deps.activities.deployer.listInstances(c);
  const routing = await routeAlert(client, deps.clock, deps.config.targets, alert, {
    slotResources: (target) =>
      resolveSlotResources(target, list, (slot, err) =>
        deps.log.warn(`alert ${alert.alertId}: slot ${slot} could not be listed: ${String(err)}`, {
          target: target.name,
          slot,
        }),
      ),
  });
  try {
    await recordAlert(client, auditRecord(alert, receivedAt, routing));
  } catch (err) {
    // The audit log never changes what the alert did; the log line below still has the decision.
    deps.log.warn(
      `alert ${alert.alertId} not journaled: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  deps.log.info(`alert ${alert.rule} ${alert.monitorCondition}`, {
    data: { alertId: alert.alertId, targets: routing.targets },
  });
  return jsonResponse(200, { recorded: true, ...routing });
};

/** GET alerts?target=&limit=: recent alert deliveries and what the policy decided, newest first. */
const listAlertsHandler: Handler = async (req, client, deps) => {
  const limitText = req.query.get('limit');
  const limit = limitText === null ? 50 : Number(limitText);
  if (!/^\d+$/.test(limitText ?? '50') || !Number.isInteger(limit) || limit < 1 || limit > 500) {
    throw new HttpError(400, 'bad-limit', 'limit must be an integer from 1 to 500');
  }
  const target = req.query.get('target') ?? undefined;
  if (target !== undefined && !findTarget(deps.config, target)) {
    const known = deps.config.targets.map((t) => t.name).join(', ');
    throw new HttpError(400, 'unknown-target', `target must be a configured target (configured: ${known})`);
  }
  const alerts = await listAlerts(client, { ...(target ? { target } : {}), limit });
  return jsonResponse(200, { alerts });
};

function htmlResponse(status: number, body: string): HttpResponseInit {
  return { status, body, headers: { ...APPROVAL_PAGE_HEADERS } };
}

/** The signed-in caller, read only where the platform (or the local host) owns the principal headers. */
function callerOf(req: HttpRequest, deps: AppDeps): Identity | undefined {
  return identityFromHeaders(req.headers, deps.config.appServiceAuth);
}

/** Where App Service authentication signs someone in and sends them back to `path`. */
function signInUrl(path: string): string {
  return `/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent(path)}`;
}

/** GET approvals/{id}/{decision}?token=: shows the release and a form; never decides (link scanners GET links). */
const approvalPage: Handler = async (req, client, deps) => {
  const token = req.query.get('token');
  try {
    const id = releaseIdParam(req);
    const decisionParam = req.params.decision ?? '';
    const postUrl = `/api/approvals/${encodeURIComponent(id)}/${encodeURIComponent(decisionParam)}`;
    const link = await checkLink(
      client,
      deps.config.approvalSigningKey,
      deps.clock,
      id,
      decisionParam,
      token,
    );
    const target = findTarget(deps.config, link.release.target);
    const identity = callerOf(req, deps);
    const here = `${postUrl}?token=${encodeURIComponent(token!)}`;
    // Read where the POST reads it (the lane's status), so the page says what the POST will answer.
    const frozen = await currentFreeze(client, link.release.target);
    return htmlResponse(
      200,
      renderApprovalPage({
        release: link.release,
        decision: link.decision,
        token: token!,
        postUrl,
        ...(identity ? { principal: identity.name } : {}),
        ...(target ? { policy: pagePolicy(target, link, identity, deps, here) } : {}),
        ...(frozen ? { frozen } : {}),
      }),
    );
  } catch (err) {
    const e = httpErrorFrom(err);
    if (e.status >= 500) throw err;
    return htmlResponse(
      e.status,
      renderResultPage({ outcome: 'refused', title: 'This link cannot be used', message: e.message }),
    );
  }
};

/** What the approval page says about who may decide, for this caller. */
function pagePolicy(
  target: TargetConfig,
  link: CheckedLink,
  identity: Identity | undefined,
  deps: AppDeps,
  here: string,
): ApprovalPageView['policy'] {
  const check = checkDecider(
    target,
    link.release.build,
    link.decision,
    identity,
    identity ? undefined : 'someone',
    deps.config.appServiceAuth,
  );
  const voted = identity
    ? link.release.approval?.approvals?.find((v) => approverKey({ name: v.by }) === approverKey(identity))
    : undefined;
  return {
    identityRequired: identityBound(target.approval),
    ...(check.ok ? {} : { refusal: check.reason }),
    ...(voted && link.decision === 'approve' ? { alreadyApproved: voted.at } : {}),
    ...(deps.config.appServiceAuth ? { signInUrl: signInUrl(here) } : {}),
  };
}

/**
 * POST approvals/{id}/{decision}: decides, from the page's form or a script's JSON with the link's token, or,
 * on a target with `approval.approvers`, from a signed-in approver without a token (the console).
 */
const approvalDecide: Handler = async (req, client, deps) => {
  const wantsJson = (req.headers.get('content-type') ?? '').toLowerCase().includes('json');
  try {
    const id = releaseIdParam(req);
    const fields = await readFormOrJson(req, { maxBytes: 64 * 1024 });
    const token = fields.token ?? req.query.get('token');
    const identity = callerOf(req, deps);
    const decisionParam = req.params.decision ?? '';
    let link: CheckedLink;
    if (token) {
      link = await checkLink(client, deps.config.approvalSigningKey, deps.clock, id, decisionParam, token);
    } else {
      // Without a link only a signed-in approver decides; nothing about the release is told to anyone else.
      if (!identity) {
        throw new HttpError(
          401,
          'missing-token',
          'the approval link has no token (to decide without a link, sign in as an approver of the target with App Service authentication)',
        );
      }
      const crossSite = crossSiteProblem(req.headers, deps.config.publicBaseUrl);
      if (crossSite) throw new HttpError(403, 'cross-site', `${crossSite}: decide from the app's own pages`);
      link = await checkOpen(client, id, decisionParam, (release, decision) => {
        const target = findTarget(deps.config, release.target);
        if (!target || !identityBound(target.approval)) {
          throw new HttpError(
            401,
            'missing-token',
            `the approval link has no token (target '${release.target}' names no approvers, so only its links decide)`,
          );
        }
        const check = checkDecider(target, release.build, decision, identity, undefined, true);
        if (!check.ok) throw new HttpError(check.status, check.code, check.reason);
      });
    }
    const acknowledged = acknowledgedAlerts(link.release, link.decision, fields.acknowledgeAlerts);
    const { event, outcome, release } = await decide(
      client,
      deps.clock,
      findTarget(deps.config, link.release.target),
      link,
      {
        ...(identity ? { identity } : {}),
        ...(fields.approver ? { supplied: fields.approver } : {}),
        authEnabled: deps.config.appServiceAuth,
      },
      fields.comment,
      undefined,
      acknowledged,
    );
    const logFields = { releaseId: id, target: link.release.target, phase: 'awaiting-approval' };
    deps.log.info(`${event.decision} by ${event.approver}: ${outcome}`, logFields);
    if (outcome === 'reopened') {
      throw new HttpError(
        409,
        'alerts-started-firing',
        `release '${id}': alerts started firing since this page was shown (${describeAlerts(alertsNeedingAcknowledgement(release.alerts?.firing))}); new approval links were sent: decide on the new page`,
      );
    }
    if (outcome === 'lost') {
      const by = release.approval?.approver ? ` by ${release.approval.approver}` : '';
      throw new HttpError(
        409,
        'already-decided',
        `release '${id}' was decided first (${release.approval?.decision ?? release.status}${by}); this decision did not count`,
      );
    }
    const needed = outcome === 'counted' ? (release.approval?.needed ?? 0) : 0;
    if (wantsJson) {
      return jsonResponse(202, {
        id,
        decision: event.decision,
        approver: event.approver,
        authenticated: event.authenticated === true,
        ...(outcome === 'pending' ? { pending: true } : {}),
        ...(outcome === 'counted' ? { counted: true, needed } : {}),
        ...(outcome === 'held' && release.freeze ? { held: true, frozen: release.freeze } : {}),
        statusUrl: statusUrl(deps, id),
      });
    }
    const approved = event.decision === 'approve';
    const pending =
      outcome === 'pending' ? ' It is being recorded: check the release status in a moment.' : '';
    const held =
      outcome === 'held' && release.freeze
        ? ` The swap waits: ${describeFreeze(link.release.target, release.freeze)}.`
        : '';
    const message =
      outcome === 'counted'
        ? `Your approval of release ${id} is recorded (${event.approver}); ${needed} more approval(s) from other approvers are needed before traffic moves.`
        : (approved
            ? `Release ${id} is approved by ${release.approval?.approver ?? event.approver}: traffic moves to ${link.release.stagingSlot}.`
            : `Release ${id} is rejected by ${event.approver}: production stays on ${link.release.productionSlot}.`) +
          pending +
          held;
    return htmlResponse(
      200,
      renderResultPage({
        outcome: approved ? 'approved' : 'rejected',
        title: outcome === 'counted' ? 'Approval recorded' : approved ? 'Approved' : 'Rejected',
        message,
        release,
      }),
    );
  } catch (err) {
    const e = httpErrorFrom(err);
    if (e.status >= 500 || wantsJson) throw err;
    return htmlResponse(
      e.status,
      renderResultPage({ outcome: 'refused', title: 'Not recorded', message: e.message }),
    );
  }
};

/** GET releases?target=&status=&createdFrom=&createdTo=&limit=&continuationToken= */
const listReleasesHandler: Handler = async (req, client) => {
  const releases = await listReleases(client, releaseQueryOf(req.query));
  return jsonResponse(200, releases);
};

/** GET targets: each target's live slot, the build on each slot, the running release, freeze state. */
const listTargetsHandler: Handler = async (_req, client, deps) => {
  const targets = await listTargets(client, deps.clock, deps.activities.traffic, deps.config.targets);
  return jsonResponse(200, { targets });
};

/** GET releases/{id} */
const getRelease: Handler = async (req, client) => {
  const id = releaseIdParam(req);
  const view = await readRelease(client, id);
  if (!view) throw new HttpError(404, 'not-found', `no release '${id}'`);
  return jsonResponse(200, view);
};

/** POST releases/{id}/rollback {requestedBy?, reason?} */
const rollbackRelease: Handler = async (req, client, deps) => {
  const id = releaseIdParam(req);
  let fields: Record<string, string> = {};
  if (req.headers.get('content-type')) fields = await readFormOrJson(req, { maxBytes: 64 * 1024 });
  // Only a principal the platform signed in wins over the typed name; a client's own header never does.
  const by = callerOf(req, deps)?.name ?? fields.requestedBy?.trim() ?? 'api';
  // Urgent, as an alert is: hook deliveries in this instance wait until the request is handed over.
  const answer = await urgentFirst.run(() =>
    requestRollback(client, deps.clock, id, by.slice(0, 200), fields.reason?.slice(0, 1000)),
  );
  if (!answer.accepted) throw new HttpError(answer.status, answer.code, answer.message);
  deps.log.info(`rollback requested by ${by} (${answer.via})`, { releaseId: id });
  return jsonResponse(202, { id, rollback: answer.via, statusUrl: statusUrl(deps, id) });
};

/** Who asks (a signed-in principal wins over a typed `requestedBy`) and why (`reason`, required): for cancel and re-run. */
function askedBy(req: HttpRequest, deps: AppDeps, fields: Record<string, string>, what: string) {
  const reason = fields.reason?.trim();
  if (!reason) {
    throw new HttpError(
      400,
      'reason-required',
      `${what} needs a reason (JSON "reason"): it is recorded and notified`,
    );
  }
  const by = callerOf(req, deps)?.name ?? fields.requestedBy?.trim() ?? 'api';
  return { by: (by || 'api').slice(0, 200), reason: reason.slice(0, 1000) };
}

/** POST releases/{id}/cancel {reason, requestedBy?}: stops a release before its swap, or a queued build. */
const cancelRelease: Handler = async (req, client, deps) => {
  const id = releaseIdParam(req);
  const fields = await readFormOrJson(req, { maxBytes: 64 * 1024 });
  const { by, reason } = askedBy(req, deps, fields, 'a cancel');
  const answer = await requestCancel(client, deps.clock, id, by, reason);
  if (!answer.accepted) throw new HttpError(answer.status, answer.code, answer.message);
  deps.log.info(`cancel requested by ${by}: ${answer.outcome}`, {
    releaseId: id,
    target: answer.release.target,
    phase: answer.release.phase,
  });
  return jsonResponse(202, {
    id,
    cancel: answer.outcome,
    status: answer.release.status,
    ...(answer.release.cancellation ? { cancellation: answer.release.cancellation } : {}),
    statusUrl: statusUrl(deps, id),
  });
};

/** POST releases/{id}/rerun {reason, requestedBy?, force?}: the same build again, as release `<id>-r<n>`. */
const rerunRelease: Handler = async (req, client, deps) => {
  const id = releaseIdParam(req);
  const fields = await readFormOrJson(req, { maxBytes: 64 * 1024 });
  const { by, reason } = askedBy(req, deps, fields, 'a re-run');
  const forceText = fields.force;
  if (forceText !== undefined && forceText !== 'true' && forceText !== 'false') {
    throw new HttpError(
      400,
      'bad-force',
      `force must be true or false, got ${JSON.stringify(forceText.slice(0, 40))}`,
    );
  }
  const answer = await requestRerun(
    client,
    deps.clock,
    deps.config,
    id,
    { requestedBy: by, reason, force: forceText === 'true' },
    intakeMemoryOf(deps),
  );
  if (!answer.accepted) {
    throw new HttpError(answer.status, answer.code, answer.message);
  }
  deps.log.info(`re-run of ${id} requested by ${by}: ${answer.id}${answer.duplicate ? ' (duplicate)' : ''}`, {
    releaseId: answer.id,
  });
  return jsonResponse(202, {
    id: answer.id,
    rerunOf: id,
    statusUrl: statusUrl(deps, answer.id),
    ...(answer.duplicate ? { duplicate: true } : {}),
    ...(answer.behind ? { behind: answer.behind } : {}),
  });
};

/**
 * POST targets/{name}/{freeze|unfreeze} {reason, until?}: freezes a target (builds queue, no swap) or unfreezes it.
 * Freezing a frozen target updates its reason and end time; unfreezing one that is not frozen is a 200 no-op.
 */
const freezeTarget: Handler = async (req, client, deps) => {
  const name = req.params.name ?? '';
  const target = findTarget(deps.config, name);
  if (!target) {
    const known = deps.config.targets.map((t) => t.name).join(', ');
    throw new HttpError(
      404,
      'unknown-target',
      `no release target '${name.slice(0, 60)}' (configured: ${known || 'none'})`,
    );
  }
  const action = req.params.action;
  if (action !== 'freeze' && action !== 'unfreeze') {
    throw new HttpError(
      400,
      'bad-action',
      `action must be freeze or unfreeze, got ${JSON.stringify((action ?? '').slice(0, 40))}`,
    );
  }
  let body: Record<string, string> = {};
  if (req.headers.get('content-type')) body = await readFormOrJson(req, { maxBytes: 64 * 1024 });
  const fields = action === 'freeze' ? parseFreezeFields(body, deps.clock.now()) : undefined;
  const caller = callerOf(req, deps);
  const answer = await requestFreeze(client, deps.clock, target, action, caller, fields);
  // Redeliveries this instance answers from memory name the freeze as now, not as it was seen before.
  intakeMemoryOf(deps).forgetFreeze(target.name);
  const by = caller?.name ?? FUNCTION_KEY_CALLER;
  deps.log.info(
    `${action} by ${by}${fields ? `: ${fields.reason}${fields.until ? ` (until ${fields.until})` : ''}` : ''}${answer.changed ? '' : ' (not frozen: nothing to do)'}`,
    { target: target.name },
  );
  return jsonResponse(answer.pending ? 202 : 200, answer);
};

/** Registers every HTTP function. Handlers only parse, authenticate, call the core and answer. */
export function registerHttp(getDeps: () => AppDeps): void {
  const client = [df.input.durableClient()];
  const fn = (name: string, h: Handler, anonymous = false) => handle(getDeps, name, h, anonymous);
  app.http(HttpFunctions.DevOpsHook, {
    route: 'hooks/devops/{target}',
    methods: ['POST'],
    authLevel: 'function',
    extraInputs: client,
    handler: fn(HttpFunctions.DevOpsHook, devOpsHook),
  });
  app.http(HttpFunctions.AlertHook, {
    route: 'hooks/alerts',
    methods: ['POST'],
    authLevel: 'function',
    extraInputs: client,
    handler: fn(HttpFunctions.AlertHook, alertHook),
  });
  // The signed, single-use token is the credential of approval links: no function key in a mailed link.
  app.http(HttpFunctions.ApprovalPage, {
    route: 'approvals/{id}/{decision}',
    methods: ['GET'],
    authLevel: 'anonymous',
    extraInputs: client,
    handler: fn(HttpFunctions.ApprovalPage, approvalPage, true),
  });
  app.http(HttpFunctions.ApprovalDecide, {
    route: 'approvals/{id}/{decision}',
    methods: ['POST'],
    authLevel: 'anonymous',
    extraInputs: client,
    handler: fn(HttpFunctions.ApprovalDecide, approvalDecide, true),
  });
  app.http(HttpFunctions.ListAlerts, {
    route: 'alerts',
    methods: ['GET'],
    authLevel: 'function',
    extraInputs: client,
    handler: fn(HttpFunctions.ListAlerts, listAlertsHandler),
  });
  app.http(HttpFunctions.ListReleases, {
    route: 'releases',
    methods: ['GET'],
    authLevel: 'function',
    extraInputs: client,
    handler: fn(HttpFunctions.ListReleases, listReleasesHandler),
  });
  app.http(HttpFunctions.ListTargets, {
    route: 'targets',
    methods: ['GET'],
    authLevel: 'function',
    extraInputs: client,
    handler: fn(HttpFunctions.ListTargets, listTargetsHandler),
  });
  app.http(HttpFunctions.FreezeTarget, {
    route: 'targets/{name}/{action}',
    methods: ['POST'],
    authLevel: 'function',
    extraInputs: client,
    handler: fn(HttpFunctions.FreezeTarget, freezeTarget),
  });
  app.http(HttpFunctions.GetRelease, {
    route: 'releases/{id}',
    methods: ['GET'],
    authLevel: 'function',
    extraInputs: client,
    handler: fn(HttpFunctions.GetRelease, getRelease),
  });
  app.http(HttpFunctions.RollbackRelease, {
    route: 'releases/{id}/rollback',
    methods: ['POST'],
    authLevel: 'function',
    extraInputs: client,
    handler: fn(HttpFunctions.RollbackRelease, rollbackRelease),
  });
  app.http(HttpFunctions.CancelRelease, {
    route: 'releases/{id}/cancel',
    methods: ['POST'],
    authLevel: 'function',
    extraInputs: client,
    handler: fn(HttpFunctions.CancelRelease, cancelRelease),
  });
  app.http(HttpFunctions.RerunRelease, {
    route: 'releases/{id}/rerun',
    methods: ['POST'],
    authLevel: 'function',
    extraInputs: client,
    handler: fn(HttpFunctions.RerunRelease, rerunRelease),
  });
}
