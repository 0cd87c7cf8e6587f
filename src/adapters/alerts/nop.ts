/**
 * The alert source used when none is configured: it reports no firing alerts, so only alerts pushed to
 * the alert webhook act, and it says so once in the log. No configuration selects it while an Azure one
 * exists: the poll is the backstop for a pushed alert that never arrived.
 */
import type { Logger } from '../../core/log';
import type { AlertSource } from '../../core/ports/alerts';

/** An alert source that finds nothing and warns, once, that only pushed alerts act. */
export function nopAlertSource(log: Logger): AlertSource {
  let warned = false;
  return {
    async firing(_scope, context) {
      if (!warned) {
        warned = true;
        log.warn('no alert source is configured: firing alerts are not polled, only pushed alerts act', {
          data: { trafficResource: context.trafficResource },
        });
      }
      return [];
    },
  };
}
