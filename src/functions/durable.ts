import * as df from 'durable-functions';
import { createActivities, type ActivityDeps } from '../core/activities';
import { Activities, Orchestrations } from '../core/names';
import { acceptedOrchestrator } from '../core/orchestration/accepted';
import { alertJournalOrchestrator } from '../core/orchestration/alertJournal';
import { durableReleaseClient } from '../core/api/client';
import { reportToLane, runLaneEffects } from '../core/api/lane';
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

  const handlers = createActivities(deps);
  for (const name of Object.values(Activities)) {
    if (name === Activities.LaneEffects || name === Activities.ReportToLane) continue;
    const handler = handlers[name] as (input: unknown) => Promise<unknown>;
    df.app.activity(name, { handler: (input: unknown) => handler(input) });
  }
}
