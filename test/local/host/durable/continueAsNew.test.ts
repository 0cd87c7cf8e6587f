/**
 * continueAsNew on the local host as on Durable: the instance restarts with a fresh history, and external events
 * that arrive while it restarts (queued behind the episode that called continueAsNew) are delivered to the new
 * generation, never dropped and never replayed into the old one.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import { createTestHost, type TestHost } from '../../../../local/host/host';

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
}

describe('continueAsNew on the local host', () => {
  let host: TestHost;
  beforeEach(async () => {
    host = await createTestHost({ register });
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
