/**
 * The composition root: the one place production adapters are built, lazily, on first use. A throw
 * while a Functions entry file loads takes the whole app down, so nothing here runs at import time.
 */
import type { TokenCredential } from '@azure/core-auth';
import { createAlertSource } from './adapters/alerts/factory';
import { createAzureAdapters, createCredential } from './adapters/azure';
import { httpCutoverObserver } from './adapters/http/cutoverObserver';
import { fetchHealthProbe } from './adapters/http/healthProbe';
import { createNotifiers } from './adapters/notifiers/factory';
import { packagedScripts } from './adapters/scripts';
import { TRAFFIC_PROVIDERS, trafficName } from './adapters/traffic/factory';
import type { ActivityDeps, ApprovalLinkIssuer } from './core/activities';
import { signApprovalToken } from './core/approval/token';
import { getConfig, type AppConfig } from './core/config';
import { createLogger, type Logger } from './core/log';
import { systemClock, type Clock } from './core/ports/clock';
import { noCutoverObserver } from './core/ports/cutover';

/** Everything the functions need: configuration, clock, logger and the activities' ports. */
export interface AppDeps {
  config: AppConfig;
  clock: Clock;
  log: Logger;
  activities: ActivityDeps;
  /** A traffic kind's name as people read it (from its provider in src/adapters; the core names none). */
  trafficName: (kind: string) => string;
}

/** Signs approve/reject links of one round with the app's signing key. */
export function linkIssuer(
  config: Pick<AppConfig, 'approvalSigningKey' | 'publicBaseUrl'>,
): ApprovalLinkIssuer {
  return {
    issue({ releaseId, round, expiresAt }) {
      const expires = Math.floor(Date.parse(expiresAt) / 1000);
      const link = (decision: 'approve' | 'reject') => {
        const token = signApprovalToken(config.approvalSigningKey, {
          releaseId,
          decision,
          nonce: round,
          expiresAt: expires,
        });
        return `${config.publicBaseUrl}/api/approvals/${encodeURIComponent(releaseId)}/${decision}?token=${encodeURIComponent(token)}`;
      };
      return { approveUrl: link('approve'), rejectUrl: link('reject') };
    },
  };
}

/** What the composition root takes from outside besides the configuration (tests pass their own). */
export interface CompositionOptions {
  /** Where the app's log lines go. */
  log?: Logger;
  /** The ARM credential, built on first use; default DefaultAzureCredential from the environment. */
  credential?: () => TokenCredential;
}

/**
 * The app's dependencies from a validated configuration: the production adapters, each chosen by its
 * factory from the settings. Builds no credential and makes no call (both happen on first use).
 */
export function buildAppDeps(
  config: AppConfig,
  env: NodeJS.ProcessEnv,
  options: CompositionOptions = {},
): AppDeps {
  const log = options.log ?? createLogger();
  const credential = options.credential ?? (() => createCredential(env));
  const azure = createAzureAdapters(() => ({
    armEndpoint: config.armEndpoint,
    credentialScope: config.armScope,
    credential,
  }));
  return {
    config,
    clock: systemClock,
    log,
    activities: {
      // Each target's provider, by its traffic.kind (src/adapters/traffic/factory.ts).
      traffic: azure.traffic,
      deployer: azure.deployer,
      // The configured alert sources and notifiers, or their no-op fallbacks (src/adapters/*/factory.ts).
      alerts: createAlertSource(config, azure.clients, log),
      notifier: createNotifiers(config, config.targets, log),
      health: fetchHealthProbe,
      scripts: packagedScripts(),
      links: linkIssuer(config),
      cutover: config.cutoverObserverUrl ? httpCutoverObserver(config.cutoverObserverUrl) : noCutoverObserver,
      clock: systemClock,
      log,
    },
    trafficName,
  };
}

let built: AppDeps | undefined;

/** The production dependencies, built on first call from the validated configuration of `process.env`. */
export function appDeps(): AppDeps {
  built ??= buildAppDeps(getConfig(TRAFFIC_PROVIDERS), process.env);
  return built;
}
