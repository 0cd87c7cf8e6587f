import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import { startHost, type RunningHost } from '../../../local/host/host';
import { ACTIVITY_LIMIT_SETTING, activityLimit } from '../../../src/core/config/hostLimits';
import { loadConfig } from '../../builders/target';
import { ValidationError } from '../../../src/core/errors';
import { aTargetInput, aValidEnv } from '../../builders/target';

const dirs: string[] = [];
function appDirWith(hostJson: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'host-limit-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'host.json'), JSON.stringify(hostJson));
  return dir;
}
const limitJson = (n: unknown) => ({
  version: '2.0',
  extensions: { durableTask: { maxConcurrentActivityFunctions: n } },
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('activityLimit', () => {
  it("reads the app's host.json: the repository's is 10", () => {
    expect(activityLimit({})).toEqual({ value: 10, source: 'host.json maxConcurrentActivityFunctions' });
  });

  it('takes the app-setting override Azure applies over host.json', () => {
    expect(activityLimit({ [ACTIVITY_LIMIT_SETTING]: '40' }, appDirWith(limitJson(5))).value).toBe(40);
  });

  it("falls back to the extension's default, 10 x processors, when host.json does not set it", () => {
    expect(activityLimit({}, appDirWith({ version: '2.0' })).value).toBe(10 * availableParallelism());
  });

  it.each([0, 2.5, 'ten'])('refuses %p as a limit', (bad) => {
    expect(() => activityLimit({}, appDirWith(limitJson(bad)))).toThrow(/must be an integer >= 1/);
    expect(() => activityLimit({ [ACTIVITY_LIMIT_SETTING]: String(bad) })).toThrow(ACTIVITY_LIMIT_SETTING);
  });
});

describe('loadConfig: maxParallel against the host limit', () => {
  const env = (maxParallel: number) =>
    aValidEnv({}, [aTargetInput({ name: 'web-prod', deploy: { scriptKind: 'linux', maxParallel } })]);

  it('accepts maxParallel up to the limit', () => {
    expect(loadConfig(env(10)).targets[0]!.deploy.maxParallel).toBe(10);
    expect(loadConfig(env(25), { value: 25, source: 'test' }).targets[0]!.deploy.maxParallel).toBe(25);
  });

  it('refuses at load a maxParallel the host would silently cap, naming the target and the limit', () => {
    let error: unknown;
    try {
      loadConfig(env(25));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems).toEqual([
      {
        path: 'RELEASE_TARGETS[0].deploy.maxParallel',
        message:
          "target 'web-prod' asks for 25 but the host runs at most 10 activities at once " +
          '(host.json maxConcurrentActivityFunctions); lower maxParallel or raise the host limit',
      },
    ]);
  });

  it('follows the override setting', () => {
    expect(loadConfig({ ...env(25), [ACTIVITY_LIMIT_SETTING]: '25' }).targets[0]!.deploy.maxParallel).toBe(
      25,
    );
    expect(() => loadConfig({ ...env(25), [ACTIVITY_LIMIT_SETTING]: '20' })).toThrow(/at most 20 activities/);
  });
});

describe('the local host honours the same limit', () => {
  let host: RunningHost | undefined;
  afterEach(async () => host?.close());

  async function peakConcurrency(appDir: string, env: Record<string, string> = {}): Promise<number> {
    let running = 0;
    let peak = 0;
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      host = await startHost({
        appDir,
        port: 0,
        inMemory: true,
        logs: false,
        printErrors: false,
        appEntry: () => {
          df.app.activity('Slow', {
            handler: async () => {
              running++;
              peak = Math.max(peak, running);
              await new Promise((r) => setTimeout(r, 20));
              running--;
              return 1;
            },
          });
          df.app.orchestration('FanOut', function* (ctx: OrchestrationContext) {
            const tasks = Array.from({ length: 12 }, () => ctx.df.callActivity('Slow'));
            return (yield ctx.df.Task.all(tasks)) as number[];
          });
        },
      });
    } finally {
      process.env = saved;
    }
    host.engine.startNew('FanOut', { instanceId: 'f' });
    await host.engine.idle();
    expect(host.engine.getStatus('f')?.runtimeStatus).toBe('Completed');
    await host.close();
    host = undefined;
    return peak;
  }

  it('runs at most host.json maxConcurrentActivityFunctions activities at once', async () => {
    expect(await peakConcurrency(appDirWith(limitJson(3)))).toBe(3);
  });

  it('and the override setting when set', async () => {
    expect(await peakConcurrency(appDirWith(limitJson(3)), { [ACTIVITY_LIMIT_SETTING]: '5' })).toBe(5);
  });
});
