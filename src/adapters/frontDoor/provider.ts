/**
 * The Front Door provider as the traffic factory lists it: the schema case of `traffic: { kind: "frontDoor",
 * originGroupId, origins? }` (the origin group being the resource; `origins` maps each slot to its origin when
 * their names differ) and the router over the origin group's switch.
 */
import { z } from 'zod';
import { RESOURCE_GROUP_ID } from '../../core/config/arm';
import { armResourceId } from '../../core/config/traffic';
import { StepError } from '../../core/errors';
import type { TrafficConfig } from '../../core/ports/traffic';
import type { TrafficProvider } from '../traffic/factory';
import { bindSwitch } from '../traffic/router';
import { createFrontDoorSwitch } from '.';

/** The kind a target's `traffic` names. */
export const FRONT_DOOR_KIND = 'frontDoor';

/** A Front Door (Standard/Premium) origin group ID. */
export const ORIGIN_GROUP_ID_PATTERN = new RegExp(
  `${RESOURCE_GROUP_ID}/providers/Microsoft\\.Cdn/profiles/[^/]+/originGroups/[^/]+$`,
  'i',
);
export const ORIGIN_GROUP_ID_EXAMPLE =
  '/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Cdn/profiles/<profile>/originGroups/<name>';

/** `traffic` of a Front Door target, as configuration outputs it. */
export interface FrontDoorConfig extends TrafficConfig {
  readonly kind: typeof FRONT_DOOR_KIND;
  readonly originGroupId: string;
  /** The origin of each slot, by slot name; absent: each slot is the origin of its own name. */
  readonly origins?: Readonly<Record<string, string>>;
}

/** The schema case. */
export const frontDoorSchema = z
  .strictObject({
    kind: z.literal(FRONT_DOOR_KIND),
    originGroupId: armResourceId(ORIGIN_GROUP_ID_PATTERN, ORIGIN_GROUP_ID_EXAMPLE),
    origins: z.record(z.string(), z.string().trim().min(1, 'must not be empty')).optional(),
  })
  .transform((t): FrontDoorConfig => ({ ...t, resource: t.originGroupId }));

/** An `origins` map names every slot and nothing else, each origin once. */
function checkOrigins(traffic: unknown, slots: readonly string[]): { path: string[]; message: string }[] {
  const origins = (traffic as { origins?: unknown }).origins;
  if (typeof origins !== 'object' || origins === null || Array.isArray(origins)) return [];
  const map = origins as Record<string, unknown>;
  const lower = slots.map((s) => s.toLowerCase());
  const problems: { path: string[]; message: string }[] = [];
  for (const key of Object.keys(map)) {
    if (!lower.includes(key.toLowerCase())) {
      problems.push({
        path: ['origins', key],
        message: `'${key}' is not a slot of this target (slots: ${slots.join(', ')})`,
      });
    }
  }
  for (const slot of slots) {
    if (!Object.keys(map).some((k) => k.toLowerCase() === slot.toLowerCase())) {
      problems.push({
        path: ['origins'],
        message: `names no origin for slot '${slot}' (map every slot, or leave origins out to use the slot names)`,
      });
    }
  }
  const values = Object.values(map)
    .filter((o): o is string => typeof o === 'string')
    .map((o) => o.trim().toLowerCase());
  if (new Set(values).size !== values.length) {
    problems.push({
      path: ['origins'],
      message: 'each slot needs its own origin (two slots map to the same origin)',
    });
  }
  return problems;
}

/** The provider. */
export const frontDoorProvider: TrafficProvider = {
  kind: FRONT_DOOR_KIND,
  label: 'Front Door',
  schema: frontDoorSchema,
  checkSlots: checkOrigins,
  router(clients, traffic) {
    const { originGroupId, origins } = traffic;
    if (typeof originGroupId !== 'string') {
      throw new StepError({
        step: 'traffic',
        resource: traffic.resource,
        cause: 'no originGroupId',
        transient: false,
      });
    }
    const map =
      typeof origins === 'object' && origins !== null ? (origins as Record<string, string>) : undefined;
    return bindSwitch(
      createFrontDoorSwitch(clients, () => map),
      originGroupId,
      traffic,
    );
  },
};
