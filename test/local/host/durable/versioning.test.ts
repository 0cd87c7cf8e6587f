/**
 * Orchestration versioning on the local host as Durable Functions applies it
 * (learn.microsoft.com/azure/azure-functions/durable/durable-functions-orchestration-versioning): new instances and
 * sub-orchestrations get the host's defaultVersion (or the one asked for), continueAsNew keeps it, and a host runs
 * only instances its versionMatchStrategy allows: the others stay queued (Reject) or fail (Fail).
 */
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import { createTestHost, type TestHost } from '../../../../local/host/host';
import { VERSION_MISMATCH } from '../../../../local/host/durable/engine';
import { MemoryStore } from '../../../../local/host/durable/memoryStore';
import { EventType } from '../../../../local/host/durable/types';
import type { VersioningSettings } from '../../../../local/host/versioning';
import { atLeast, generationAtLeast } from '../../../../src/core/orchestration/version';

/** The version each orchestrator saw, by instance. */
const seen: Record<string, (string | undefined)[]> = {};

function register(): void {
  df.app.orchestration('Versioned', function* (ctx: OrchestrationContext) {
    (seen[ctx.df.instanceId] ??= []).push(ctx.df.version);
    const step = (yield ctx.df.waitForExternalEvent('Go')) as string;
    if (step === 'again') {
      ctx.df.continueAsNew(null);
      return undefined;
    }
    if (step === 'child')
      return yield ctx.df.callSubOrchestrator('Child', null, `${ctx.df.instanceId}-child`);
    if (step === 'child-v9') {
      return yield ctx.df.callSubOrchestrator('Child', null, `${ctx.df.instanceId}-child`, '9.0');
    }
    return ctx.df.version ?? null;
  });
  df.app.orchestration('Child', function* (ctx: OrchestrationContext) {
    yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 1000));
    return ctx.df.version ?? null;
  });
}

const v = (
  defaultVersion: string | undefined,
  matchStrategy: VersioningSettings['matchStrategy'] = 'CurrentOrOlder',
  failureStrategy: VersioningSettings['failureStrategy'] = 'Reject',
): VersioningSettings => ({ defaultVersion, matchStrategy, failureStrategy });

const startedVersion = (host: TestHost, id: string): unknown =>
  host.history(id).find((e) => e.EventType === EventType.ExecutionStarted)?.Version;

describe('orchestration versions on the local host', () => {
  let store: MemoryStore;
  let host: TestHost | undefined;
  /** Starts (or restarts, on the same store) the host with these versioning settings. */
  const boot = async (versioning: VersioningSettings): Promise<TestHost> => {
    await host?.close();
    host = await createTestHost({ register, store, versioning });
    return host;
  };
  beforeEach(() => {
    store = new MemoryStore();
    for (const k of Object.keys(seen)) delete seen[k];
  });
  afterEach(async () => {
    await host?.close();
    host = undefined;
  });

  it('stamps the host defaultVersion on new instances; an explicit version wins', async () => {
    const h = await boot(v('2.0'));
    h.startNew('Versioned', { instanceId: 'a' });
    h.startNew('Versioned', { instanceId: 'b', version: '1.0' });
    await h.idle();
    expect(startedVersion(h, 'a')).toBe('2.0');
    expect(startedVersion(h, 'b')).toBe('1.0');
    expect(seen).toEqual({ a: ['2.0'], b: ['1.0'] });
  });

  it('stamps nothing without a defaultVersion: context.df.version is undefined', async () => {
    const h = await boot(v(undefined));
    h.startNew('Versioned', { instanceId: 'a' });
    await h.idle();
    expect(startedVersion(h, 'a')).toBeUndefined();
    h.raiseEvent('a', 'Go', 'end');
    await h.idle();
    expect(h.getStatus('a')).toMatchObject({ runtimeStatus: 'Completed', output: null });
  });

  it('a sub-orchestration gets the host defaultVersion, not its parent version; or the one asked for', async () => {
    const h = await boot(v('2.0'));
    h.startNew('Versioned', { instanceId: 'p', version: '1.0' });
    h.startNew('Versioned', { instanceId: 'q', version: '1.0' });
    await h.idle();
    h.raiseEvent('p', 'Go', 'child');
    h.raiseEvent('q', 'Go', 'child-v9');
    await h.idle();
    await h.advance(1000);
    expect(h.getStatus('p')).toMatchObject({ runtimeStatus: 'Completed', output: '2.0' });
    expect(startedVersion(h, 'p-child')).toBe('2.0');
    const created = h.history('p').find((e) => e.EventType === EventType.SubOrchestrationInstanceCreated);
    expect(created).toMatchObject({ InstanceId: 'p-child', Version: '2.0' });
    // 9.0 is newer than this host: the child is created with it but left queued (CurrentOrOlder, Reject).
    const queued = h.engine.store.loadQueues().messages.filter((m) => m.instanceId === 'q-child');
    expect(queued.map((m) => [m.event.EventType, m.event.Version])).toEqual([
      [EventType.ExecutionStarted, '9.0'],
    ]);
    expect(h.getStatus('q-child')?.runtimeStatus).toBe('Pending');
    expect(h.getStatus('q')?.runtimeStatus).toBe('Running');
  });

  it('continueAsNew keeps the execution version, whatever the host defaultVersion', async () => {
    let h = await boot(v('1.0'));
    h.startNew('Versioned', { instanceId: 'e' });
    await h.idle();
    h = await boot(v('2.0'));
    h.raiseEvent('e', 'Go', 'again');
    await h.idle();
    expect(startedVersion(h, 'e')).toBe('1.0');
    expect(seen.e).toEqual(['1.0', '1.0', '1.0']);
  });

  it('CurrentOrOlder + Reject: a newer instance waits, untouched, for a host that runs it; then it goes on', async () => {
    let h = await boot(v('2.0'));
    h.startNew('Versioned', { instanceId: 'new' });
    await h.idle();
    const before = h.history('new').length;

    // The app is rolled back to a host of version 1.0: the 2.0 instance must not run on its code.
    h = await boot(v('1.0'));
    expect(h.raiseEvent('new', 'Go', 'end')).toBe('accepted');
    expect(h.terminate('new', 'not on this host')).toBe('accepted');
    await h.idle();
    expect(h.getStatus('new')?.runtimeStatus).toBe('Running');
    expect(h.history('new')).toHaveLength(before);
    expect(h.engine.rejectedInstances).toEqual(['new']);
    expect(h.errors.join('\n')).toContain(
      "instance 'new' (Versioned) has orchestration version '2.0', which is newer than this host's defaultVersion '1.0' (versionMatchStrategy CurrentOrOlder): left queued",
    );
    // Other instances still run on this host.
    h.startNew('Versioned', { instanceId: 'old' });
    await h.idle();
    expect(seen.old).toEqual(['1.0']);

    // A 2.0 host takes it up where it was: the event, then the termination, in order.
    h = await boot(v('2.0'));
    await h.idle();
    expect(h.getStatus('new')).toMatchObject({ runtimeStatus: 'Completed', output: '2.0' });
    expect(seen.new).toEqual(['2.0', '2.0']);
  });

  it('CurrentOrOlder accepts older and unversioned instances on a newer host', async () => {
    let h = await boot(v(undefined));
    h.startNew('Versioned', { instanceId: 'legacy' });
    await h.idle();
    h = await boot(v('1.0'));
    h.startNew('Versioned', { instanceId: 'one' });
    await h.idle();
    h = await boot(v('10.0'));
    h.raiseEvent('legacy', 'Go', 'end');
    h.raiseEvent('one', 'Go', 'end');
    await h.idle();
    expect(h.getStatus('legacy')).toMatchObject({ runtimeStatus: 'Completed', output: null });
    expect(h.getStatus('one')).toMatchObject({ runtimeStatus: 'Completed', output: '1.0' });
    expect(h.engine.rejectedInstances).toEqual([]);
  });

  it('Strict runs only its own version: an older instance waits too', async () => {
    let h = await boot(v('1.0'));
    h.startNew('Versioned', { instanceId: 'one' });
    await h.idle();
    h = await boot(v('2.0', 'Strict'));
    h.raiseEvent('one', 'Go', 'end');
    h.startNew('Versioned', { instanceId: 'two' });
    await h.idle();
    expect(h.getStatus('one')?.runtimeStatus).toBe('Running');
    expect(h.engine.rejectedInstances).toEqual(['one']);
    h.raiseEvent('two', 'Go', 'end');
    await h.idle();
    expect(h.getStatus('two')).toMatchObject({ runtimeStatus: 'Completed', output: '2.0' });
  });

  it('None runs every instance, whatever its version', async () => {
    let h = await boot(v('3.0'));
    h.startNew('Versioned', { instanceId: 'three' });
    await h.idle();
    h = await boot(v('1.0', 'None'));
    h.raiseEvent('three', 'Go', 'end');
    await h.idle();
    expect(h.getStatus('three')).toMatchObject({ runtimeStatus: 'Completed', output: '3.0' });
  });

  it('Fail fails the instance without running its code, and its parent hears of it', async () => {
    let h = await boot(v('1.0'));
    h.startNew('Versioned', { instanceId: 'p' });
    await h.idle();
    h.raiseEvent('p', 'Go', 'child-v9');
    await h.idle();
    h = await boot(v('1.0', 'CurrentOrOlder', 'Fail'));
    await h.advance(1000);
    expect(h.getStatus('p-child')).toMatchObject({ runtimeStatus: 'Failed', output: VERSION_MISMATCH });
    expect(seen['p-child']).toBeUndefined();
    expect(h.getStatus('p')).toMatchObject({ runtimeStatus: 'Failed' });
    expect(String(h.getStatus('p')?.output)).toContain(VERSION_MISMATCH);
  });

  it('a purged rejected instance leaves nothing held back: its id starts over on this host', async () => {
    let h = await boot(v('2.0'));
    h.startNew('Versioned', { instanceId: 'x' });
    await h.idle();
    h = await boot(v('1.0'));
    h.raiseEvent('x', 'Go', 'end');
    await h.idle();
    expect(h.engine.rejectedInstances).toEqual(['x']);
    expect(h.purge('x')).toBe(true);
    h.startNew('Versioned', { instanceId: 'x' });
    await h.idle();
    expect(h.engine.rejectedInstances).toEqual([]);
    expect(startedVersion(h, 'x')).toBe('1.0');
  });
});

/**
 * Why changes are gated: an instance started on version A's code, replayed on B's code where a step was inserted
 * before the point it waits at. Ungated, its history no longer matches the code: the replay matches results to
 * tasks by sequence (and Durable compares only the activity name, the same here), so the inserted step silently
 * gets the recorded result of the step it displaced, which runs again. Gated on the version, it replays A's steps.
 */
describe('a step inserted before the wait, on an instance already waiting', () => {
  let code: 'A' | 'B-ungated' | 'B-gated' = 'A';
  const calls: string[] = [];
  function registerFlow(): void {
    df.app.activity('Step', { handler: (name: string) => (calls.push(name), `${name} done`) });
    df.app.orchestration('Flow', function* (ctx: OrchestrationContext) {
      const results: unknown[] = [];
      const inserted = code === 'B-ungated' || (code === 'B-gated' && atLeast(ctx, '2.0'));
      if (inserted) results.push(yield ctx.df.callActivity('Step', 'check'));
      results.push(yield ctx.df.callActivity('Step', 'prepare'));
      yield ctx.df.waitForExternalEvent('Go');
      results.push(yield ctx.df.callActivity('Step', 'finish'));
      return results;
    });
  }
  let host: TestHost | undefined;
  afterEach(async () => {
    await host?.close();
    host = undefined;
  });

  async function upgradeTo(next: typeof code): Promise<TestHost> {
    const store = new MemoryStore();
    code = 'A';
    calls.length = 0;
    host = await createTestHost({ register: registerFlow, store, versioning: v('1.0') });
    host.startNew('Flow', { instanceId: 'f' });
    await host.idle();
    await host.close();
    code = next;
    host = await createTestHost({ register: registerFlow, store, versioning: v('2.0') });
    host.raiseEvent('f', 'Go');
    await host.idle();
    return host;
  }

  it('ungated, the replay goes wrong silently: wrong results, a step run twice', async () => {
    const h = await upgradeTo('B-ungated');
    expect(h.getStatus('f')).toMatchObject({
      runtimeStatus: 'Completed',
      output: ['prepare done', 'prepare done', 'finish done'],
    });
    expect(calls).toEqual(['prepare', 'prepare', 'finish']);
  });

  it('gated on context.df.version, the A instance replays A and finishes as A; a new instance runs B', async () => {
    const h = await upgradeTo('B-gated');
    expect(h.getStatus('f')).toMatchObject({
      runtimeStatus: 'Completed',
      output: ['prepare done', 'finish done'],
    });
    h.startNew('Flow', { instanceId: 'g' });
    await h.idle();
    h.raiseEvent('g', 'Go');
    await h.idle();
    expect(h.getStatus('g')).toMatchObject({
      runtimeStatus: 'Completed',
      output: ['check done', 'prepare done', 'finish done'],
    });
  });
});

/**
 * An eternal orchestration (continueAsNew after each item, like the lane) keeps its Durable version for ever;
 * `generationAtLeast` lets each new generation, which starts from an empty history, take the new code, while the
 * generation in flight during the upgrade finishes on the old one.
 */
describe('an eternal orchestration across an upgrade', () => {
  let code: 'A' | 'B' = 'A';
  interface Gen {
    writtenBy?: string;
    log: string[];
  }
  function registerLoop(): void {
    df.app.orchestration('Loop', function* (ctx: OrchestrationContext) {
      const state = ctx.df.getInput<Gen>();
      const item = (yield ctx.df.waitForExternalEvent('Item')) as string;
      const newCode = code === 'B' && generationAtLeast(ctx, state.writtenBy, '2.0');
      const log = [...state.log, newCode ? `${item}:new` : `${item}:old`];
      if (item === 'stop') return log;
      ctx.df.continueAsNew({ log, ...(code === 'B' ? { writtenBy: '2.0' } : {}) } satisfies Gen);
      return undefined;
    });
  }
  let host: TestHost | undefined;
  afterEach(async () => {
    await host?.close();
    host = undefined;
  });

  it('the generation in flight finishes on the old code; the next ones take the new code', async () => {
    const store = new MemoryStore();
    code = 'A';
    host = await createTestHost({ register: registerLoop, store, versioning: v('1.0') });
    host.startNew('Loop', { instanceId: 'l', input: { log: [] } });
    await host.idle();
    host.raiseEvent('l', 'Item', 'a1');
    await host.idle();
    await host.close();
    code = 'B';
    host = await createTestHost({ register: registerLoop, store, versioning: v('2.0') });
    for (const item of ['b1', 'b2', 'stop']) {
      host.raiseEvent('l', 'Item', item);
      await host.idle();
    }
    // b1 arrives in the generation A wrote: old code (as it started); b2 in one B wrote: new code.
    expect(host.getStatus('l')).toMatchObject({
      runtimeStatus: 'Completed',
      output: ['a1:old', 'b1:old', 'b2:new', 'stop:new'],
    });
    expect(startedVersion(host, 'l')).toBe('1.0');
  });
});
