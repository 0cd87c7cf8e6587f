/**
 * Freezing a target: while frozen its lane starts no release (builds queue, newest kept) and a release that is
 * ready to swap waits; safety actions (alert and manual rollbacks) still run. The lane keeps the freeze, so it
 * survives restarts, and ends it by itself at its end time.
 */
import { randomUUID } from 'node:crypto';
import type { EndedFreeze, Identity, TargetConfig, TargetFreeze } from '../domain';
import { HttpError } from '../errors';
import { Events, InstanceIds, Orchestrations } from '../names';
import type { FreezeRequest, LaneState, LaneStatus } from '../orchestration/contracts';
import type { Clock } from '../ports/clock';
import { ACTIVE_STATES, type ReleaseClient } from './client';

/** Longest reason kept. */
export const MAX_FREEZE_REASON = 500;

/** Furthest a freeze's end time may be: a longer freeze is set again, or left open-ended and unfrozen by hand. */
export const MAX_FREEZE_DAYS = 30;

/** How long the API waits for the lane to apply a request before answering 202 (queue polling on Azure is 2 s). */
export const FREEZE_WAIT_MS = 10_000;

/** Who a request comes from when no identity was signed in (the function key names nobody). */
export const FUNCTION_KEY_CALLER = 'function key';

/** A date-time with a zone (`Z` or an offset); seconds and fractions optional. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

// Control characters would garble logs, notifications and the console: refused.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A freeze's fields, checked. */
export interface FreezeFields {
  reason: string;
  until?: string;
}

/** Checks a freeze's `reason` and `until` (400 naming the field); `until` comes back normalised to UTC. */
export function parseFreezeFields(fields: Record<string, string>, now: Date): FreezeFields {
  const reason = (fields.reason ?? '').trim();
  if (!reason) {
    throw new HttpError(400, 'bad-reason', 'reason is required: say why the target is frozen');
  }
  if (reason.length > MAX_FREEZE_REASON) {
    throw new HttpError(
      400,
      'bad-reason',
      `reason must be at most ${MAX_FREEZE_REASON} characters, got ${reason.length}`,
    );
  }
  if (CONTROL.test(reason)) {
    throw new HttpError(400, 'bad-reason', 'reason must not contain control characters (line breaks, tabs)');
  }
  const text = fields.until?.trim();
  if (!text) return { reason };
  const t = ISO_DATE_TIME.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(t)) {
    throw new HttpError(
      400,
      'bad-until',
      `until must be an ISO 8601 date-time with a zone, e.g. 2026-12-01T18:00:00Z; got ${JSON.stringify(text.slice(0, 60))}`,
    );
  }
  if (t <= now.getTime()) {
    throw new HttpError(
      400,
      'bad-until',
      `until must be in the future (now ${now.toISOString()}), got ${text}`,
    );
  }
  const horizon = now.getTime() + MAX_FREEZE_DAYS * 86_400_000;
  if (t > horizon) {
    throw new HttpError(
      400,
      'bad-until',
      `until must be at most ${MAX_FREEZE_DAYS} days ahead (${new Date(horizon).toISOString()}), got ${text}; leave it out to freeze until unfrozen`,
    );
  }
  return { reason, until: new Date(t).toISOString() };
}

/** A target's freeze as the API answers it. */
export interface FreezeAnswer {
  target: string;
  /** The freeze in force (null: not frozen). */
  frozen: TargetFreeze | null;
  lastFreeze?: EndedFreeze;
  /** False for an unfreeze of a target that was not frozen. */
  changed: boolean;
  /** True when the lane had not applied the request within the wait: it will (its events are kept in order). */
  pending?: boolean;
}

function laneStatusOf(customStatus: unknown): LaneStatus | undefined {
  return customStatus && typeof customStatus === 'object' && 'target' in customStatus
    ? (customStatus as LaneStatus)
    : undefined;
}

/**
 * Freezes or unfreezes a target: raised into its lane (started if it has none, as a build would), whose events
 * are taken in order, so a freeze and the builds after it can never be reordered. Waits until the lane publishes
 * that it applied this request, so the caller sees the freeze as recorded.
 */
export async function requestFreeze(
  client: ReleaseClient,
  clock: Clock,
  target: TargetConfig,
  action: 'freeze' | 'unfreeze',
  caller: Identity | undefined,
  fields: FreezeFields | undefined,
  waitMs: number = FREEZE_WAIT_MS,
): Promise<FreezeAnswer> {
  const laneId = InstanceIds.lane(target.name);
  let lane = await client.get(laneId);
  if (!lane || !ACTIVE_STATES.has(lane.runtimeStatus)) {
    // Nothing to unfreeze on a target whose lane never ran: answered without starting one.
    if (action === 'unfreeze') return { target: target.name, frozen: null, changed: false };
    const state: LaneState = { target: target.name, recent: [] };
    try {
      await client.start(Orchestrations.Lane, laneId, state);
    } catch (err) {
      lane = await client.get(laneId);
      if (!lane || !ACTIVE_STATES.has(lane.runtimeStatus)) throw err;
    }
  }
  const request: FreezeRequest = {
    requestId: randomUUID(),
    action,
    by: (caller?.name ?? FUNCTION_KEY_CALLER).slice(0, 256),
    authenticated: caller !== undefined,
    requestedAt: clock.now().toISOString(),
    ...(action === 'freeze' && fields ? { reason: fields.reason } : {}),
    ...(action === 'freeze' && fields?.until ? { until: fields.until } : {}),
  };
  await client.raise(laneId, Events.FreezeRequested, request);

  const deadline = Date.now() + waitMs;
  let delay = 25;
  let status = laneStatusOf(lane?.customStatus);
  for (;;) {
    status = laneStatusOf((await client.get(laneId))?.customStatus) ?? status;
    if (status?.freezeApplied?.requestId === request.requestId) break;
    if (Date.now() + delay > deadline) {
      return {
        target: target.name,
        frozen: status?.frozen ?? null,
        ...(status?.lastFreeze ? { lastFreeze: status.lastFreeze } : {}),
        changed: true,
        pending: true,
      };
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 500);
  }
  const last = status.lastFreeze ?? undefined;
  return {
    target: target.name,
    frozen: status.frozen ?? null,
    ...(last ? { lastFreeze: last } : {}),
    changed: status.freezeApplied?.changed ?? true,
  };
}

/** The freeze in force on a target, read from its lane (null when not frozen). */
export async function currentFreeze(client: ReleaseClient, target: string): Promise<TargetFreeze | null> {
  const lane = await client.get(InstanceIds.lane(target));
  return laneStatusOf(lane?.customStatus)?.frozen ?? null;
}

/** One sentence about a freeze, for answers and pages. */
export function describeFreeze(target: string, f: TargetFreeze): string {
  return `target '${target}' is frozen by ${f.by} since ${f.since}${f.until ? ` until ${f.until}` : ' until someone unfreezes it'}: ${f.reason}`;
}
