/**
 * Episode scheduling across instances: a backlog of events on one instance (a lane flooded with
 * builds) must not delay another instance's event (an alert for a baking release).
 */
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import { createTestHost, type TestHost } from '../../../../local/host/host';
import { EventType } from '../../../../local/host/durable/types';

/** How many episodes the flooded instance had run when the other instance acted. */
let episodesWhenActed: number | undefined;
/** How many of the new `Sink` instances had run their first episode when the other instance acted. */
let startedWhenActed: number | undefined;
let host: TestHost;

function* waiter(context: OrchestrationContext): Generator<df.Task, string, unknown> {
  yield context.df.waitForExternalEvent('Go');
  return (yield context.df.callActivity('Snapshot')) as string;
}

function* sink(context: OrchestrationContext): Generator<df.Task, void, unknown> {
  yield context.df.waitForExternalEvent('Never');
}

const episodes = (id: string): number =>
  host.history(id).filter((e) => e.EventType === EventType.OrchestratorStarted).length;

beforeEach(async () => {
  episodesWhenActed = undefined;
  startedWhenActed = undefined;
  host = await createTestHost({
    register: () => {
      df.app.orchestration('Waiter', waiter);
      df.app.orchestration('Sink', sink);
      df.app.activity('Snapshot', {
        handler: () => {
          episodesWhenActed = episodes('flooded');
          startedWhenActed = host
            .list()
            .filter((x) => x.name === 'Sink' && x.runtimeStatus === 'Running').length;
          return 'acted';
        },
      });
    },
  });
});

afterEach(async () => {
  await host.close();
});

describe('durable engine: one episode per instance per turn', () => {
  it('an event raised after a 300-event backlog on another instance is handled before that backlog drains', async () => {
    host.startNew('Sink', { instanceId: 'flooded' });
    host.startNew('Waiter', { instanceId: 'quiet' });
    await host.idle();
    for (let i = 0; i < 300; i++) host.raiseEvent('flooded', 'Noise', { i });
    host.raiseEvent('quiet', 'Go', {});
    await host.idle();

    expect(host.getStatus('quiet')).toMatchObject({ runtimeStatus: 'Completed', output: 'acted' });
    // Global FIFO would have delivered all 300 first (10 batches of 32 after its start); round robin lets `quiet`
    // in after a couple of the flooded instance's episodes.
    expect(episodesWhenActed).toBeLessThanOrEqual(3);
    // Nothing lost, per-instance order kept.
    const noise = host
      .history('flooded')
      .filter((e) => e.EventType === EventType.EventRaised)
      .map((e) => JSON.parse(String(e.Input)) as { i: number });
    expect(noise.map((n) => n.i)).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });

  it('an event for an instance in flight goes before a burst of 300 new instances, which all start', async () => {
    host.startNew('Waiter', { instanceId: 'quiet' });
    await host.idle();
    for (let i = 0; i < 300; i++) host.startNew('Sink', { instanceId: `new-${i}` });
    host.raiseEvent('quiet', 'Go', {});
    await host.idle();
    expect(host.getStatus('quiet')).toMatchObject({ runtimeStatus: 'Completed', output: 'acted' });
    // One turn order for all would have started the 300 first; in flight first lets `quiet` in at once.
    expect(startedWhenActed).toBeLessThanOrEqual(2);
    expect(host.list().filter((x) => x.name === 'Sink' && x.runtimeStatus === 'Running')).toHaveLength(300);
  });

  it('new instances are never starved by a backlog of an instance in flight', async () => {
    await host.close();
    host = await createTestHost({
      controlQueueBatchSize: 1,
      register: () => {
        df.app.orchestration('Sink', sink);
      },
    });
    host.startNew('Sink', { instanceId: 'flooded' });
    await host.idle();
    for (let i = 0; i < 300; i++) host.raiseEvent('flooded', 'Noise', { i });
    for (let i = 0; i < 5; i++) host.startNew('Sink', { instanceId: `new-${i}` });
    // Run until every new instance has had its first episode, then count the backlog's episodes meanwhile.
    const startedAll = async (): Promise<boolean> =>
      host.list().filter((x) => x.instanceId.startsWith('new-') && x.runtimeStatus === 'Running').length ===
      5;
    while (!(await startedAll())) await new Promise((r) => setImmediate(r));
    // Two in-flight turns per new instance: about 10 of the 300, not all of them.
    expect(episodes('flooded')).toBeLessThanOrEqual(1 + 2 * 5 + 2);
    await host.idle();
    expect(host.history('flooded').filter((e) => e.EventType === EventType.EventRaised)).toHaveLength(300);
  });
});
