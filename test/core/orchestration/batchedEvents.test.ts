/**
 * The orchestrations that continue as new, against Azure's control-queue batches: an event delivered in the same
 * episode as the message that makes them restart (a drain timer, a deploy's result) must be taken, not dropped
 * (durable-functions for Node continues as new with `preserveUnprocessedEvents = false`). Each case queues the
 * event right behind that message, so the local engine delivers both in one episode, as Azure would.
 */
import * as df from 'durable-functions';
import { createTestHost, type TestHost } from '../../../local/host/host';
import { MemoryStore } from '../../../local/host/durable/memoryStore';
import type { CommitBatch, CommitResult } from '../../../local/host/durable/types';
import { EventType } from '../../../local/host/durable/types';
import type { AlertAuditRecord, InstanceRef, RunResult } from '../../../src/core/domain';
import { alertJournalOrchestrator } from '../../../src/core/orchestration/alertJournal';
import type {
  AlertJournalState,
  DeployChunkInput,
  DeployInstanceInput,
} from '../../../src/core/orchestration/contracts';
import { CHUNK_GENERATION, deployChunkOrchestrator } from '../../../src/core/orchestration/deployChunk';
import { Activities, Events, InstanceIds, Orchestrations } from '../../../src/core/names';
import { aBuild, aTarget } from '../../builders/target';

/** A store that calls `after` once a commit queues a message `when` picks (before the engine's next episode). */
class WatchingStore extends MemoryStore {
  #hooks: { when: (b: CommitBatch) => boolean; after: () => void }[] = [];
  /** Runs `after` in a microtask once a commit matches `when` (so the queue holds that message, then what it adds). */
  once(when: (b: CommitBatch) => boolean, after: () => void): void {
    this.#hooks.push({ when, after });
  }
  override commit(batch: CommitBatch): CommitResult {
    const result = super.commit(batch);
    const hit = this.#hooks.findIndex((h) => h.when(batch));
    if (hit >= 0) queueMicrotask(this.#hooks.splice(hit, 1)[0]!.after);
    return result;
  }
}

const queues = (instanceId: string, type: number) => (b: CommitBatch) =>
  (b.addMessages ?? []).some((m) => m.instanceId === instanceId && m.event.EventType === type);

let host: TestHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

describe('a deploy chunk and a StopDeploy in the same batch as its restart', () => {
  const instances: InstanceRef[] = Array.from({ length: CHUNK_GENERATION + 4 }, (_, i) => ({
    id: `/vm/${i}`,
    name: `vm${i}`,
    kind: 'vm',
    address: `10.0.0.${i}`,
  }));
  const deployed: string[] = [];

  it('stops at the restart instead of deploying the next generation', async () => {
    const store = new WatchingStore();
    const chunkId = 'rel-1:deploy:0';
    host = await createTestHost({
      store,
      register: () => {
        df.app.orchestration(Orchestrations.DeployChunk, deployChunkOrchestrator);
        df.app.activity(Activities.DeployInstance, {
          handler: (input: DeployInstanceInput): RunResult => {
            deployed.push(input.instance.name);
            return { instance: input.instance.name, exitCode: 0, succeeded: true, outputTail: '' };
          },
        });
      },
    });
    let results = 0;
    // The last deploy of the first generation: its result is queued, then StopDeploy right behind it.
    store.once(
      (b) => queues(chunkId, EventType.TaskCompleted)(b) && ++results === CHUNK_GENERATION,
      () => host!.raiseEvent(chunkId, Events.StopDeploy, {}),
    );
    const input: DeployChunkInput = {
      releaseId: 'rel-1',
      target: aTarget(),
      build: aBuild(),
      slot: 'green',
      instances,
      budget: 0,
    };
    host.startNew(Orchestrations.DeployChunk, { instanceId: chunkId, input });
    await host.idle();
    expect(host.getStatus(chunkId)).toMatchObject({
      runtimeStatus: 'Completed',
      output: { stopped: 'stop-event' },
    });
    expect(deployed).toEqual(instances.slice(0, CHUNK_GENERATION).map((i) => i.name));
  });
});

describe('the alert journal and deliveries in the same batch as its drain timer', () => {
  const record = (alertId: string): AlertAuditRecord => ({
    alertId,
    rule: 'cpu',
    monitorCondition: 'Fired',
    source: 'metric',
    firedAt: '2026-01-01T09:00:00.000Z',
    receivedAt: '2026-01-01T09:00:00.000Z',
    targets: [],
  });

  it('keeps every delivery', async () => {
    const store = new WatchingStore();
    const id = InstanceIds.alertJournal;
    host = await createTestHost({
      store,
      register: () => {
        df.app.orchestration(Orchestrations.AlertJournal, alertJournalOrchestrator);
      },
    });
    host.startNew(Orchestrations.AlertJournal, { instanceId: id, input: { records: [] } });
    await host.idle();
    // The drain timer fires; two deliveries queue right behind it.
    store.once(queues(id, EventType.TimerFired), () => {
      host!.raiseEvent(id, Events.AlertRecorded, record('b'));
      host!.raiseEvent(id, Events.AlertRecorded, record('c'));
    });
    host.raiseEvent(id, Events.AlertRecorded, record('a'));
    await host.idle();
    const state = host.getStatus(id)?.input as AlertJournalState;
    expect(state.records.map((r) => r.alertId).sort()).toEqual(['a', 'b', 'c']);
  });
});
