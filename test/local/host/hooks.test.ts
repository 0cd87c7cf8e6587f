import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { createTestHost } from '../../../local/host/host';

describe('hooks registered through @azure/functions', () => {
  it('runs appStart, preInvocation (which may swap the handler) and postInvocation hooks', async () => {
    const seen: string[] = [];
    const host = await createTestHost({
      register: () => {
        app.hook.appStart(() => {
          seen.push('appStart');
        });
        app.hook.appTerminate(() => {
          seen.push('appTerminate');
        });
        app.hook.preInvocation((ctx) => {
          seen.push(`pre:${ctx.invocationContext.functionName}`);
          if (ctx.invocationContext.functionName === 'Swapped') {
            ctx.functionHandler = () => ({ body: 'from the hook' });
          }
        });
        app.hook.postInvocation((ctx) => {
          seen.push(`post:${ctx.invocationContext.functionName}`);
          if (ctx.invocationContext.functionName === 'Throws') ctx.error = null;
          if (ctx.invocationContext.functionName === 'Throws') ctx.result = { body: 'recovered' };
        });
        app.get('Swapped', { route: 'swapped', handler: () => ({ body: 'original' }) });
        app.get('Throws', {
          route: 'throws',
          handler: () => {
            throw new Error('nope');
          },
        });
        df.app.activity('Noop', { handler: () => 'ok' });
        df.app.orchestration('CallsNoop', function* (context) {
          return (yield context.df.callActivity('Noop')) as string;
        });
      },
    });
    try {
      expect(seen).toEqual(['appStart']);
      expect(await (await fetch(`${host.url}/api/swapped`)).text()).toBe('from the hook');
      expect(await (await fetch(`${host.url}/api/throws`)).text()).toBe('recovered');
      host.startNew('CallsNoop', { instanceId: 'n1' });
      await host.idle();
      expect(host.getStatus('n1')?.output).toBe('ok');
      expect(seen).toEqual(
        expect.arrayContaining(['pre:Swapped', 'post:Swapped', 'pre:Noop', 'post:Noop', 'pre:CallsNoop']),
      );
      expect(host.registry.hooks.preInvocation).toHaveLength(1);
    } finally {
      await host.close();
    }
    expect(seen.at(-1)).toBe('appTerminate');
  });
});

describe('registration lifecycle', () => {
  it('rejects an app that registers nothing or throws, and the next host still starts', async () => {
    await expect(createTestHost({ register: () => undefined })).rejects.toThrow('registered no function');
    await expect(
      createTestHost({
        register: () => {
          app.get('Half', { route: 'half', handler: () => ({ body: 'x' }) });
          throw new Error('app composition failed');
        },
      }),
    ).rejects.toThrow('app composition failed');
    const host = await createTestHost({
      register: () => app.get('Half', { route: 'half', handler: () => ({ body: 'whole' }) }),
    });
    try {
      expect(await (await fetch(`${host.url}/api/half`)).text()).toBe('whole');
    } finally {
      await host.close();
    }
  });

  it('refuses duplicate function names within one app, like the worker', async () => {
    await expect(
      createTestHost({
        register: () => {
          app.get('Twice', { handler: () => ({}) });
          app.get('Twice', { handler: () => ({}) });
        },
      }),
    ).rejects.toThrow('already registered');
  });
});
