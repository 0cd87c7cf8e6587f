import { createTestHost } from '../../../../local/host/host';
import type { TestHost } from '../../../../local/host/host';
import { DurableEngineError } from '../../../../local/host/durable/engine';
import { APPROVAL_TIMEOUT_MS, flakyAttempts, registerSampleApp } from '../sampleApp';

describe('durable engine through the real durable-functions replay', () => {
  let host: TestHost;

  beforeEach(async () => {
    flakyAttempts.clear();
    host = await createTestHost({ register: registerSampleApp });
  });

  afterEach(async () => {
    await host.close();
  });

  it('runs an activity and completes with its result', async () => {
    host.startNew('Hello', { instanceId: 'h1', input: 'Tokyo' });
    await host.idle();
    const status = host.getStatus('h1');
    expect(status).toMatchObject({
      runtimeStatus: 'Completed',
      output: 'Hello Tokyo',
      input: 'Tokyo',
      name: 'Hello',
    });
    expect(host.activityLog.map((r) => [r.name, r.input, r.attempt])).toEqual([['SayHello', 'Tokyo', 1]]);
  });

  it('retries a failing activity on the retry timers until it succeeds', async () => {
    host.startNew('Flaky', { instanceId: 'f1', input: 'k1' });
    await host.idle();
    expect(host.getStatus('f1')?.runtimeStatus).toBe('Running');
    expect(host.activityLog.map((r) => r.attempt)).toEqual([1]);
    await host.advance(1000); // first retry after 1 s
    expect(host.activityLog.map((r) => r.attempt)).toEqual([1, 2]);
    await host.advance(2000); // backoff coefficient 2
    expect(host.getStatus('f1')).toMatchObject({ runtimeStatus: 'Completed', output: 'ok k1 after 3' });
    expect(host.activityLog.map((r) => [r.attempt, r.outcome])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'completed'],
    ]);
  });

  it('Task.any: the approval event wins over the 1-hour timer, whose timer is dropped', async () => {
    host.startNew('Approval', { instanceId: 'a1' });
    await host.idle();
    expect(host.getStatus('a1')?.customStatus).toBe('awaiting-approval');
    expect(host.clock.pendingTimers).toBe(1);
    expect(host.raiseEvent('a1', 'Approval', { approved: true, by: 'alice' })).toBe('accepted');
    await host.idle();
    expect(host.getStatus('a1')).toMatchObject({
      runtimeStatus: 'Completed',
      customStatus: 'decided',
      output: { outcome: 'decided', decision: { approved: true, by: 'alice' }, done: 'Hello approver' },
    });
    expect(host.clock.pendingTimers).toBe(0);
  });

  it('Task.any: the 1-hour timer wins when the clock is advanced', async () => {
    host.startNew('Approval', { instanceId: 'a2' });
    await host.idle();
    await host.advance(APPROVAL_TIMEOUT_MS - 1);
    expect(host.getStatus('a2')?.runtimeStatus).toBe('Running');
    await host.advance(1);
    expect(host.getStatus('a2')).toMatchObject({
      runtimeStatus: 'Completed',
      output: { outcome: 'timed-out' },
    });
    // A late event is refused like the extension does (410).
    expect(host.raiseEvent('a2', 'Approval', { approved: true })).toBe('gone');
  });

  it('Task.all fans out and in', async () => {
    host.startNew('FanOut', { instanceId: 'fo', input: [1, 2, 3, 4] });
    await host.idle();
    expect(host.getStatus('fo')).toMatchObject({ runtimeStatus: 'Completed', output: 20 });
    expect(host.activityLog.filter((r) => r.name === 'Double').map((r) => r.input)).toEqual([1, 2, 3, 4]);
  });

  it('runs sub-orchestrations with explicit and derived instance ids', async () => {
    host.startNew('Parent', { instanceId: 'p1' });
    await host.idle();
    expect(host.getStatus('p1')).toMatchObject({
      runtimeStatus: 'Completed',
      output: ['Hello child-a', 'Hello child-b'],
    });
    expect(host.getStatus('p1-child')).toMatchObject({ runtimeStatus: 'Completed', output: 'Hello child-a' });
    const children = host.list().filter((s) => s.instanceId.startsWith('p1:'));
    expect(children).toHaveLength(1);
    expect(children[0]).toMatchObject({ name: 'Hello', input: 'child-b', output: 'Hello child-b' });
  });

  it('continueAsNew restarts the history with the new input and drops unconsumed buffered events', async () => {
    host.startNew('Counter', { instanceId: 'c1', input: 0 });
    await host.idle();
    // Raised while the first generation waits on its timer: buffered there, then dropped by continueAsNew.
    host.raiseEvent('c1', 'Final', 'too-early');
    await host.idle();
    await host.advance(60_000);
    await host.advance(60_000);
    await host.advance(60_000);
    expect(host.getStatus('c1')).toMatchObject({
      runtimeStatus: 'Running',
      input: 3,
      customStatus: { n: 3 },
    });
    const history = host.history('c1');
    expect(history[0].EventType).toBe(12); // a fresh history: OrchestratorStarted, ExecutionStarted, ...
    expect(history.filter((e) => e.EventType === 15)).toHaveLength(0);
    host.raiseEvent('c1', 'Final', 'on-time');
    await host.idle();
    expect(host.getStatus('c1')).toMatchObject({
      runtimeStatus: 'Completed',
      output: { n: 3, ev: 'on-time' },
    });
  });

  it('buffers an event raised before the orchestration waits for it', async () => {
    host.startNew('WaitAfterWork', { instanceId: 'w1' });
    host.raiseEvent('w1', 'Go', { early: true });
    await host.idle();
    expect(host.getStatus('w1')).toMatchObject({
      runtimeStatus: 'Completed',
      output: { first: 'Hello early', go: { early: true } },
    });
  });

  it('fails the instance on an uncaught activity error, and lets the orchestrator catch one', async () => {
    host.startNew('Failing', { instanceId: 'x1' });
    host.startNew('Catching', { instanceId: 'x2' });
    await host.idle();
    const failed = host.getStatus('x1');
    expect(failed?.runtimeStatus).toBe('Failed');
    expect(String(failed?.output)).toContain("Orchestrator function 'Failing' failed");
    expect(String(failed?.output)).toContain('boom x');
    expect(host.getStatus('x2')).toMatchObject({
      runtimeStatus: 'Completed',
      output: "caught: Activity function 'Boom' failed: boom y ",
    });
  });

  it('fails a retried activity after its last attempt (and the trailing retry timer)', async () => {
    host.startNew('RetryExhausted', { instanceId: 'r1' });
    await host.idle();
    await host.advance(500);
    expect(host.activityLog.map((r) => r.attempt)).toEqual([1, 2]);
    expect(host.getStatus('r1')?.runtimeStatus).toBe('Running');
    await host.advance(500);
    const status = host.getStatus('r1');
    expect(status?.runtimeStatus).toBe('Failed');
    expect(String(status?.output)).toContain('boom z');
    expect(host.activityLog).toHaveLength(2);
  });

  it('propagates a sub-orchestration failure to the parent', async () => {
    host.startNew('ParentOfFailing', { instanceId: 'pf' });
    await host.idle();
    expect(host.getStatus('pf-sub')?.runtimeStatus).toBe('Failed');
    expect(host.getStatus('pf')).toMatchObject({
      runtimeStatus: 'Completed',
      output: expect.stringContaining(
        "sub failed: Orchestrator function 'Failing' failed: Activity function 'Boom' failed: boom x",
      ),
    });
  });

  it('terminates and purges', async () => {
    host.startNew('Approval', { instanceId: 't1' });
    await host.idle();
    expect(host.terminate('t1', 'no longer needed')).toBe('accepted');
    await host.idle();
    expect(host.getStatus('t1')).toMatchObject({ runtimeStatus: 'Terminated', output: 'no longer needed' });
    expect(host.clock.pendingTimers).toBe(0);
    expect(host.terminate('t1')).toBe('gone');
    expect(host.purge('t1')).toBe(true);
    expect(host.getStatus('t1')).toBeUndefined();
    expect(host.purge('t1')).toBe(false);
    expect(host.terminate('t1')).toBe('notFound');
  });

  it('refuses to start an id that is running, restarts a finished one', async () => {
    host.startNew('Approval', { instanceId: 'dup' });
    await host.idle();
    expect(() => host.startNew('Approval', { instanceId: 'dup' })).toThrow(DurableEngineError);
    try {
      host.startNew('Approval', { instanceId: 'dup' });
    } catch (err) {
      expect((err as DurableEngineError).status).toBe(409);
    }
    host.terminate('dup');
    await host.idle();
    host.startNew('Hello', { instanceId: 'dup', input: 'again' });
    await host.idle();
    expect(host.getStatus('dup')).toMatchObject({
      name: 'Hello',
      runtimeStatus: 'Completed',
      output: 'Hello again',
    });
  });

  it('lists with runtimeStatus and createdTime filters', async () => {
    host.startNew('Hello', { instanceId: 'l1', input: 'a' });
    await host.idle();
    await host.advance(10_000);
    const later = host.clock.now();
    host.startNew('Approval', { instanceId: 'l2' });
    await host.idle();
    expect(host.list({ runtimeStatus: ['Running'] }).map((s) => s.instanceId)).toEqual(['l2']);
    expect(host.list({ runtimeStatus: ['Completed'] }).map((s) => s.instanceId)).toEqual(['l1']);
    expect(host.list({ createdTimeFrom: later }).map((s) => s.instanceId)).toEqual(['l2']);
  });

  it('gives activities a working durable client binding', async () => {
    host.startNew('Starter', { instanceId: 's1' });
    await host.idle();
    expect(host.getStatus('s1')).toMatchObject({ runtimeStatus: 'Completed', output: 's1-started' });
    expect(host.getStatus('s1-started')).toMatchObject({
      runtimeStatus: 'Completed',
      output: 'Hello from-activity',
    });
  });
});
