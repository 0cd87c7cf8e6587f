import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { durableReleaseClient } from '../core/api/client';
import { CLIENT_ACTIVITIES, createActivities, type ActivityDeps, type ChunkClient } from '../core/activities';
import { Activities, Orchestrations } from '../core/names';
import { acceptedOrchestrator } from '../core/orchestration/accepted';
import { alertJournalOrchestrator } from '../core/orchestration/alertJournal';
import type { StopDeploysInput } from '../core/orchestration/contracts';
import { deployChunkOrchestrator } from '../core/orchestration/deployChunk';
import { laneOrchestrator } from '../core/orchestration/lane';
import { manualRollbackOrchestrator } from '../core/orchestration/manualRollback';
import { releaseOrchestrator } from '../core/orchestration/release';

/** Registers the orchestrations and the activities built over `deps` (resolved on first use). */
export function registerDurable(deps: () => ActivityDeps): void {
  df.app.orchestration(Orchestrations.Lane, laneOrchestrator);
  df.app.orchestration(Orchestrations.Release, releaseOrchestrator);
  df.app.orchestration(Orchestrations.ManualRollback, manualRollbackOrchestrator);
  df.app.orchestration(Orchestrations.Accepted, acceptedOrchestrator);
  df.app.orchestration(Orchestrations.AlertJournal, alertJournalOrchestrator);

  df.app.orchestration(Orchestrations.DeployChunk, deployChunkOrchestrator);

  const handlers = createActivities(deps);
  for (const name of Object.values(Activities)) {
    if (CLIENT_ACTIVITIES.has(name)) continue;
    const handler = handlers[name] as (input: unknown) => Promise<unknown>;
    df.app.activity(name, { handler: (input: unknown) => handler(input) });
  }
  // The activities that raise events to or purge the release's deploy chunks get a Durable client binding.
  for (const name of [Activities.StopDeploys, Activities.PurgeDeployChunks] as const) {
    df.app.activity(name, {
      extraInputs: [df.input.durableClient()],
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
