/**
 * Control-queue batches on the local engine: an episode delivers an instance's oldest message and the external
 * events queued right behind it (up to `controlQueueBatchSize`), as Azure Storage hands an orchestration a batch
 * of its queued messages; the batch size comes from host.json or its app setting.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import { createTestHost, readControlQueueBatchSize, type TestHost } from '../../../../local/host/host';
import { EventType, type HistoryEvent } from '../../../../local/host/durable/types';

/** Takes `count` events named Item (its input), then one activity result, then returns what it took. */
function* collector(ctx: OrchestrationContext): Generator<df.Task, string[], unknown> {
  const count = ctx.df.getInput<number>();
  const seen: string[] = [];
  for (let i = 0; i < count; i++) seen.push((yield ctx.df.waitForExternalEvent('Item')) as string);
  yield ctx.df.callActivity('Noop');
  return seen;
}

const register = (): void => {
  df.app.orchestration('Collector', collector);
  df.app.activity('Noop', { handler: () => 'ok' });
};

/** The EventRaised count of each episode of a history, in order. */
function eventsPerEpisode(history: HistoryEvent[]): number[] {
  const out: number[] = [];
  for (const e of history) {
    if (e.EventType === EventType.OrchestratorStarted) out.push(0);
    else if (e.EventType === EventType.EventRaised) out[out.length - 1]! += 1;
  }
  return out.filter((n) => n > 0);
}

let host: TestHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

describe('durable engine: control-queue batches', () => {
  it('delivers the events queued behind a message in the same episode, in order', async () => {
    host = await createTestHost({ register });
    host.startNew('Collector', { instanceId: 'c', input: 20 });
    await host.idle();
    for (let i = 0; i < 20; i++) host.raiseEvent('c', 'Item', `e${i}`);
    await host.idle();
    expect(eventsPerEpisode(host.history('c'))).toEqual([20]);
    expect(host.getStatus('c')).toMatchObject({
      runtimeStatus: 'Completed',
      output: Array.from({ length: 20 }, (_, i) => `e${i}`),
    });
  });

  it('takes at most controlQueueBatchSize messages per episode', async () => {
    host = await createTestHost({ register, controlQueueBatchSize: 4 });
    host.startNew('Collector', { instanceId: 'c', input: 10 });
    await host.idle();
    for (let i = 0; i < 10; i++) host.raiseEvent('c', 'Item', `e${i}`);
    await host.idle();
    expect(eventsPerEpisode(host.history('c'))).toEqual([4, 4, 2]);
    expect(host.getStatus('c')?.runtimeStatus).toBe('Completed');
  });

  it('delivers one message per episode with a batch size of 1', async () => {
    host = await createTestHost({ register, controlQueueBatchSize: 1 });
    host.startNew('Collector', { instanceId: 'c', input: 3 });
    await host.idle();
    for (let i = 0; i < 3; i++) host.raiseEvent('c', 'Item', `e${i}`);
    await host.idle();
    expect(eventsPerEpisode(host.history('c'))).toEqual([1, 1, 1]);
  });

  it('starts a new instance with the events raised to it before its first episode', async () => {
    host = await createTestHost({ register });
    host.startNew('Collector', { instanceId: 'c', input: 2 });
    host.raiseEvent('c', 'Item', 'early-1');
    host.raiseEvent('c', 'Item', 'early-2');
    await host.idle();
    const history = host.history('c');
    const first = history.findIndex((e) => e.EventType === EventType.OrchestratorCompleted);
    // ExecutionStarted and both events in the first episode.
    expect(history.slice(0, first).map((e) => e.EventType)).toEqual([
      EventType.OrchestratorStarted,
      EventType.ExecutionStarted,
      EventType.EventRaised,
      EventType.EventRaised,
      EventType.TaskScheduled,
    ]);
    expect(host.getStatus('c')).toMatchObject({ runtimeStatus: 'Completed', output: ['early-1', 'early-2'] });
  });
});

describe('readControlQueueBatchSize', () => {
  const dir = mkdtempSync(join(tmpdir(), 'batch-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const hostJson = (size: unknown): void =>
    writeFileSync(
      join(dir, 'host.json'),
      JSON.stringify({ extensions: { durableTask: { storageProvider: { controlQueueBatchSize: size } } } }),
    );
  const setting = 'AzureFunctionsJobHost__extensions__durableTask__storageProvider__controlQueueBatchSize';

  it('reads host.json storageProvider.controlQueueBatchSize, the app setting overriding it', () => {
    hostJson(16);
    expect(readControlQueueBatchSize(dir, {})).toBe(16);
    expect(readControlQueueBatchSize(dir, { [setting]: '8' })).toBe(8);
  });

  it('leaves the default to the engine when unset or not a positive integer', () => {
    hostJson(0);
    expect(readControlQueueBatchSize(dir, {})).toBeUndefined();
    hostJson('32');
    expect(readControlQueueBatchSize(dir, {})).toBeUndefined();
    expect(readControlQueueBatchSize(join(dir, 'missing'), {})).toBeUndefined();
  });
});
