import type { FiredAlert, ReleaseView, TargetConfig } from '../domain';
import { Events, InstanceIds } from '../names';
import type { AlertFiredEvent, LaneStatus } from '../orchestration/contracts';
import type { Clock } from '../ports/clock';
import type { ReleaseClient } from './client';

/** What the alert hook did with one alert, per target it belongs to. */
export interface AlertRouting {
  alertId: string;
  monitorCondition: string;
  targets: { target: string; release?: string; forwarded: boolean; reason: string }[];
}

/**
 * Forwards a fired alert to the baking release of every target it belongs to. Anything else (a
 * resolved alert, no matching target, no baking release) is only recorded: the caller logs and answers 200.
 */
export async function routeAlert(
  client: ReleaseClient,
  clock: Clock,
  targets: readonly TargetConfig[],
  alert: FiredAlert & { monitorCondition: string },
  matches: (alert: FiredAlert, target: TargetConfig) => boolean,
): Promise<AlertRouting> {
  const routing: AlertRouting = {
    alertId: alert.alertId,
    monitorCondition: alert.monitorCondition,
    targets: [],
  };
  if (alert.monitorCondition !== 'Fired') return routing;
  for (const target of targets.filter((t) => matches(alert, t))) {
    const lane = await client.get(InstanceIds.lane(target.name));
    const current = (lane?.customStatus as LaneStatus | undefined)?.current;
    if (!current) {
      routing.targets.push({ target: target.name, forwarded: false, reason: 'no release running' });
      continue;
    }
    const release = await client.get(current);
    const view = release?.customStatus as ReleaseView | undefined;
    if (release?.runtimeStatus !== 'Running' || view?.phase !== 'baking') {
      routing.targets.push({
        target: target.name,
        release: current,
        forwarded: false,
        reason: `release is ${view?.phase ?? release?.runtimeStatus ?? 'gone'}, not baking`,
      });
      continue;
    }
    const event: AlertFiredEvent = { alert, receivedAt: clock.now().toISOString() };
    await client.raise(current, Events.AlertFired, event);
    routing.targets.push({
      target: target.name,
      release: current,
      forwarded: true,
      reason: 'baking: rollback',
    });
  }
  return routing;
}
