/**
 * The whole app (HTTP functions, orchestrations, activities) on the local test host: real
 * `@azure/functions` + `durable-functions` registrations and replay, a manual clock, fakes behind every port.
 */
import { createTestHost, type TestHost } from '../../local/host';
import { MemoryStore } from '../../local/host/durable/memoryStore';
import type { VersioningSettings } from '../../local/host/versioning';
import type { FakeWorld } from '../../src/adapters/fake/world';
import { fakeAppDeps } from '../../src/adapters/fake/appDeps';
import type { AppConfig } from '../../src/core/config';
import type { ReleaseView } from '../../src/core/domain';
import type { Logger } from '../../src/core/log';
import type { CutoverObserver } from '../../src/core/ports/cutover';
import { registerApp } from '../../src/functions';
import { basicAuthHeader } from '../builders/http';
import { aBuildCompletePayload, aCommonAlertPayload } from '../builders/payloads';
import { aConfig, aTargetInput, ids } from '../builders/target';
import { aFakeWorld } from '../builders/world';

/** The Authorization header Azure DevOps sends with the configured service hook secret. */
export function basicAuthHeaderFor(config: AppConfig): string {
  return basicAuthHeader('azure-devops', config.serviceHookSecret);
}

/** A logger that keeps lines for assertions instead of printing them. */
export function memoryLogger(lines: string[] = []): Logger & { lines: string[] } {
  const push = (level: string) => (message: string, fields?: object) =>
    lines.push(JSON.stringify({ level, message, ...fields }));
  return { lines, info: push('info'), warn: push('warn'), error: push('error') };
}

/** A running app with its fake world. */
export interface AppHost {
  /** The current host (replaced by `restart`). */
  host: TestHost;
  world: FakeWorld;
  config: AppConfig;
  log: Logger & { lines: string[] };
  /** Delivers a build.complete hook for build `id` (number `1.0.<id>`); returns the HTTP answer. */
  hook(
    id: number,
    resource?: Record<string, unknown>,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  release(id: string): Promise<ReleaseView>;
  /** Follows an approval link of the release (approve or reject) with a JSON post. */
  decide(
    id: string,
    decision: 'approve' | 'reject',
    approver?: string,
    headers?: Record<string, string>,
  ): Promise<Response>;
  /** The links the notifier got for the release's current approval round (never in the status). */
  links(id: string): Promise<{ approveUrl: string; rejectUrl: string }>;
  /** Signs in on the host's development sign-in; returns the Cookie header value. */
  signIn(name: string, displayName?: string): Promise<string>;
  /** Posts a Fired common-alert webhook on the target's App Insights component. */
  alert(
    alertId: string,
    condition?: 'Fired' | 'Resolved',
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  /**
   * Stops the host and starts the app again on the same durable state and world, as a deployment of the next
   * version of the app does; `versioning` is the new host's (default: the repository's host.json).
   */
  restart(versioning?: VersioningSettings): Promise<void>;
  close(): Promise<void>;
}

/** Options of `startApp`. */
export interface StartAppOptions {
  /** The host's orchestration versioning (default: the repository's host.json). */
  versioning?: VersioningSettings;
  /** App settings over the test defaults (`WEBSITE_AUTH_ENABLED: undefined` turns App Service authentication off). */
  settings?: Record<string, string | undefined>;
  /** The cutover observer the activities ask (default none: every move is recorded not measured). */
  cutover?: CutoverObserver;
}

/** Target overrides (operator JSON) for the single target `web-prod`. */
export async function startApp(
  target: Record<string, unknown> = {},
  instances = 3,
  options: StartAppOptions = {},
): Promise<AppHost> {
  const world = aFakeWorld(instances);
  const config = aConfig(
    [
      aTargetInput({
        approval: { timeoutSeconds: 3600 },
        bakeSeconds: 600,
        health: { attempts: 3, intervalSeconds: 5 },
        alerts: { resourceIds: [ids.appInsights()] },
        ...target,
      }),
    ],
    // The test host removes client-sent principal headers and sets its sign-in's, as App Service does.
    { WEBSITE_AUTH_ENABLED: 'True', ...options.settings },
  );
  const log = memoryLogger();
  // The app's clock reads the host's manual clock, which exists only once the host has started.
  const ref: { host?: TestHost } = {};
  const clock = { now: () => new Date(ref.host!.clock.now()) };
  const base = fakeAppDeps(world, config, clock, log);
  const deps = options.cutover
    ? { ...base, activities: { ...base.activities, cutover: options.cutover } }
    : base;
  const store = new MemoryStore();
  const boot = (versioning: VersioningSettings | undefined, clock?: TestHost['clock']) =>
    createTestHost({
      register: () => registerApp(() => deps),
      store,
      ...(versioning ? { versioning } : {}),
      ...(clock ? { clock } : {}),
    });
  let host = await boot(options.versioning);
  ref.host = host;

  const json = async (res: Response) => ({
    status: res.status,
    body: (await res.json()) as Record<string, unknown>,
  });
  const app: AppHost = {
    host,
    world,
    config,
    log,
    async hook(id, resource = {}) {
      const res = await host.fetch('/api/hooks/devops/web-prod', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basicAuthHeaderFor(config) },
        body: JSON.stringify(aBuildCompletePayload({ id, buildNumber: `1.0.${id}`, ...resource })),
      });
      return json(res);
    },
    async release(id) {
      const res = await host.fetch(`/api/releases/${encodeURIComponent(id)}`);
      if (res.status !== 200) throw new Error(`GET release ${id}: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as ReleaseView;
    },
    async links(id) {
      const view = await app.release(id);
      // The notifier is the only one handed the live links of a round.
      const sent = world.notifications
        .filter((n) => n.kind === 'awaiting-approval' && n.release.id === id)
        .map((n) => n.release.approval)
        .reverse()
        .find((a) => a?.round === view.approval?.round);
      if (!sent?.approveUrl || !sent.rejectUrl) {
        throw new Error(
          `release ${id}: no links were notified for round ${view.approval?.round} (phase ${view.phase})`,
        );
      }
      return { approveUrl: sent.approveUrl, rejectUrl: sent.rejectUrl };
    },
    async decide(id, decision, approver = 'alice', headers = {}) {
      const links = await app.links(id);
      const url = new URL(decision === 'approve' ? links.approveUrl : links.rejectUrl);
      return host.fetch(url.pathname + url.search, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ approver, comment: `${decision} from test` }),
      });
    },
    async signIn(name, displayName) {
      const res = await fetch(`${host.url}/.auth/login/aad`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ name, ...(displayName ? { displayName } : {}) }).toString(),
        redirect: 'manual',
      });
      const cookie = res.headers.get('set-cookie')?.split(';')[0];
      if (res.status !== 302 || !cookie) throw new Error(`sign-in as ${name}: HTTP ${res.status}`);
      return cookie;
    },
    async alert(alertId, condition = 'Fired') {
      const res = await host.fetch('/api/hooks/alerts', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(
          aCommonAlertPayload({
            alertId: `/subscriptions/s/providers/Microsoft.AlertsManagement/alerts/${alertId}`,
            monitorCondition: condition,
            // Azure sends resource IDs lower-cased.
            alertTargetIDs: [ids.appInsights().toLowerCase()],
            firedDateTime: new Date(host.clock.now() - 30_000).toISOString(),
          }),
        ),
      });
      return json(res);
    },
    async restart(versioning) {
      const clock = host.clock;
      await host.close();
      host = await boot(versioning, clock);
      ref.host = host;
      app.host = host;
    },
    close: () => host.close(),
  };
  return app;
}
