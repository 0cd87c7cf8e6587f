import { linkIssuer, type AppDeps } from '../../composition';
import type { AppConfig } from '../../core/config';
import type { Logger } from '../../core/log';
import type { Clock } from '../../core/ports/clock';
import { trafficName } from '../traffic/factory';
import type { FakeWorld } from './world';

/**
 * The app's dependencies over a fake world (its traffic, fleet, alerts, notifier and probes), with approval links
 * signed as the app signs them: what the tests' app host and the benchmarks run the real app on.
 */
export function fakeAppDeps(world: FakeWorld, config: AppConfig, clock: Clock, log: Logger): AppDeps {
  return {
    config,
    clock,
    log,
    activities: {
      traffic: world.routers,
      deployer: world.deployer,
      alerts: world.alerts,
      notifier: world.notifier,
      health: world.health,
      scripts: { load: async (kind) => `# fake ${kind} deploy script` },
      links: linkIssuer(config),
      clock,
      log,
    },
    trafficName,
  };
}
