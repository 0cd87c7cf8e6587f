/**
 * The local host reads orchestration versioning where the Durable extension does: host.json
 * `extensions.durableTask`, each value overridden by its `AzureFunctionsJobHost__extensions__durableTask__*` app
 * setting; and `client.startNew(name, { version })` reaches the engine.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as df from 'durable-functions';
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import type { OrchestrationContext } from 'durable-functions';
import { createTestHost } from '../../../local/host/host';
import { EventType } from '../../../local/host/durable/types';
import { readVersioning, versioningSetting } from '../../../local/host/versioning';
import { CURRENT_ORCHESTRATION_VERSION } from '../../../src/core/orchestration/version';

describe('readVersioning', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'versioning-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const hostJson = (durableTask: Record<string, unknown>): void =>
    writeFileSync(join(dir, 'host.json'), JSON.stringify({ version: '2.0', extensions: { durableTask } }));

  it("defaults to the extension's: no version, CurrentOrOlder, Reject", () => {
    expect(readVersioning(dir, {})).toEqual({
      defaultVersion: undefined,
      matchStrategy: 'CurrentOrOlder',
      failureStrategy: 'Reject',
    });
  });

  it('reads host.json, names case-insensitively', () => {
    hostJson({ defaultVersion: '3.1', versionMatchStrategy: 'strict', versionFailureStrategy: 'FAIL' });
    expect(readVersioning(dir, {})).toEqual({
      defaultVersion: '3.1',
      matchStrategy: 'Strict',
      failureStrategy: 'Fail',
    });
  });

  it('app settings override host.json', () => {
    hostJson({ defaultVersion: '3.1', versionMatchStrategy: 'Strict' });
    const env = {
      [versioningSetting('defaultVersion')]: '4.0',
      [versioningSetting('versionMatchStrategy')]: 'None',
    };
    expect(readVersioning(dir, env)).toMatchObject({ defaultVersion: '4.0', matchStrategy: 'None' });
  });

  it('refuses a value the extension would not accept, naming where it came from', () => {
    hostJson({ versionMatchStrategy: 'Newest' });
    expect(() => readVersioning(dir, {})).toThrow(
      "host.json extensions.durableTask.versionMatchStrategy: 'Newest' is not one of None, Strict, CurrentOrOlder",
    );
    hostJson({});
    expect(() => readVersioning(dir, { [versioningSetting('versionFailureStrategy')]: 'Retry' })).toThrow(
      "AzureFunctionsJobHost__extensions__durableTask__versionFailureStrategy: 'Retry' is not one of Reject, Fail",
    );
    hostJson({ defaultVersion: 2 });
    expect(() => readVersioning(dir, {})).toThrow(
      'host.json extensions.durableTask.defaultVersion: must be a string',
    );
  });

  it("the app's host.json stamps the code's current orchestration version, matched CurrentOrOlder with Reject", () => {
    const root = join(__dirname, '..', '..', '..');
    const json = JSON.parse(readFileSync(join(root, 'host.json'), 'utf8')) as {
      extensionBundle: { version: string };
    };
    expect(readVersioning(root, {})).toEqual({
      defaultVersion: CURRENT_ORCHESTRATION_VERSION,
      matchStrategy: 'CurrentOrOlder',
      failureStrategy: 'Reject',
    });
    // Versioning for Node apps needs extension bundle 4.30.0 or later (the docs' prerequisite).
    expect(json.extensionBundle.version).toBe('[4.30.0, 5.0.0)');
  });
});

describe('client.startNew with a version', () => {
  it('reaches the ExecutionStarted event; without one the host defaultVersion does', async () => {
    const host = await createTestHost({
      versioning: { defaultVersion: '2.0', matchStrategy: 'CurrentOrOlder', failureStrategy: 'Reject' },
      register: () => {
        df.app.orchestration('Echo', function* (ctx: OrchestrationContext) {
          yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 1));
          return ctx.df.version ?? null;
        });
        app.http('StartEcho', {
          route: 'start/{id}',
          methods: ['POST'],
          extraInputs: [df.input.durableClient()],
          handler: async (req: HttpRequest, ctx: InvocationContext) => {
            const client = df.getClient(ctx);
            const version = req.query.get('v') ?? undefined;
            const id = await client.startNew('Echo', {
              instanceId: req.params.id,
              ...(version ? { version } : {}),
            });
            return { status: 202, jsonBody: { id } };
          },
        });
      },
    });
    try {
      expect((await host.fetch('/api/start/a?v=1.5', { method: 'POST' })).status).toBe(202);
      expect((await host.fetch('/api/start/b', { method: 'POST' })).status).toBe(202);
      await host.advance(1);
      const started = (id: string): unknown =>
        host.history(id).find((e) => e.EventType === EventType.ExecutionStarted)?.Version;
      expect([started('a'), started('b')]).toEqual(['1.5', '2.0']);
      expect(host.getStatus('a')?.output).toBe('1.5');
    } finally {
      await host.close();
    }
  });
});
