/**
 * continueAsNew on the local host as on Durable: the instance restarts with a fresh history; external events that
 * arrive while it restarts go to the new generation, never replayed into the old one; and, as on Azure, the events
 * of the episode's own batch that the old generation did not take are dropped (durable-functions for Node continues
 * as new with `preserveUnprocessedEvents = false`) unless the orchestrator takes them first (`untakenEvents`).
 */
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import { createTestHost, type TestHost } from '../../../../local/host/host';
import { untakenEvents } from '../../../../src/core/orchestration/calls';

interface Tally {
  seen: string[];
}

function register(): void {
  df.app.orchestration('Tally', function* (ctx: OrchestrationContext) {
    const state = ctx.df.getInput<Tally>();
    const item = (yield ctx.df.waitForExternalEvent('Item')) as string;
    const next: Tally = { seen: [...state.seen, item] };
    ctx.df.setCustomStatus(next.seen.length);
    if (item === 'stop') return next;
    ctx.df.continueAsNew(next);
    return undefined;
  });
  // The same, but it takes every event its history was delivered before it restarts.
  df.app.orchestration('TallyAll', function* (ctx: OrchestrationContext) {
    const state = ctx.df.getInput<Tally>();
    const seen = [...state.seen, (yield ctx.df.waitForExternalEvent('Item')) as string];
    while (untakenEvents(ctx, ['Item'], seen.length - state.seen.length) > 0) {
      seen.push((yield ctx.df.waitForExternalEvent('Item')) as string);
    }
    if (seen.includes('stop')) return { seen };
    ctx.df.continueAsNew({ seen });
    return undefined;
  });
}

describe('continueAsNew on the local host', () => {
  let host: TestHost;
  beforeEach(async () => {
    host = await createTestHost({ register });
  });
  afterEach(async () => host.close());

  it('drops the events of its batch the old generation did not take, as Azure does', async () => {
    host.startNew('Tally', { instanceId: 't', input: { seen: [] } });
    await host.idle();
    // Queued together, so one episode delivers them all (an Azure control-queue batch holds up to 32).
    for (let i = 0; i < 10; i++) host.raiseEvent('t', 'Item', `e${i}`);
    await host.idle();
    const tallied = host.history('t').filter((e) => e.EventType === 15);
    expect(host.getStatus('t')).toMatchObject({ runtimeStatus: 'Running', input: { seen: ['e0'] } });
    expect(tallied).toHaveLength(0);
  });

  it('keeps every event of its batch when the orchestrator takes what it was delivered first', async () => {
    host.startNew('TallyAll', { instanceId: 't', input: { seen: [] } });
    await host.idle();
    const items = Array.from({ length: 70 }, (_, i) => `e${i}`);
    for (const item of items) host.raiseEvent('t', 'Item', item);
    host.raiseEvent('t', 'Item', 'stop');
    await host.idle();
    expect(host.getStatus('t')).toMatchObject({
      runtimeStatus: 'Completed',
      output: { seen: [...items, 'stop'] },
    });
  });
});

describe('continueAsNew on the local host, one message per episode', () => {
  let host: TestHost;
  beforeEach(async () => {
    host = await createTestHost({ register, controlQueueBatchSize: 1 });
  });
  afterEach(async () => host.close());

  it('carries events raised during the restart into the new generation, in order', async () => {
    host.startNew('Tally', { instanceId: 't', input: { seen: [] } });
    await host.idle();
    // All raised before the engine runs one episode: every one after the first arrives while it restarts.
    const items = Array.from({ length: 30 }, (_, i) => `e${i}`);
    for (const item of items) expect(host.raiseEvent('t', 'Item', item)).toBe('accepted');
    host.raiseEvent('t', 'Item', 'stop');
    await host.idle();
    expect(host.getStatus('t')).toMatchObject({
      runtimeStatus: 'Completed',
      output: { seen: [...items, 'stop'] },
    });
  });

  it('keeps each generation small: the history holds only the last generation', async () => {
    host.startNew('Tally', { instanceId: 't', input: { seen: [] } });
    await host.idle();
    const lengths: number[] = [];
    for (let i = 0; i < 20; i++) {
      host.raiseEvent('t', 'Item', `e${i}`);
      await host.idle();
      lengths.push(host.history('t').length);
    }
    expect(Math.max(...lengths)).toBeLessThanOrEqual(4);
    expect((host.getStatus('t')?.input as Tally).seen).toHaveLength(20);
  });
});
