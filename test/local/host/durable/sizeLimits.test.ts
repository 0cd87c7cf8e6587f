import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import { createTestHost } from '../../../../local/host/host';
import type { TestHost } from '../../../../local/host/host';
import { customStatusSizeError } from '../../../../local/host/durable/engine';

/** A custom status whose JSON text (`"xxx…"`) is exactly `chars` UTF-16 code units long. */
const statusOf = (chars: number): string => 'x'.repeat(chars - 2);

function register(): void {
  df.app.orchestration('SetStatus', function* (ctx: OrchestrationContext) {
    const { first, second } = ctx.df.getInput<{ first: number; second?: number }>();
    ctx.df.setCustomStatus(statusOf(first));
    yield ctx.df.callActivity('Echo', 'one');
    if (second !== undefined) {
      ctx.df.setCustomStatus(statusOf(second));
      yield ctx.df.callActivity('Echo', 'two');
    }
    return 'done';
  });
  df.app.orchestration('BigPayloads', function* (ctx: OrchestrationContext) {
    const echoed = (yield ctx.df.callActivity('Echo', ctx.df.getInput<string>())) as string;
    return echoed.length;
  });
  df.app.activity('Echo', { handler: (x: string) => x });
}

describe('Durable size limits, as Azure enforces them', () => {
  let host: TestHost;
  beforeEach(async () => {
    host = await createTestHost({ register });
  });
  afterEach(async () => {
    await host.close();
  });

  it('computes the size as the extension does: integer KB of UTF-16, so up to 17,407 bytes pass', () => {
    expect(customStatusSizeError('x'.repeat(8703))).toBeUndefined(); // 17,406 bytes → 16 KB
    expect(customStatusSizeError('x'.repeat(8704))).toBe(
      'The UTF-16 size of the JSON-serialized payload must not exceed 16 KB. The current payload size is 17 KB.',
    );
    expect(customStatusSizeError('x'.repeat(600_000))).toContain('The current payload size is 1,171 KB.');
  });

  it('accepts a custom status of 16 KB', async () => {
    host.startNew('SetStatus', { instanceId: 's1', input: { first: 8703 } });
    await host.idle();
    const status = host.getStatus('s1');
    expect(status?.runtimeStatus).toBe('Completed');
    expect(status?.customStatus).toBe(statusOf(8703));
  });

  it('fails the orchestration on a custom status over 16 KB, keeps the previous status, runs nothing more', async () => {
    host.startNew('SetStatus', { instanceId: 's2', input: { first: 100, second: 9000 } });
    await host.idle();
    const status = host.getStatus('s2');
    expect(status).toMatchObject({
      runtimeStatus: 'Failed',
      customStatus: statusOf(100),
      output:
        "Orchestrator function 'SetStatus' failed: The UTF-16 size of the JSON-serialized payload must not exceed 16 KB. The current payload size is 17 KB.",
    });
    // The second activity, scheduled in the episode that set the oversized status, never ran.
    expect(host.activityLog.map((r) => r.input)).toEqual(['one']);
  });

  it('fails at once when the first status is already too large', async () => {
    host.startNew('SetStatus', { instanceId: 's3', input: { first: 20_000 } });
    await host.idle();
    expect(host.getStatus('s3')).toMatchObject({ runtimeStatus: 'Failed', customStatus: null });
    expect(host.activityLog).toHaveLength(0);
  });

  it('passes large inputs and outputs: the Azure Storage provider offloads them to blobs', async () => {
    // DurableTask.AzureStorage's MessageManager compresses a message over 45 KB into the large-messages blob
    // container (and the tracking store does the same for table properties over 60 KB): no size cap applies.
    const big = 'y'.repeat(300_000);
    host.startNew('BigPayloads', { instanceId: 'b1', input: big });
    await host.idle();
    expect(host.getStatus('b1')).toMatchObject({ runtimeStatus: 'Completed', output: 300_000 });
  });
});
