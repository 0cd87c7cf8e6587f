import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { CLIENT_ACTIVITIES, createActivities, type ActivityDeps, type ChunkClient } from '../core/activities';
import { Activities, Orchestrations } from '../core/names';
import { acceptedOrchestrator } from '../core/orchestration/accepted';
import { alertJournalOrchestrator } from '../core/orchestration/alertJournal';
import type { StopDeploysInput } from '../core/orchestration/contracts';
import { deployChunkOrchestrator } from '../core/orchestration/deployChunk';
import { durableReleaseClient } from '../core/api/client';
import { readFreeze, reportToLane, runLaneEffects } from '../core/api/lane';
import { laneOrchestrator } from '../core/orchestration/lane';
import {
  manualRollbackInLane,
  releaseInLane,
  supersedeQueuedOrchestrator,
} from '../core/orchestration/laneWork';

/** Registers the orchestrations and the activities built over `deps` (resolved on first use). */
export function registerDurable(deps: () => ActivityDeps): void {
  df.app.orchestration(Orchestrations.Lane, laneOrchestrator);
  df.app.orchestration(Orchestrations.Release, releaseInLane);
  df.app.orchestration(Orchestrations.ManualRollback, manualRollbackInLane);
  df.app.orchestration(Orchestrations.Accepted, acceptedOrchestrator);
  df.app.orchestration(Orchestrations.SupersedeQueued, supersedeQueuedOrchestrator);
  df.app.orchestration(Orchestrations.AlertJournal, alertJournalOrchestrator);
  df.app.orchestration(Orchestrations.DeployChunk, deployChunkOrchestrator);

  // The lane's own activities talk to the task hub, through the Durable client binding.
  const client = df.input.durableClient();
  df.app.activity(Activities.LaneEffects, {
    extraInputs: [client],
    handler: (input: Parameters<typeof runLaneEffects>[1], ctx) =>
      runLaneEffects(durableReleaseClient(df.getClient(ctx)), input),
  });
  df.app.activity(Activities.ReportToLane, {
    extraInputs: [client],
    handler: (input: Parameters<typeof reportToLane>[1], ctx) =>
      reportToLane(durableReleaseClient(df.getClient(ctx)), input),
  });

  df.app.activity(Activities.ReadFreeze, {
    extraInputs: [client],
    handler: (input: Parameters<typeof readFreeze>[1], ctx) =>
      readFreeze(durableReleaseClient(df.getClient(ctx)), input),
  });

  const handlers = createActivities(deps);
  const laneActivities: ReadonlySet<string> = new Set([
    Activities.LaneEffects,
    Activities.ReportToLane,
    Activities.ReadFreeze,
  ]);
  for (const name of Object.values(Activities)) {
    if (laneActivities.has(name) || CLIENT_ACTIVITIES.has(name)) continue;
    const handler = handlers[name as keyof typeof handlers] as (input: unknown) => Promise<unknown>;
    df.app.activity(name, { handler: (input: unknown) => handler(input) });
  }
  // The activities that raise events to or purge a release's deploy chunks get a Durable client binding too.
  for (const name of [Activities.StopDeploys, Activities.PurgeDeployChunks] as const) {
    df.app.activity(name, {
      extraInputs: [client],
      handler: (input: unknown, context: InvocationContext) =>
        handlers[name](input as StopDeploysInput, chunkClient(df.getClient(context))),
    });
  }
}

/** The Durable client as the deploy-chunk activities use it (ids encoded, as `durableReleaseClient` does). */
function chunkClient(client: df.DurableClient): ChunkClient {
  return {
    raise: durableReleaseClient(client).raise,
    async purge(instanceId) {
      await client.purgeInstanceHistory(encodeURIComponent(instanceId));
    },
  };
}
