import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { durableReleaseClient } from '../core/api/client';
import { purgeFinishedReleases } from '../core/api/retention';
import { PURGE_SCHEDULE, TimerFunctions } from '../core/names';
import type { AppDeps } from '../composition';

/** Registers the timer-triggered functions: only the nightly retention purge. */
export function registerTimers(getDeps: () => AppDeps): void {
  app.timer(TimerFunctions.PurgeReleases, {
    schedule: PURGE_SCHEDULE,
    extraInputs: [df.input.durableClient()],
    handler: async (timer: Timer, ctx: InvocationContext) => {
      const deps = getDeps();
      const client = durableReleaseClient(df.getClient(ctx));
      const result = await purgeFinishedReleases(client, deps.clock, deps.config.retentionDays);
      deps.log.info(`retention: purged ${result.purged.length} releases`, {
        data: {
          purged: result.purged.length,
          instancesDeleted: result.instancesDeleted,
          kept: result.kept,
          cutoff: result.cutoff,
          retentionDays: deps.config.retentionDays,
          isPastDue: timer.isPastDue,
        },
      });
    },
  });
}
