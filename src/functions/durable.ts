import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { durableReleaseClient } from '../core/api/client';
import { createActivities, type ActivityDeps } from '../core/activities';
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
    if (name === Activities.StopDeploys) continue;
    const handler = handlers[name] as (input: unknown) => Promise<unknown>;
    df.app.activity(name, { handler: (input: unknown) => handler(input) });
  }
  // The one activity that raises events: it gets a Durable client binding.
  df.app.activity(Activities.StopDeploys, {
    extraInputs: [df.input.durableClient()],
    handler: (input: unknown, context: InvocationContext) =>
      handlers[Activities.StopDeploys](
        input as StopDeploysInput,
        durableReleaseClient(df.getClient(context)),
      ),
  });
}
