/**
 * The one place the core reads what was written before traffic providers had kinds (app 0.1): a target, a lane's
 * last success, a lane report and a swap input then named their Traffic Manager profile `profileId`. Such values
 * live on in Durable histories, lane states and app settings; each is upgraded here where it enters the core
 * (an orchestration's input and events, an activity's input, the settings), so nothing else in src/core names a
 * provider. Pure and idempotent, so replays see the same values. The provider fence test allows this file only.
 */
import type { TrafficConfig } from './ports/traffic';

/** The field and the provider of the shape before kinds. */
const LEGACY_FIELD = 'profileId';
const LEGACY_KIND = 'trafficManager';

/** The traffic configuration a legacy `profileId` meant (what that provider's schema outputs for it). */
export function legacyTraffic(profileId: string): TrafficConfig {
  return { kind: LEGACY_KIND, profileId, resource: profileId };
}

/** Whether `value` still has the legacy field (a setting written the old way). */
export function hasLegacyTraffic(value: unknown): value is Record<string, unknown> {
  return isObject(value) && value[LEGACY_FIELD] !== undefined;
}

/** `value` without the legacy field (reported already, so the schema does not report it again). */
export function withoutLegacyTraffic(value: Record<string, unknown>): Record<string, unknown> {
  const { [LEGACY_FIELD]: _legacy, ...rest } = value;
  return rest;
}

/** How a target written the old way is written now: `{"kind":"trafficManager","profileId":"..."}`. */
export function legacyTrafficHint(value: Record<string, unknown>): string {
  return JSON.stringify({ kind: LEGACY_KIND, [LEGACY_FIELD]: value[LEGACY_FIELD] });
}

/** Moves a setting's legacy field into `traffic` (the settings' shape before kinds still loads). */
export function upgradeTargetSetting(value: Record<string, unknown>): Record<string, unknown> {
  const { [LEGACY_FIELD]: profileId, ...rest } = value;
  return { ...rest, traffic: { kind: LEGACY_KIND, [LEGACY_FIELD]: profileId } };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `value` with every object that has a string `profileId`, no `traffic` and no `kind` (a traffic configuration
 * of today has one) given the `traffic` it meant instead
 * (targets, lane reports, last successes, swap inputs, at any depth). Values without one come back as they are
 * (the same object), so upgrading new values costs a walk and no copy.
 */
export function upgradeLegacy<T>(value: T): T {
  return walk(value) as T;
}

function walk(value: unknown): unknown {
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((v) => {
      const w = walk(v);
      changed ||= w !== v;
      return w;
    });
    return changed ? out : value;
  }
  if (!isObject(value)) return value;
  let out: Record<string, unknown> | undefined;
  for (const [key, v] of Object.entries(value)) {
    const w = walk(v);
    if (w !== v) (out ??= { ...value })[key] = w;
  }
  const base = out ?? value;
  // A traffic configuration of today (it has a `kind`) also carries the field: it is not a legacy holder.
  if (typeof base[LEGACY_FIELD] === 'string' && base.traffic === undefined && base.kind === undefined) {
    const { [LEGACY_FIELD]: profileId, ...rest } = base;
    return { ...rest, traffic: legacyTraffic(profileId as string) };
  }
  return base;
}
