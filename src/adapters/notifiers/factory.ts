/**
 * Picks the notifiers from the app's settings: every provider whose settings are present gets each
 * notification; with none, the no-op notifier (nop.ts) logs them and says once that notifications are off.
 * Adding a notifier is one entry in NOTIFIER_PROVIDERS.
 */
import type { TargetConfig } from '../../core/domain';
import { ValidationError, type Problem } from '../../core/errors';
import type { Logger } from '../../core/log';
import type { Notifier } from '../../core/ports/notifier';
import { webhookNotifierProvider } from '../http/webhookNotifier';
import { nopNotifier } from './nop';

/** The notification settings of the app (AppConfig's fields; app-wide: targets carry none). */
export interface NotifierSettings {
  readonly notifyWebhookUrl?: string;
  readonly notifyKind?: string;
}

/** A notifier provider: when the settings select it, what is wrong with them, and how it is built. */
export interface NotifierProvider {
  /** Named in messages. */
  readonly name: string;
  /** The settings name this provider (it is then built, and its problems refuse the configuration). */
  configured(settings: NotifierSettings): boolean;
  /** Everything wrong with its settings, each naming the setting (empty when they are usable). */
  problems(settings: NotifierSettings): Problem[];
  create(settings: NotifierSettings, log: Logger): Notifier;
}

/** The notifier providers, in the order they are told. */
export const NOTIFIER_PROVIDERS: readonly NotifierProvider[] = [webhookNotifierProvider];

/**
 * Targets that require approval but name no approvers: they are decided only through the links, which go to
 * the notifier alone. Such a configuration is not refused, since a refused configuration would also stop
 * alert rollbacks of releases in flight; the no-op notifier logs it as an error instead (docs/architecture.md).
 */
export function unreachableApprovals(targets: readonly TargetConfig[]): string[] {
  return targets.filter((t) => t.approval.required && !t.approval.approvers?.length).map((t) => t.name);
}

/** Tells every notifier; one failing does not stop the others, and the first failure is rethrown. */
function fanOut(notifiers: readonly Notifier[]): Notifier {
  if (notifiers.length === 1) return notifiers[0] as Notifier;
  return {
    async notify(kind, release) {
      const results = await Promise.allSettled(notifiers.map((n) => n.notify(kind, release)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}

/**
 * The app's notifier: every configured provider, or the no-op one. Throws one ValidationError listing every
 * problem of the configured providers' settings.
 */
export function createNotifiers(
  settings: NotifierSettings,
  targets: readonly TargetConfig[],
  log: Logger,
  providers: readonly NotifierProvider[] = NOTIFIER_PROVIDERS,
): Notifier {
  const chosen = providers.filter((p) => p.configured(settings));
  const problems = chosen.flatMap((p) => p.problems(settings));
  if (problems.length > 0) throw new ValidationError(problems, 'notifier configuration');
  if (chosen.length === 0) {
    const reason =
      settings.notifyKind !== undefined
        ? 'NOTIFY_KIND is set but NOTIFY_WEBHOOK_URL is not'
        : 'NOTIFY_WEBHOOK_URL is not set';
    return nopNotifier(log, { reason, unreachableApprovals: unreachableApprovals(targets) });
  }
  return fanOut(chosen.map((p) => p.create(settings, log)));
}
