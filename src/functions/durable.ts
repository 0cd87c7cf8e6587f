import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import {
  CLIENT_ACTIVITIES,
  createActivities,
  type ActivityDeps,
  type ChunkClient,
  type PlainActivity,
  type PlainActivityHandlers,
} from '../core/activities';
import { Activities, Orchestrations } from '../core/names';
import { acceptedOrchestrator } from '../core/orchestration/accepted';
import { alertJournalOrchestrator } from '../core/orchestration/alertJournal';
import type { ActivityInput, ActivityName, ActivityOutput } from '../core/orchestration/contracts';
import { deployChunkOrchestrator } from '../core/orchestration/deployChunk';
import { durableReleaseClient } from '../core/api/client';
import { readFreeze, reportToLane, runLaneEffects } from '../core/api/lane';
import { upgradeLegacy } from '../core/legacy';
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
    handler: (input: ActivityInput<typeof Activities.LaneEffects>, ctx) =>
      runLaneEffects(durableReleaseClient(df.getClient(ctx)), upgradeLegacy(input)),
  });
  df.app.activity(Activities.ReportToLane, {
    extraInputs: [client],
    handler: (input: ActivityInput<typeof Activities.ReportToLane>, ctx) =>
      reportToLane(durableReleaseClient(df.getClient(ctx)), upgradeLegacy(input)),
  });

  df.app.activity(Activities.ReadFreeze, {
    extraInputs: [client],
    handler: (input: ActivityInput<typeof Activities.ReadFreeze>, ctx) =>
      readFreeze(durableReleaseClient(df.getClient(ctx)), upgradeLegacy(input)),
  });

  const handlers = createActivities(deps);
  // Generic in the name, so each handler keeps its own input type.
  const plain: PlainActivityHandlers = handlers;
  const registerPlain = <N extends PlainActivity>(name: N): void => register(name, plain[name]);
  for (const name of Object.values(Activities)) {
    if (name === Activities.LaneEffects || name === Activities.ReportToLane) continue;
    if (name === Activities.ReadFreeze) continue;
    if (name === Activities.StopDeploys || name === Activities.PurgeDeployChunks) continue;
    registerPlain(name);
  }
  // The activities that raise events to or purge a release's deploy chunks get a Durable client binding too.
  for (const name of CLIENT_ACTIVITIES) {
    df.app.activity(name, {
      extraInputs: [client],
      handler: (input: ActivityInput<typeof name>, context: InvocationContext) =>
        handlers[name](upgradeLegacy(input), chunkClient(df.getClient(context))),
    });
  }
}

/** Registers one activity whose handler takes only its input (typed by the activity's name). */
function register<N extends ActivityName>(
  name: N,
  handler: (input: ActivityInput<N>) => Promise<ActivityOutput<N>>,
): void {
  // Inputs scheduled by an earlier app version (still in the task hub) arrive in today's shape.
  df.app.activity(name, { handler: (input: ActivityInput<N>) => handler(upgradeLegacy(input)) });
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
