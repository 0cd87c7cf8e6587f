/** Builders for targets, builds and app settings: valid by default, override only what a test is about. */
import { TRAFFIC_PROVIDERS } from '../../src/adapters/traffic/factory';
import type { ActivityLimit } from '../../src/core/config/hostLimits';
import { loadConfig as loadWith, type AppConfig } from '../../src/core/config/load';
import type { BuildInfo, TargetConfig, TargetFreeze } from '../../src/core/domain';
import type { TrafficConfig } from '../../src/core/ports/traffic';

/** loadConfig with the app's traffic providers, as the composition root calls it. */
export function loadConfig(env: NodeJS.ProcessEnv, hostLimit?: ActivityLimit): AppConfig {
  return loadWith(env, TRAFFIC_PROVIDERS, hostLimit);
}

/** Subscription used by every builder ID. */
export const SUB = '11111111-2222-3333-4444-555555555555';

/** ARM IDs in the shapes configuration accepts. */
export const ids = {
  resourceGroup: (rg = 'rg-web'): string => `/subscriptions/${SUB}/resourceGroups/${rg}`,
  profile: (name = 'tm-web', rg = 'rg-web'): string =>
    `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Network/trafficManagerProfiles/${name}`,
  scaleSet: (name: string, rg = 'rg-web'): string =>
    `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`,
  vm: (name: string, rg = 'rg-web'): string =>
    `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`,
  originGroup: (name = 'og-web', profile = 'afd-web', rg = 'rg-web'): string =>
    `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Cdn/profiles/${profile}/originGroups/${name}`,
  appInsights: (name = 'appi-web', rg = 'rg-web'): string =>
    `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Insights/components/${name}`,
};

/** A Traffic Manager target's `traffic` as configuration outputs it. */
export function tmTraffic(profileId: string = ids.profile()): TrafficConfig {
  return { kind: 'trafficManager', profileId, resource: profileId };
}

/** Recursive partial; arrays and tuples are replaced whole, not merged. */
export type DeepPartial<T> = T extends unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep merge of plain objects; arrays and scalars in `overrides` replace; `undefined` removes the key. */
export function merge<T>(base: T, overrides: unknown): T {
  if (!isPlainObject(base) || !isPlainObject(overrides))
    return (overrides === undefined ? base : overrides) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete out[key];
    else out[key] = isPlainObject(value) && isPlainObject(out[key]) ? merge(out[key], value) : value;
  }
  return out as T;
}

/**
 * A target exactly as loadConfig returns it for `aTargetInput()` (all defaults applied): VM scale sets
 * `vmss-blue`/`vmss-green` behind profile `tm-web`.
 */
export function aTarget(overrides: DeepPartial<TargetConfig> = {}): TargetConfig {
  const base: TargetConfig = {
    name: 'web-prod',
    traffic: tmTraffic(),
    slots: [
      { name: 'blue', compute: { kind: 'vmss', resourceId: ids.scaleSet('vmss-blue') } },
      { name: 'green', compute: { kind: 'vmss', resourceId: ids.scaleSet('vmss-green') } },
    ],
    artifactUrlTemplate: 'https://artifacts.example.com/web/{number}/app.zip',
    deploy: { scriptKind: 'linux', parameters: {}, maxParallel: 5, maxFailures: 0, timeoutSeconds: 900 },
    health: {
      path: '/health',
      versionHeader: 'x-app-version',
      expectVersion: '{number}',
      attempts: 10,
      intervalSeconds: 5,
      timeoutSeconds: 5,
      instancePort: 80,
    },
    approval: { required: true, timeoutSeconds: 86400, minApprovers: 1, allowSelfApproval: false },
    bakeSeconds: 900,
    alerts: {
      resourceIds: [],
      ruleNames: [],
      minSeverity: 'Sev2',
      sources: ['metric', 'log', 'availability', 'smart-detection'],
      clockSkewSeconds: 60,
    },
    filters: {},
  };
  return merge(base, overrides);
}

/** The minimal JSON an operator writes for `aTarget()` (only required fields); overrides deep-merge. */
export function aTargetInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base = {
    name: 'web-prod',
    traffic: { kind: 'trafficManager', profileId: ids.profile() },
    slots: [
      { name: 'blue', compute: { kind: 'vmss', resourceId: ids.scaleSet('vmss-blue') } },
      { name: 'green', compute: { kind: 'vmss', resourceId: ids.scaleSet('vmss-green') } },
    ],
    artifactUrlTemplate: 'https://artifacts.example.com/web/{number}/app.zip',
    deploy: { scriptKind: 'linux' },
  };
  return merge(base, overrides);
}

/** A freeze by a signed-in carol@example.com, until noon, for an incident. */
export function aFreeze(overrides: Partial<TargetFreeze> = {}): TargetFreeze {
  return {
    by: 'carol@example.com',
    authenticated: true,
    at: '2024-05-01T10:02:00.000Z',
    since: '2024-05-01T10:02:00.000Z',
    reason: 'incident 4711: checkout errors',
    until: '2024-05-01T12:00:00.000Z',
    ...overrides,
  };
}

/** A succeeded build of pipeline `web-ci` on `refs/heads/main`. */
export function aBuild(overrides: Partial<BuildInfo> = {}): BuildInfo {
  return merge<BuildInfo>(
    {
      id: '1234',
      number: '20240501.3',
      pipeline: 'web-ci',
      pipelineId: '42',
      branch: 'refs/heads/main',
      commit: '6e12f6141917f66a2964af55952ee33914d2d91f',
      project: 'Fabrikam',
      requestedBy: 'Jack Fabrikam',
      url: 'https://dev.azure.com/fabrikam/web/_build/results?buildId=1234',
      source: 'build.complete',
    },
    overrides,
  );
}

/** Test values of the secrets (long enough to pass validation). */
export const TEST_SECRETS = {
  serviceHook: 'service-hook-secret-0123456789',
  signingKey: 'approval-signing-key-0123456789abcdef0123456789',
} as const;

/**
 * App settings that load: one target (`aTargetInput()`), both secrets, a public base URL. Pass `targets`
 * to replace RELEASE_TARGETS, and `overrides` (`undefined` deletes a setting).
 */
export function aValidEnv(
  overrides: Record<string, string | undefined> = {},
  targets: unknown[] = [aTargetInput()],
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    RELEASE_TARGETS: JSON.stringify(targets),
    SERVICE_HOOK_SECRET: TEST_SECRETS.serviceHook,
    APPROVAL_SIGNING_KEY: TEST_SECRETS.signingKey,
    PUBLIC_BASE_URL: 'https://release.example.com',
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** A loaded AppConfig: `targets` as operator JSON (default one `aTargetInput()`), settings overrides as in aValidEnv. */
export function aConfig(
  targets: unknown[] = [aTargetInput()],
  settings: Record<string, string | undefined> = {},
): AppConfig {
  return loadConfig(aValidEnv(settings, targets));
}
