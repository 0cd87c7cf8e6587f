/** Reads the app settings once into a deeply frozen, typed configuration, or one error listing every problem. */
import type { z } from 'zod';
import type { TargetConfig } from '../domain';
import { ValidationError, formatPath, type Problem } from '../errors';
import { parseJson } from '../http/json';
import { NOTIFY_KINDS, type NotifyKind } from '../ports/notifier';
import { activityLimit, type ActivityLimit } from './hostLimits';
import { hasLegacyTraffic, legacyTrafficHint, upgradeTargetSetting, withoutLegacyTraffic } from '../legacy';
import { targetsSchema } from './schema';
import type { TrafficKind } from './traffic';

/** The validated configuration of the app. */
export interface AppConfig {
  readonly targets: readonly TargetConfig[];
  readonly serviceHookSecret: string;
  readonly approvalSigningKey: string;
  /** Without a trailing slash. */
  readonly publicBaseUrl: string;
  /** Without a trailing slash. */
  readonly armEndpoint: string;
  readonly armScope: string;
  readonly azureClientId?: string;
  readonly notifyWebhookUrl?: string;
  /** The webhook's kind; unset: detected from the URL. */
  readonly notifyKind?: NotifyKind;
  /**
   * App Service authentication is on (`WEBSITE_AUTH_ENABLED=True`, set by the platform): only then do the
   * `X-MS-CLIENT-PRINCIPAL*` headers come from the platform, so only then are they read.
   */
  readonly appServiceAuth: boolean;
  /** Finished releases created longer ago than this many days are purged. */
  readonly retentionDays: number;
  /** Where the cutover observer asks when clients followed a traffic move; unset: not measured. */
  readonly cutoverObserverUrl?: string;
}

/** RETENTION_DAYS when unset. */
export const DEFAULT_RETENTION_DAYS = 90;

/** Recursively frozen view of a value. */
export type DeepReadonly<T> = T extends (infer U)[]
  ? ReadonlyArray<DeepReadonly<U>>
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** Freezes an object graph in place and returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/** App Service may hand over empty strings for cleared settings: treat them as unset. */
function setting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function parseUrl(value: string, allowHttp: boolean): URL | undefined {
  try {
    const url = new URL(value);
    if (url.protocol === 'https:' || (allowHttp && url.protocol === 'http:')) return url;
  } catch {
    // reported by the caller
  }
  return undefined;
}

function stripSlash(value: string): string {
  return value.replace(/\/+$/, '');
}

/** Maps zod issues to problems with `RELEASE_TARGETS[0].slots[1]...` paths; a missing value reads `required`. */
function zodProblems(error: z.ZodError, root: string): Problem[] {
  return error.issues.map((issue) => ({
    path: formatPath([root, ...issue.path]),
    message: issue.message,
  }));
}

const requiredWhenUndefined = (issue: { code: string; input?: unknown }): string | undefined =>
  issue.code === 'invalid_type' && issue.input === undefined ? 'required' : undefined;

/**
 * Validates the settings in `env` (normally `process.env`) and returns a deeply frozen AppConfig.
 * Throws one ValidationError listing every bad or missing setting and target field, with paths such as
 * `RELEASE_TARGETS[0].slots[1].compute.resourceId: required`. Secret values never appear in messages.
 * `traffic` are the providers a target's `traffic.kind` may name (the composition root passes them in).
 */
export function loadConfig(
  env: NodeJS.ProcessEnv,
  traffic: readonly TrafficKind[],
  hostLimit?: ActivityLimit,
): AppConfig {
  const problems: Problem[] = [];

  let targets: TargetConfig[] = [];
  const rawTargets = setting(env, 'RELEASE_TARGETS');
  if (rawTargets === undefined) {
    problems.push({ path: 'RELEASE_TARGETS', message: 'required' });
  } else {
    let json: unknown;
    try {
      json = parseJson(rawTargets);
    } catch (error) {
      problems.push({ path: 'RELEASE_TARGETS', message: (error as Error).message });
    }
    if (json !== undefined) {
      json = upgradeSettings(json, problems);
      const parsed = targetsSchema(traffic).safeParse(json, { error: requiredWhenUndefined });
      if (parsed.success) targets = parsed.data as TargetConfig[];
      else problems.push(...zodProblems(parsed.error, 'RELEASE_TARGETS'));
    }
  }

  // The host runs at most this many activities at once: a larger maxParallel would silently run slower.
  let limit: ActivityLimit | undefined = hostLimit;
  try {
    limit ??= activityLimit(env);
  } catch (error) {
    problems.push({ path: 'host', message: (error as Error).message });
  }
  if (limit !== undefined) {
    targets.forEach((t, i) => {
      if (t.deploy.maxParallel > limit.value) {
        problems.push({
          path: `RELEASE_TARGETS[${i}].deploy.maxParallel`,
          message: `target '${t.name}' asks for ${t.deploy.maxParallel} but the host runs at most ${limit.value} activities at once (${limit.source}); lower maxParallel or raise the host limit`,
        });
      }
    });
  }

  const serviceHookSecret = setting(env, 'SERVICE_HOOK_SECRET');
  if (serviceHookSecret === undefined) problems.push({ path: 'SERVICE_HOOK_SECRET', message: 'required' });
  else if (serviceHookSecret.length < 16)
    problems.push({ path: 'SERVICE_HOOK_SECRET', message: 'must be at least 16 characters' });

  const approvalSigningKey = setting(env, 'APPROVAL_SIGNING_KEY');
  if (approvalSigningKey === undefined) problems.push({ path: 'APPROVAL_SIGNING_KEY', message: 'required' });
  else if (approvalSigningKey.length < 32)
    problems.push({ path: 'APPROVAL_SIGNING_KEY', message: 'must be at least 32 characters' });

  let publicBaseUrl = setting(env, 'PUBLIC_BASE_URL');
  const hostName = setting(env, 'WEBSITE_HOSTNAME');
  if (publicBaseUrl === undefined && hostName !== undefined) publicBaseUrl = `https://${hostName}`;
  if (publicBaseUrl === undefined) {
    problems.push({ path: 'PUBLIC_BASE_URL', message: 'required when WEBSITE_HOSTNAME is not set' });
  } else if (!parseUrl(publicBaseUrl, true)) {
    problems.push({ path: 'PUBLIC_BASE_URL', message: 'must be an absolute http(s) URL' });
  }

  const armEndpoint = setting(env, 'ARM_ENDPOINT') ?? 'https://management.azure.com';
  // The SDK's bearer-token policy refuses plain http, so ARM must be https (also for the local stand-in).
  if (!parseUrl(armEndpoint, false))
    problems.push({ path: 'ARM_ENDPOINT', message: 'must be an absolute https URL' });
  const armScope = setting(env, 'ARM_SCOPE') ?? `${stripSlash(armEndpoint)}/.default`;

  const azureClientId = setting(env, 'AZURE_CLIENT_ID');
  const notifyWebhookUrl = setting(env, 'NOTIFY_WEBHOOK_URL');
  if (notifyWebhookUrl !== undefined && !parseUrl(notifyWebhookUrl, true)) {
    problems.push({ path: 'NOTIFY_WEBHOOK_URL', message: 'must be an absolute http(s) URL' });
  }

  const notifyKind = setting(env, 'NOTIFY_KIND')?.toLowerCase();
  if (notifyKind !== undefined && !NOTIFY_KINDS.includes(notifyKind as NotifyKind)) {
    problems.push({ path: 'NOTIFY_KIND', message: `must be one of ${NOTIFY_KINDS.join(', ')}` });
  }

  const cutoverObserverUrl = setting(env, 'CUTOVER_OBSERVER_URL');
  if (cutoverObserverUrl !== undefined && !parseUrl(cutoverObserverUrl, true)) {
    problems.push({ path: 'CUTOVER_OBSERVER_URL', message: 'must be an absolute http(s) URL' });
  }

  const retentionText = setting(env, 'RETENTION_DAYS');
  const retentionDays = retentionText === undefined ? DEFAULT_RETENTION_DAYS : Number(retentionText);
  if (
    retentionText !== undefined &&
    (!/^\d{1,4}$/.test(retentionText) || retentionDays < 1 || retentionDays > 3650)
  ) {
    problems.push({ path: 'RETENTION_DAYS', message: 'must be a whole number of days from 1 to 3650' });
  }

  if (problems.length > 0) throw new ValidationError(problems, 'configuration');

  const config: AppConfig = {
    targets,
    serviceHookSecret: serviceHookSecret as string,
    approvalSigningKey: approvalSigningKey as string,
    publicBaseUrl: stripSlash(publicBaseUrl as string),
    armEndpoint: stripSlash(armEndpoint),
    armScope,
    ...(azureClientId === undefined ? {} : { azureClientId }),
    ...(notifyWebhookUrl === undefined ? {} : { notifyWebhookUrl }),
    ...(notifyKind === undefined ? {} : { notifyKind: notifyKind as NotifyKind }),
    appServiceAuth: setting(env, 'WEBSITE_AUTH_ENABLED')?.toLowerCase() === 'true',
    retentionDays,
    ...(cutoverObserverUrl === undefined ? {} : { cutoverObserverUrl }),
  };
  return deepFreeze(config);
}

/**
 * Targets written before traffic providers had kinds still load: their legacy field becomes `traffic`
 * (README, "Release targets"). A target with both is refused, saying which to keep.
 */
function upgradeSettings(json: unknown, problems: Problem[]): unknown {
  if (!Array.isArray(json)) return json;
  return json.map((t: unknown, i) => {
    if (!hasLegacyTraffic(t)) return t;
    if (t.traffic === undefined) return upgradeTargetSetting(t);
    problems.push({
      path: `RELEASE_TARGETS[${i}]`,
      message: `has both traffic and the older top-level field it replaces; keep only "traffic": ${legacyTrafficHint(t)}`,
    });
    return withoutLegacyTraffic(t);
  });
}

let cached: AppConfig | undefined;

/**
 * The configuration from `process.env`, validated at first use and cached. A failure is not cached, so a
 * fixed setting takes effect on the next call; call it inside handlers, never while an entry file loads.
 */
export function getConfig(traffic: readonly TrafficKind[]): AppConfig {
  cached ??= loadConfig(process.env, traffic);
  return cached;
}

/** Forgets the cached configuration (tests). */
export function resetConfigCache(): void {
  cached = undefined;
}

/** The target of that name, or undefined. */
export function findTarget(config: AppConfig, name: string): TargetConfig | undefined {
  return config.targets.find((t) => t.name === name);
}
