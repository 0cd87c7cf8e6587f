/**
 * Picks the alert sources from the app's settings: every provider whose settings are present is asked,
 * their answers merged (one alert reported by two counts once); with none, the no-op source (nop.ts) finds
 * nothing and says so once. Adding an alert source is one entry in ALERT_SOURCE_PROVIDERS.
 */
import type { FiredAlert } from '../../core/domain';
import { ValidationError, type Problem } from '../../core/errors';
import type { Logger } from '../../core/log';
import type { AlertSource } from '../../core/ports/alerts';
import { createAlertsManagementSource } from '../azure/alertsManagement';
import type { AzureClients } from '../azure/clients';
import { nopAlertSource } from './nop';

/** The settings alert sources read (AppConfig's fields; app-wide: a target's `alerts` is its policy, not a source). */
export interface AlertSourceSettings {
  readonly armEndpoint?: string;
}

/** An alert source provider: when the settings select it, what is wrong with them, and how it is built. */
export interface AlertSourceProvider {
  /** Named in messages. */
  readonly name: string;
  configured(settings: AlertSourceSettings): boolean;
  /** Everything wrong with its settings, each naming the setting (empty when they are usable). */
  problems(settings: AlertSourceSettings): Problem[];
  create(clients: AzureClients): AlertSource;
}

/** Azure Monitor's fired alerts through the Alerts Management API, over the app's ARM clients. */
export const alertsManagementProvider: AlertSourceProvider = {
  name: 'alertsManagement',
  configured: (s) => s.armEndpoint !== undefined,
  problems: (s) =>
    s.armEndpoint !== undefined && !s.armEndpoint.startsWith('https://')
      ? [{ path: 'ARM_ENDPOINT', message: 'must be an absolute https URL' }]
      : [],
  create: createAlertsManagementSource,
};

/** The alert source providers, in the order they are asked. */
export const ALERT_SOURCE_PROVIDERS: readonly AlertSourceProvider[] = [alertsManagementProvider];

/** Asks every source; one failing fails the read (a blind spot must not pass for "nothing firing"). */
function merged(sources: readonly AlertSource[]): AlertSource {
  if (sources.length === 1) return sources[0] as AlertSource;
  return {
    async firing(scope, context) {
      const found = new Map<string, FiredAlert>();
      for (const answer of await Promise.all(sources.map((s) => s.firing(scope, context)))) {
        for (const a of answer) found.set(a.alertId.toLowerCase(), a);
      }
      return [...found.values()].sort((a, b) => a.firedAt.localeCompare(b.firedAt));
    },
  };
}

/** The app's alert source. Throws one ValidationError listing every configured provider's problems. */
export function createAlertSource(
  settings: AlertSourceSettings,
  clients: AzureClients,
  log: Logger,
  providers: readonly AlertSourceProvider[] = ALERT_SOURCE_PROVIDERS,
): AlertSource {
  const chosen = providers.filter((p) => p.configured(settings));
  const problems = chosen.flatMap((p) => p.problems(settings));
  if (problems.length > 0) throw new ValidationError(problems, 'alert source configuration');
  if (chosen.length === 0) return nopAlertSource(log);
  return merged(chosen.map((p) => p.create(clients)));
}
