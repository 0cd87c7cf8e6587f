import { briefOf, classifyAlert, policyRefusal } from '../alerts/policy';
import { alertListScope, resolveSlotResources } from '../alerts/resolve';
import type { InstanceProbe, InstanceRef, SlotConfig, TargetConfig } from '../domain';
import { StepError } from '../errors';
import { Activities, Events } from '../names';
import type {
  ActivityInput,
  ActivityName,
  ActivityOutput,
  ApprovalLinks,
  IssueLinksInput,
} from '../orchestration/contracts';
import type { ReleaseClient } from '../api/client';
import type { AlertSource } from '../ports/alerts';
import type { Clock } from '../ports/clock';
import { noCutoverObserver, type CutoverObserver } from '../ports/cutover';
import type { Deployer } from '../ports/deployer';
import { previousRun } from '../ports/deployer';
import type { HealthProbe, ProbeResult } from '../ports/health';
import type { Notifier } from '../ports/notifier';
import type { TrafficRouters } from '../ports/traffic';
import type { LogFields, Logger } from '../log';
import { swapEndpoints } from '../traffic/swap';
import { deployParameters, expectedVersion } from './parameters';
import { mapLimited, urgentFirst } from '../concurrency';

/** Reads the deploy script the app sends to instances, by kind. */
export interface ScriptSource {
  load(kind: 'linux' | 'windows'): Promise<string>;
}

/** Signs approval links for one approval round. */
export interface ApprovalLinkIssuer {
  issue(input: IssueLinksInput): ApprovalLinks;
}

/** Everything the activities need from the outside world; tests hand in fakes. */
export interface ActivityDeps {
  /** Picks each target's traffic provider from its `traffic` configuration. */
  traffic: TrafficRouters;
  deployer: Deployer;
  alerts: AlertSource;
  notifier: Notifier;
  health: HealthProbe;
  scripts: ScriptSource;
  links: ApprovalLinkIssuer;
  /** When clients followed a traffic move; default none (`noCutoverObserver`). */
  cutover?: CutoverObserver;
  clock: Clock;
  log: Logger;
}

/** Activities run by the API module (`api/lane.ts`) over the Durable client, registered on their own. */
type LaneActivity =
  typeof Activities.LaneEffects | typeof Activities.ReportToLane | typeof Activities.ReadFreeze;
/** Activities that need the Durable client: the registration hands it in as their second argument. */
export type ClientActivity = typeof Activities.StopDeploys | typeof Activities.PurgeDeployChunks;
/** Activities whose handler takes only its input. */
export type PlainActivity = Exclude<ActivityName, LaneActivity | ClientActivity>;

/** The handlers that take only their input, typed from `ActivityMessages`. */
export type PlainActivityHandlers = {
  [N in PlainActivity]: (input: ActivityInput<N>) => Promise<ActivityOutput<N>>;
};

/** The handlers that also take the Durable client. */
export type ClientActivityHandlers = {
  [N in ClientActivity]: (input: ActivityInput<N>, client: ChunkClient) => Promise<ActivityOutput<N>>;
};

/**
 * The activity handlers by name, each taking the orchestrator's input and returning plain JSON: typed from
 * `ActivityMessages`, the map the orchestrators call through (orchestration/calls.ts).
 */
export type ActivityHandlers = PlainActivityHandlers & ClientActivityHandlers;

/** What the deploy-chunk activities need of the Durable client. */
export interface ChunkClient {
  raise: ReleaseClient['raise'];
  /** Deletes a finished instance and its history; resolves for unknown ones too. */
  purge(instanceId: string): Promise<void>;
}

/** Activities that get a Durable client as their second argument. */
export const CLIENT_ACTIVITIES: readonly ClientActivity[] = [
  Activities.StopDeploys,
  Activities.PurgeDeployChunks,
];

/** Attempts to reach a chunk the Durable store does not list yet (just created by its release). */
const STOP_ATTEMPTS = 5;
const STOP_RETRY_MS = 1000;

const OUTPUT_TAIL = 800;

/** Instances probed at once by VerifyInstances: enough for a large slot, few enough for one worker. */
const PROBE_CONCURRENCY = 16;

/** Probe options of a target. */
function probeOptions(target: TargetConfig) {
  return {
    versionHeader: target.health.versionHeader,
    versionField: target.health.versionField,
    timeoutMs: target.health.timeoutSeconds * 1000,
  };
}

/** Judges one probe against the expected version. */
function judge(probe: ProbeResult, expected: string): { ok: boolean; detail: string } {
  if (!probe.ok) return { ok: false, detail: probe.error ?? `HTTP ${probe.status ?? 'no response'}` };
  if (probe.version !== expected) {
    return {
      ok: false,
      detail: `healthy but reports version ${probe.version ?? '(none)'}, expected ${expected}`,
    };
  }
  return { ok: true, detail: `healthy, version ${expected}` };
}

/** The health URL of one instance: its private address, the target's instance port and health path. */
export function instanceHealthUrl(target: TargetConfig, address: string): string {
  // IPv6 literals need brackets in a URL.
  const host = address.includes(':') ? `[${address}]` : address;
  return new URL(target.health.path, `http://${host}:${target.health.instancePort}/`).toString();
}

const causeText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Builds the activities over the ports. `deps` is called on first use, so Azure clients are built
 * lazily (a throw while the entry file loads would take the whole app down). Every activity is safe
 * to run twice: Durable runs them at least once.
 */
export function createActivities(deps: () => ActivityDeps): ActivityHandlers {
  return {
    async [Activities.ResolveSlots]({ target }) {
      const { traffic } = deps();
      const profile = await traffic(target.traffic).read();
      const [a, b] = target.slots.map((s) =>
        profile.endpoints.find((e) => e.name.toLowerCase() === s.name.toLowerCase()),
      );
      const names = target.slots.map((s) => s.name);
      if (!a || !b) {
        const found = profile.endpoints.map((e) => e.name).join(', ') || 'none';
        throw new StepError({
          step: 'resolve-slots',
          resource: target.traffic.resource,
          cause: `endpoints ${names.join(' and ')} expected, found ${found}`,
        });
      }
      if (a.enabled === b.enabled) {
        throw new StepError({
          step: 'resolve-slots',
          resource: target.traffic.resource,
          cause: `exactly one of ${names.join(', ')} must be enabled, found ${a.enabled ? 'both' : 'neither'} enabled`,
        });
      }
      const [production, staging] = a.enabled ? [a, b] : [b, a];
      return {
        production: production.name,
        staging: staging.name,
        endpointTargets: { [a.name]: a.target, [b.name]: b.target },
      };
    },

    async [Activities.ListInstances]({ target, slot }) {
      const config = slotConfig(target.slots, slot);
      return deps().deployer.listInstances(config.compute);
    },

    async [Activities.DeployInstance]({ releaseId, target, build, slot, instance }) {
      const { deployer, scripts, log } = deps();
      const fields = { releaseId, target: target.name, phase: 'deploying', slot };
      const runName = `deploy-${releaseId}`;
      try {
        const script = await scripts.load(target.deploy.scriptKind);
        const result = await deployer.run(instance, {
          runName,
          scriptKind: target.deploy.scriptKind,
          script,
          parameters: deployParameters(target, build),
          timeoutSeconds: target.deploy.timeoutSeconds,
        });
        log.info(`deploy on ${instance.name} exited ${result.exitCode}`, fields);
        if (result.succeeded) await pruneRuns(deployer, log, instance, runName, fields);
        return { ...result, outputTail: result.outputTail.slice(-OUTPUT_TAIL) };
      } catch (err) {
        // One instance's failure is a result, not an activity failure: the tolerance decides.
        const message = err instanceof Error ? err.message : String(err);
        log.warn(`deploy on ${instance.name} failed: ${message}`, fields);
        return {
          instance: instance.name,
          exitCode: -1,
          succeeded: false,
          outputTail: message.slice(-OUTPUT_TAIL),
        };
      }
    },

    async [Activities.VerifySlot]({ target, build, slot, endpointTarget }) {
      const base = slot.healthBaseUrl ?? (endpointTarget ? `http://${endpointTarget}` : undefined);
      if (!base) {
        return {
          url: `slot ${slot.name}`,
          ok: false,
          detail: 'no healthBaseUrl configured and the endpoint has no target',
        };
      }
      const url = new URL(target.health.path, base.endsWith('/') ? base : `${base}/`).toString();
      const expected = expectedVersion(target, build);
      const probe = await deps().health.probe(url, probeOptions(target));
      const verdict = judge(probe, expected);
      return {
        url,
        ok: verdict.ok,
        healthy: probe.ok,
        ...(probe.version !== undefined ? { version: probe.version } : {}),
        detail: verdict.detail,
      };
    },

    async [Activities.VerifyInstances]({ target, build, instances }) {
      const { health } = deps();
      const expected = expectedVersion(target, build);
      // Read-only GETs: running twice is harmless; one instance's failure is a result, never a throw.
      return mapLimited(instances, PROBE_CONCURRENCY, async (instance): Promise<InstanceProbe> => {
        if (!instance.address) {
          return { instance: instance.name, ok: false, detail: 'no private address known for this instance' };
        }
        const probe = await health.probe(instanceHealthUrl(target, instance.address), probeOptions(target));
        return {
          instance: instance.name,
          address: instance.address,
          ...judge(probe, expected),
          ...(probe.ok && probe.version !== undefined ? { version: probe.version } : {}),
        };
      });
    },

    async [Activities.SwapTraffic](input) {
      const { traffic, clock, log } = deps();
      const fields = {
        releaseId: input.releaseId,
        phase: input.mode === 'rollback' ? 'rolling-back' : 'swapping',
        slot: input.enable,
      };
      try {
        // Moving traffic back is urgent: this instance's hook deliveries wait until it is done.
        const move = () => swapEndpoints(traffic(input.traffic), input, clock);
        const result = await (input.mode === 'rollback' || input.mode === 'restore'
          ? urgentFirst.run(move)
          : move());
        if (result.restored) log.warn(`zero endpoints enabled: ${result.restored}`, fields);
        log.info(`traffic on ${input.enable} (${result.changed ? 'swapped' : 'already so'})`, fields);
        return { ok: true, ...result };
      } catch (err) {
        // A failure is an answer, not a throw: the orchestrator needs `transient` and ARM's Retry-After.
        const message = err instanceof Error ? err.message : String(err);
        log.warn(
          `moving traffic to ${input.enable} failed (attempt ${input.attempt ?? 1}): ${message}`,
          fields,
        );
        return {
          ok: false,
          error: message,
          transient: err instanceof StepError ? err.transient : true,
          ...(err instanceof StepError && err.retryNotBefore ? { retryNotBefore: err.retryNotBefore } : {}),
        };
      }
    },

    async [Activities.ObserveCutover]({ releaseId, target, moves }) {
      const { cutover = noCutoverObserver, log } = deps();
      // Read-only: asking twice gives the same (or a later) answer.
      return Promise.all(
        moves.map(async (move) => {
          try {
            return await cutover.observe(target, move);
          } catch (err) {
            const detail = causeText(err);
            log.warn(`cutover observer failed: ${detail}`, { releaseId, target, slot: move.slot });
            return { state: 'error' as const, detail };
          }
        }),
      );
    },

    async [Activities.FiringAlerts]({ target }) {
      const { alerts, deployer, log } = deps();
      const firing = await alerts.firing(alertListScope(target), {
        trafficResource: target.traffic.resource,
      });
      const slots = await resolveSlotResources(
        target,
        (c) => deployer.listInstances(c),
        (slot, err) =>
          log.warn(`firing alerts: slot ${slot} could not be listed: ${causeText(err)}`, {
            target: target.name,
            slot,
          }),
      );
      return firing.flatMap((alert) => {
        const about = classifyAlert(alert, target, slots);
        if (!about.matches) return [];
        const refused = policyRefusal({ ...alert, monitorCondition: 'Fired' }, target.alerts);
        return [
          briefOf({ ...alert, monitorCondition: 'Fired' }, about, refused === undefined, refused ?? 'firing'),
        ];
      });
    },

    async [Activities.IssueApprovalLinks](input) {
      return deps().links.issue(input);
    },

    async [Activities.Notify]({ kind, release }) {
      const { notifier, log } = deps();
      try {
        await notifier.notify(kind, release);
      } catch (err) {
        // A notification is never worth failing or retrying a release for.
        log.warn(`notification '${kind}' failed: ${err instanceof Error ? err.message : String(err)}`, {
          releaseId: release.id,
          target: release.target,
          phase: release.phase,
        });
      }
    },

    async [Activities.StopDeploys]({ releaseId, instanceIds }, client) {
      const { log } = deps();
      const fields = { releaseId, phase: 'deploying' };
      let reached = 0;
      await Promise.all(
        instanceIds.map(async (id) => {
          // Finished chunks answer 410, which `raise` resolves; a chunk its release created a moment ago may
          // not be listed yet (a sub-orchestration exists once its start is processed): try again shortly.
          for (let attempt = 1; ; attempt++) {
            try {
              await client.raise(id, Events.StopDeploy, { releaseId });
              reached++;
              return;
            } catch (err) {
              if (attempt >= STOP_ATTEMPTS) {
                // The chunk then deploys to its end; the release still waits for it, so nothing overlaps.
                log.warn(`could not stop deploy chunk ${id}: ${causeText(err)}`, fields);
                return;
              }
              await new Promise((resolve) => setTimeout(resolve, STOP_RETRY_MS));
            }
          }
        }),
      );
      return reached;
    },

    async [Activities.PurgeDeployChunks]({ releaseId, instanceIds }, client) {
      const { log } = deps();
      let purged = 0;
      // Best effort: the release's output holds every result; a chunk left behind only takes task hub space.
      await Promise.all(
        instanceIds.map(async (id) => {
          try {
            await client.purge(id);
            purged++;
          } catch (err) {
            log.warn(`could not purge deploy chunk ${id}: ${causeText(err)}`, {
              releaseId,
              phase: 'deploying',
            });
          }
        }),
      );
      return purged;
    },
  };
}

/**
 * Deletes the instance's older deploy run commands, keeping this release's and the previous one's (its output
 * is what a rollback investigation reads). ARM caps the run commands a VM may have, so they must not pile up;
 * best effort all the same: a failure is logged and never fails or changes the deploy.
 */
async function pruneRuns(
  deployer: Deployer,
  log: Logger,
  instance: InstanceRef,
  runName: string,
  fields: LogFields,
): Promise<void> {
  try {
    const previous = previousRun(await deployer.listRuns(instance), runName);
    const deleted = await deployer.prune(instance, previous ? [runName, previous] : [runName]);
    if (deleted > 0) log.info(`pruned ${deleted} old run command(s) on ${instance.name}`, fields);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log.warn(`pruning old run commands on ${instance.name} failed: ${message}`, fields);
  }
}

function slotConfig(slots: SlotConfig[], name: string): SlotConfig {
  const slot = slots.find((s) => s.name.toLowerCase() === name.toLowerCase());
  if (!slot) {
    throw new StepError({
      step: 'list-instances',
      resource: `slot ${name}`,
      cause: 'slot is not configured',
    });
  }
  return slot;
}
