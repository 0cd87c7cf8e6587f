import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { OrchestrationContext, RetryOptions, Task } from 'durable-functions';
import { Activities, Events, Orchestrations } from '../../../src/core/names';
import {
  awaitAll,
  awaited,
  callActivity,
  callActivityWithRetry,
  callSubOrchestrator,
  EVENT_RAISED,
  eventsReceived,
  inputOf,
  resultOf,
  untakenEvents,
  waitForEvent,
} from '../../../src/core/orchestration/calls';
import { aBuild, aTarget } from '../../builders/target';

const ORCHESTRATION = join(__dirname, '../../../src/core/orchestration');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** A context that records what the orchestrator asked the SDK for. */
function recordingContext(input?: unknown) {
  const calls: unknown[][] = [];
  const task = (...call: unknown[]): Task => {
    calls.push(call);
    return { isCompleted: true, isFaulted: false, result: { echo: call } };
  };
  const df = {
    callActivity: (name: string, i: unknown) => task('callActivity', name, i),
    callActivityWithRetry: (name: string, retry: RetryOptions, i: unknown) =>
      task('callActivityWithRetry', name, retry, i),
    callSubOrchestrator: (name: string, i: unknown, id: string) => task('callSubOrchestrator', name, i, id),
    waitForExternalEvent: (name: string) => task('waitForExternalEvent', name),
    getInput: () => input,
    Task: { all: (tasks: Task[]) => task('all', tasks.length) },
  };
  return { ctx: { df } as unknown as OrchestrationContext, calls };
}

describe('the typed Durable boundary', () => {
  it('is the only place orchestrators reach the SDK calls that carry messages (so no cast carries a type)', () => {
    const direct =
      /\.df\.(callActivity|callActivityWithRetry|callSubOrchestrator|waitForExternalEvent|getInput)\b/;
    const offenders = sources(ORCHESTRATION)
      .filter((f) => !f.endsWith('calls.ts'))
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .map((line, i) => ({ where: `${relative(ORCHESTRATION, f)}:${i + 1}`, line }))
          .filter(({ line }) => direct.test(line)),
      );
    expect(offenders).toEqual([]);
  });

  it('hands the SDK the same names and inputs, unchanged (histories replay as before)', () => {
    const { ctx, calls } = recordingContext({ records: [] });
    const target = aTarget();
    const retry = { firstRetryIntervalInMilliseconds: 1, maxNumberOfAttempts: 2 } as RetryOptions;
    callActivity(ctx, Activities.ResolveSlots, { target });
    callActivityWithRetry(ctx, Activities.ReportToLane, retry, {
      lane: 'lane-x',
      ended: { instanceId: 'x-b1' },
    });
    const chunk = { releaseId: 'x-b1', target, build: aBuild(), slot: 'blue', instances: [], budget: 0 };
    callSubOrchestrator(ctx, Orchestrations.DeployChunk, chunk, 'x-b1:deploy:1:0');
    waitForEvent(ctx, Events.ApprovalDecision);
    expect(inputOf(ctx, Orchestrations.AlertJournal)).toEqual({ records: [] });
    expect(calls).toEqual([
      ['callActivity', 'ResolveSlots', { target }],
      ['callActivityWithRetry', 'ReportToLane', retry, { lane: 'lane-x', ended: { instanceId: 'x-b1' } }],
      ['callSubOrchestrator', 'DeployChunk', chunk, 'x-b1:deploy:1:0'],
      ['waitForExternalEvent', 'ApprovalDecision'],
    ]);
  });

  it('yields exactly the task it was given and returns what the engine sends back', () => {
    const { ctx } = recordingContext();
    const task = waitForEvent(ctx, Events.StopDeploy);
    const gen = awaited(task);
    expect(gen.next().value).toBe(task);
    expect(gen.next({ releaseId: 'x-b1' })).toEqual({ done: true, value: { releaseId: 'x-b1' } });
    expect(resultOf(task)).toEqual({ echo: ['waitForExternalEvent', 'StopDeploy'] });

    const all = awaitAll(ctx, [task, task]);
    expect(all.next().value).toEqual({ isCompleted: true, isFaulted: false, result: { echo: ['all', 2] } });
    expect(all.next([1, 2]).value).toEqual([1, 2]);
  });
});

describe('eventsReceived / untakenEvents', () => {
  const contextWith = (state: unknown): OrchestrationContext =>
    ({ df: { state } }) as unknown as OrchestrationContext;
  const raised = (name: string) => ({ EventType: EVENT_RAISED, Name: name, Input: '{}' });

  it('counts the named EventRaised events of the history, whether taken or not', () => {
    const ctx = contextWith([
      { EventType: 12 },
      { EventType: 0, Name: 'TargetLane' },
      raised('BuildArrived'),
      { EventType: 11, TimerId: 3 },
      raised('BuildArrived'),
      raised('WorkEnded'),
      raised('Other'),
    ]);
    expect(eventsReceived(ctx, ['BuildArrived', 'WorkEnded'])).toBe(3);
    expect(untakenEvents(ctx, ['BuildArrived', 'WorkEnded'], 1)).toBe(2);
    expect(untakenEvents(ctx, ['BuildArrived'], 5)).toBe(0);
  });

  it("is the SDK's own history: EventRaised is durable-functions' HistoryEventType 15", () => {
    // A deep import on purpose: the count must follow the SDK if it ever renumbered.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdk = require('durable-functions/lib/src/history/HistoryEventType') as {
      HistoryEventType: Record<string, number>;
    };
    expect(sdk.HistoryEventType.EventRaised).toBe(EVENT_RAISED);
  });

  it('fails loudly when the SDK no longer exposes the history, instead of dropping events', () => {
    expect(() => eventsReceived(contextWith(undefined), ['BuildArrived'])).toThrow(/context\.df\.state/);
  });
});
