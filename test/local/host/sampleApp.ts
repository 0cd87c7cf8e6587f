/** A small app registered through the real @azure/functions + durable-functions APIs, to exercise the host. */
import { app } from '@azure/functions';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';

/** How many times each FlakyActivity key was attempted (the activity fails until its third attempt). */
export const flakyAttempts = new Map<string, number>();

/** One hour, the approval timeout of the Approval orchestration. */
export const APPROVAL_TIMEOUT_MS = 60 * 60 * 1000;

const hello: OrchestrationHandler = function* (context: OrchestrationContext) {
  const name = context.df.getInput<string>();
  const greeting: string = yield context.df.callActivity('SayHello', name);
  return greeting;
};

const flaky: OrchestrationHandler = function* (context: OrchestrationContext) {
  const key = context.df.getInput<string>();
  const retry = new df.RetryOptions(1000, 3);
  retry.backoffCoefficient = 2;
  const result: string = yield context.df.callActivityWithRetry('FlakyActivity', retry, key);
  return result;
};

const approval: OrchestrationHandler = function* (context: OrchestrationContext) {
  context.df.setCustomStatus('awaiting-approval');
  const decision = context.df.waitForExternalEvent('Approval');
  const deadline = new Date(context.df.currentUtcDateTime.getTime() + APPROVAL_TIMEOUT_MS);
  const timeout = context.df.createTimer(deadline);
  const winner: unknown = yield context.df.Task.any([decision, timeout]);
  if (winner === decision) {
    timeout.cancel();
    context.df.setCustomStatus('decided');
    const done: string = yield context.df.callActivity('SayHello', 'approver');
    return { outcome: 'decided', decision: decision.result, done };
  }
  context.df.setCustomStatus('timed-out');
  return { outcome: 'timed-out' };
};

const fanOut: OrchestrationHandler = function* (context: OrchestrationContext) {
  const values = context.df.getInput<number[]>();
  const results: number[] = yield context.df.Task.all(
    values.map((v) => context.df.callActivity('Double', v)),
  );
  return results.reduce((a, b) => a + b, 0);
};

const parent: OrchestrationHandler = function* (context: OrchestrationContext) {
  const named: string = yield context.df.callSubOrchestrator(
    'Hello',
    'child-a',
    `${context.df.instanceId}-child`,
  );
  const unnamed: string = yield context.df.callSubOrchestrator('Hello', 'child-b');
  return [named, unnamed];
};

const counter: OrchestrationHandler = function* (context: OrchestrationContext) {
  const n = context.df.getInput<number>();
  context.df.setCustomStatus({ n });
  if (n < 3) {
    yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 60_000));
    context.df.continueAsNew(n + 1);
    return undefined;
  }
  const ev: unknown = yield context.df.waitForExternalEvent('Final');
  return { n, ev };
};

const waitAfterWork: OrchestrationHandler = function* (context: OrchestrationContext) {
  const first: string = yield context.df.callActivity('SayHello', 'early');
  const go: unknown = yield context.df.waitForExternalEvent('Go');
  return { first, go };
};

const failing: OrchestrationHandler = function* (context: OrchestrationContext) {
  yield context.df.callActivity('Boom', 'x');
  return 'unreachable';
};

const catching: OrchestrationHandler = function* (context: OrchestrationContext) {
  try {
    yield context.df.callActivity('Boom', 'y');
    return 'unreachable';
  } catch (err) {
    return `caught: ${(err as Error).message.split('\n')[0]}`;
  }
};

const starter: OrchestrationHandler = function* (context: OrchestrationContext) {
  const started: string = yield context.df.callActivity('StartViaClient', `${context.df.instanceId}-started`);
  return started;
};

const retryExhausted: OrchestrationHandler = function* (context: OrchestrationContext) {
  yield context.df.callActivityWithRetry('Boom', new df.RetryOptions(500, 2), 'z');
  return 'unreachable';
};

const parentOfFailing: OrchestrationHandler = function* (context: OrchestrationContext) {
  try {
    yield context.df.callSubOrchestrator('Failing', undefined, `${context.df.instanceId}-sub`);
    return 'unreachable';
  } catch (err) {
    return `sub failed: ${(err as Error).message.split('\n')[0]}`;
  }
};

/** Registers the sample app (call inside the test host's `register`). */
export function registerSampleApp(): void {
  df.app.orchestration('Hello', hello);
  df.app.orchestration('Flaky', flaky);
  df.app.orchestration('Approval', approval);
  df.app.orchestration('FanOut', fanOut);
  df.app.orchestration('Parent', parent);
  df.app.orchestration('Counter', counter);
  df.app.orchestration('WaitAfterWork', waitAfterWork);
  df.app.orchestration('Failing', failing);
  df.app.orchestration('Catching', catching);
  df.app.orchestration('Starter', starter);
  df.app.orchestration('RetryExhausted', retryExhausted);
  df.app.orchestration('ParentOfFailing', parentOfFailing);

  df.app.activity('SayHello', { handler: (name: string) => `Hello ${name}` });
  df.app.activity('Double', { handler: (n: number) => n * 2 });
  df.app.activity('Boom', {
    handler: (input: string) => {
      throw new Error(`boom ${input}`);
    },
  });
  df.app.activity('FlakyActivity', {
    handler: (key: string) => {
      const attempt = (flakyAttempts.get(key) ?? 0) + 1;
      flakyAttempts.set(key, attempt);
      if (attempt < 3) throw new Error(`flaky ${key} attempt ${attempt}`);
      return `ok ${key} after ${attempt}`;
    },
  });
  df.app.activity('StartViaClient', {
    extraInputs: [df.input.durableClient()],
    handler: async (instanceId: string, context: InvocationContext) => {
      const client = df.getClient(context);
      return client.startNew('Hello', { instanceId, input: 'from-activity' });
    },
  });

  // HTTP starter: checks existence first (a Running/Pending id is refused), then starts.
  df.app.client.http('StartOrchestration', {
    route: 'start/{name}/{id?}',
    methods: ['POST'],
    authLevel: 'function',
    handler: async (req: HttpRequest, client: df.DurableClient): Promise<HttpResponseInit> => {
      const body = await req.text();
      const input: unknown = body ? JSON.parse(body) : undefined;
      const id = await client.startNew(req.params.name, { instanceId: req.params.id, input });
      return { status: 202, jsonBody: { id } };
    },
  });
  df.app.client.http('StartDuplicate', {
    route: 'start-twice/{id}',
    methods: ['POST'],
    authLevel: 'function',
    handler: async (req: HttpRequest, client: df.DurableClient): Promise<HttpResponseInit> => {
      try {
        await client.startNew('WaitAfterWork', { instanceId: req.params.id });
        return { status: 202 };
      } catch (err) {
        return { status: 409, jsonBody: { error: (err as Error).message } };
      }
    },
  });
  df.app.client.http('GetStatus', {
    route: 'status/{id}',
    methods: ['GET'],
    authLevel: 'function',
    handler: async (req: HttpRequest, client: df.DurableClient): Promise<HttpResponseInit> => {
      const status = await client.getStatus(req.params.id);
      return {
        jsonBody: { runtimeStatus: status.runtimeStatus, output: status.output, custom: status.customStatus },
      };
    },
  });
  df.app.client.http('Raise', {
    route: 'raise/{id}/{event}',
    methods: ['POST'],
    authLevel: 'function',
    handler: async (req: HttpRequest, client: df.DurableClient): Promise<HttpResponseInit> => {
      await client.raiseEvent(req.params.id, req.params.event, await req.json());
      return { status: 202, jsonBody: { raised: true } };
    },
  });
  df.app.client.http('List', {
    route: 'list',
    methods: ['GET'],
    authLevel: 'function',
    handler: async (req: HttpRequest, client: df.DurableClient): Promise<HttpResponseInit> => {
      const statuses = req.query.get('status');
      const from = req.query.get('from');
      const list = await client.getStatusBy({
        runtimeStatus: statuses ? (statuses.split(',') as df.OrchestrationRuntimeStatus[]) : undefined,
        createdTimeFrom: from ? new Date(from) : undefined,
      });
      return { jsonBody: list.map((s) => s.instanceId).sort() };
    },
  });
  df.app.client.http('Terminate', {
    route: 'terminate/{id}',
    methods: ['POST'],
    authLevel: 'function',
    handler: async (req: HttpRequest, client: df.DurableClient): Promise<HttpResponseInit> => {
      await client.terminate(req.params.id, 'stopped by test');
      return { status: 202 };
    },
  });
  df.app.client.http('Purge', {
    route: 'purge/{id}',
    methods: ['DELETE'],
    authLevel: 'function',
    handler: async (req: HttpRequest, client: df.DurableClient): Promise<HttpResponseInit> => {
      const result = await client.purgeInstanceHistory(req.params.id);
      return { jsonBody: { deleted: result.instancesDeleted } };
    },
  });
  app.http('Ping', {
    route: 'ping',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: () => ({
      body: 'pong',
      headers: { 'x-sample': 'yes' },
      cookies: [{ name: 'session', value: 'abc', path: '/', httpOnly: true, sameSite: 'Strict' }],
    }),
  });
  app.http('Item', {
    route: 'items/{id:int}',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: (req: HttpRequest) => ({ jsonBody: { id: Number(req.params.id), q: req.query.get('q') } }),
  });
  app.http('Whoami', {
    route: 'whoami',
    methods: ['GET', 'POST'],
    authLevel: 'anonymous',
    // What the app sees of the caller's identity headers (the host owns them, as App Service does).
    handler: (req: HttpRequest) => ({
      jsonBody: Object.fromEntries([...req.headers.entries()].filter(([k]) => k.startsWith('x-ms-'))),
    }),
  });
  app.http('Echo', {
    route: 'echo',
    methods: ['POST'],
    authLevel: 'admin',
    handler: async (req: HttpRequest) => ({ status: 201, body: await req.text() }),
  });
}
