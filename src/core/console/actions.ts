/**
 * What the console's buttons do: approve, reject and roll back a release as the signed-in person. The same
 * core calls as the approval links and the rollback API; the state is checked again here, whatever the page
 * showed when it was loaded.
 */
import { checkOpen, decide } from '../api/approvals';
import type { ReleaseClient } from '../api/client';
import { describeFreeze, parseFreezeFields, requestFreeze, type FreezeFields } from '../api/freeze';
import { requestRollback } from '../api/rollback';
import { requestCancel } from '../api/cancel';
import { requestRerun } from '../api/rerun';
import { acknowledgedAlerts } from '../approval/alerts';
import { checkDecider } from '../approval/policy';
import type { Identity } from '../domain';
import { findTarget, type AppConfig } from '../config';
import { HttpError } from '../errors';
import { alertsNeedingAcknowledgement, describeAlerts } from '../orchestration/steps/awaitApproval';
import type { Clock } from '../ports/clock';
import { FREEZE_DURATIONS, type ConsoleNotice } from './page';

/** The actions the console's forms post. */
export const CONSOLE_ACTIONS = ['approve', 'reject', 'rollback', 'cancel', 'rerun'] as const;
/** One of them. */
export type ConsoleAction = (typeof CONSOLE_ACTIONS)[number];

/** The `{action}` route value, refused (400) unless it is one the console has. */
export function parseConsoleAction(value: string): ConsoleAction {
  return oneOf(CONSOLE_ACTIONS, value);
}

/** The `{action}` route value as one of `actions`, or a 400 naming them. */
function oneOf<A extends string>(actions: readonly A[], value: string): A {
  const action = actions.find((a) => a === value);
  if (!action) {
    throw new HttpError(
      400,
      'bad-action',
      `action must be one of ${actions.join(', ')}, got ${JSON.stringify(value.slice(0, 40))}`,
    );
  }
  return action;
}

/** What a console action needs. */
export interface ConsoleActionInput {
  client: ReleaseClient;
  clock: Clock;
  config: AppConfig;
  id: string;
  action: ConsoleAction;
  /** The signed-in person: recorded as the approver or the one who asked for the rollback. */
  identity: string;
  /** Their principal as the platform's headers give it (object id, display name), when read. */
  principal?: Identity;
  fields: Record<string, string>;
}

async function decideAs(input: ConsoleActionInput, decision: 'approve' | 'reject'): Promise<ConsoleNotice> {
  const { client, clock, config, id } = input;
  const who: Identity = input.principal ?? { name: input.identity, idp: 'aad' };
  // No link here: the signed-in person decides the release's current round, checked against the target's policy
  // (approver list, self-approval) before anything about the release's approval state is told.
  let link;
  try {
    link = await checkOpen(client, id, decision, (release, d) => {
      const target = findTarget(config, release.target);
      if (!target)
        throw new HttpError(409, 'unknown-target', `release '${id}' belongs to no configured target`);
      const check = checkDecider(target, release.build, d, who, undefined, true);
      if (!check.ok) throw new HttpError(check.status, check.code, check.reason);
    });
  } catch (err) {
    if (err instanceof HttpError && err.code === 'already-decided') {
      throw new HttpError(409, 'not-awaiting-approval', `${err.message}: there is no decision to make`);
    }
    throw err;
  }
  const release = link.release;
  const acknowledged = acknowledgedAlerts(link.release, decision, input.fields.acknowledgeAlerts);
  const {
    event,
    outcome,
    release: after,
  } = await decide(
    client,
    clock,
    findTarget(config, link.release.target),
    link,
    { identity: who, authEnabled: true },
    input.fields.comment,
    undefined,
    acknowledged,
  );
  if (outcome === 'reopened') {
    throw new HttpError(
      409,
      'alerts-started-firing',
      `alerts started firing since the page was shown (${describeAlerts(alertsNeedingAcknowledgement(after.alerts?.firing))}): look again and decide`,
    );
  }
  if (outcome === 'lost') {
    const by = after.approval?.approver ? ` by ${after.approval.approver}` : '';
    throw new HttpError(
      409,
      'already-decided',
      `release '${id}' was decided first (${after.approval?.decision ?? after.status}${by}); your decision did not count`,
    );
  }
  const pending =
    outcome === 'pending'
      ? ' It is being recorded: the page shows it in a moment.'
      : outcome === 'held' && after.freeze
        ? ` The swap waits: ${describeFreeze(release.target, after.freeze)}.`
        : '';
  return {
    kind: 'ok',
    text:
      (event.decision === 'approve'
        ? `Approved by ${event.approver}: traffic moves to ${release.stagingSlot ?? 'the staging slot'}.`
        : `Rejected by ${event.approver}: production stays on ${release.productionSlot ?? 'its slot'}.`) +
      pending,
  };
}

/** What an action did: the notice, and the release to show next (a re-run's new release). */
export type ConsoleResult = ConsoleNotice & { goTo?: string };

/** Runs one console action; throws HttpError (4xx) with the reason when it is refused. */
export async function runConsoleAction(input: ConsoleActionInput): Promise<ConsoleResult> {
  if (input.action === 'approve' || input.action === 'reject') return decideAs(input, input.action);
  const reason = input.fields.reason?.trim();
  const what = { rollback: 'a rollback', cancel: 'a cancel', rerun: 'a re-run' }[input.action];
  if (!reason) throw new HttpError(400, 'reason-required', `${what} from the console needs a reason`);
  if (input.action === 'cancel') {
    const answer = await requestCancel(
      input.client,
      input.clock,
      input.id,
      input.identity,
      reason.slice(0, 1000),
    );
    if (!answer.accepted) throw new HttpError(answer.status, answer.code, answer.message);
    return {
      kind: 'ok',
      text:
        answer.outcome === 'pending'
          ? `Cancel asked for by ${input.identity}: the release stops once the deploys in flight finish.`
          : `Cancelled by ${answer.release.cancellation?.requestedBy ?? input.identity}: production is untouched.`,
    };
  }
  if (input.action === 'rerun') {
    const answer = await requestRerun(input.client, input.clock, input.config, input.id, {
      requestedBy: input.identity,
      reason: reason.slice(0, 1000),
      force: input.fields.force === 'true',
    });
    if (!answer.accepted) throw new HttpError(answer.status, answer.code, answer.message);
    return { kind: 'ok', text: `Re-run as ${answer.id}.`, goTo: answer.id };
  }
  const answer = await requestRollback(
    input.client,
    input.clock,
    input.id,
    input.identity,
    reason.slice(0, 1000),
  );
  if (!answer.accepted) throw new HttpError(answer.status, answer.code, answer.message);
  return {
    kind: 'ok',
    text:
      answer.via === 'already-requested'
        ? 'A rollback was already asked for: it is under way or done.'
        : `Rollback asked for by ${input.identity}: traffic goes back to the previous slot.`,
  };
}

/** The actions the dashboard's freeze forms post, per target. */
export const TARGET_ACTIONS = ['freeze', 'unfreeze'] as const;
/** One of them. */
export type TargetAction = (typeof TARGET_ACTIONS)[number];

/** The `{action}` route value of a target form, refused (400) unless it is freeze or unfreeze. */
export function parseTargetAction(value: string): TargetAction {
  return oneOf(TARGET_ACTIONS, value);
}

/** What a freeze form needs. */
export interface TargetActionInput {
  client: ReleaseClient;
  clock: Clock;
  config: AppConfig;
  target: string;
  action: TargetAction;
  /** The signed-in person: recorded as who froze or unfroze the target. */
  identity: Identity;
  fields: Record<string, string>;
}

/**
 * Freezes or unfreezes a target as the signed-in person, through the same core as `POST /api/targets/{name}/…`:
 * the form's `reason` and `for` (one of FREEZE_DURATIONS; empty: until unfrozen) are checked as the API checks them.
 */
export async function runTargetAction(input: TargetActionInput): Promise<ConsoleNotice> {
  const target = findTarget(input.config, input.target);
  if (!target) throw new HttpError(404, 'unknown-target', `no target '${input.target.slice(0, 60)}'`);
  let fields: FreezeFields | undefined;
  if (input.action === 'freeze') {
    const choice = input.fields.for ?? '';
    const duration = FREEZE_DURATIONS.find((d) => d.value === choice);
    if (!duration) {
      throw new HttpError(
        400,
        'bad-for',
        `for must be one of ${FREEZE_DURATIONS.map((d) => JSON.stringify(d.value)).join(', ')}, got ${JSON.stringify(choice.slice(0, 20))}`,
      );
    }
    const now = input.clock.now();
    const until =
      duration.hours === undefined
        ? undefined
        : new Date(now.getTime() + duration.hours * 3_600_000).toISOString();
    fields = parseFreezeFields({ reason: input.fields.reason ?? '', ...(until ? { until } : {}) }, now);
  }
  const answer = await requestFreeze(input.client, input.clock, target, input.action, input.identity, fields);
  if (input.action === 'unfreeze') {
    return {
      kind: 'ok',
      text: answer.changed
        ? `Target ${target.name} is unfrozen: the newest queued build starts.`
        : `Target ${target.name} was not frozen: nothing changed.`,
    };
  }
  return {
    kind: 'ok',
    text: answer.frozen
      ? `Target ${target.name} is frozen: ${answer.frozen.reason}.`
      : `The freeze of ${target.name} is being recorded.`,
  };
}
