/**
 * The instance query as the extension's HTTP API answers it (`GET instances/?top=&instanceIdPrefix=&
 * createdTimeFrom=&createdTimeTo=&runtimeStatus=`, `x-ms-continuation-token` both ways), from both stores:
 * pages in instance id order, answered from the store (the SQLite store from its indexes).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '../../../../local/host/durable/memoryStore';
import { SqliteStore } from '../../../../local/host/durable/sqliteStore';
import type { DurableStore, InstanceFilter, InstanceRecord } from '../../../../local/host/durable/types';
import { createTestHost, type TestHost } from '../../../../local/host/host';
import { registerSampleApp } from '../sampleApp';

const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);

function record(instanceId: string, createdTime: number, status: InstanceRecord['status']): InstanceRecord {
  return {
    instanceId,
    name: 'Hello',
    executionId: 'e',
    status,
    input: null,
    output: null,
    customStatus: null,
    createdTime,
    lastUpdatedTime: createdTime,
    parent: null,
    state: { nextSeq: 0, leafIds: [], retries: [] },
  };
}

/** Reads every page of a query; returns the ids in order and the page sizes. */
function readAll(
  store: DurableStore,
  filter: InstanceFilter,
  top: number,
): { ids: string[]; sizes: number[] } {
  const ids: string[] = [];
  const sizes: number[] = [];
  let after: string | undefined;
  do {
    const page = store.queryInstances(filter, { top, ...(after ? { after } : {}) });
    ids.push(...page.records.map((r) => r.instanceId));
    sizes.push(page.records.length);
    after = page.next;
  } while (after !== undefined && sizes.length < 100);
  return { ids, sizes };
}

describe.each([
  ['memory', () => ({ store: new MemoryStore() as DurableStore, done: () => undefined })],
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'local-host-query-'));
      const store = new SqliteStore(dir);
      return {
        store: store as DurableStore,
        done: () => {
          store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  ],
])('%s store: instance query', (_name, make) => {
  let store: DurableStore;
  let done: () => void;
  beforeEach(() => {
    ({ store, done } = make());
    const rows = [
      record('web-b2', T0 + 2, 'Completed'),
      record('web-b10', T0 + 10, 'Running'),
      record('web-b1', T0 + 1, 'Completed'),
      record('web-b1:accepted', T0 + 1, 'Completed'),
      record('web-b2-b7', T0 + 7, 'Failed'),
      record('webx-b1', T0 + 3, 'Completed'),
      record('lane-web', T0, 'Running'),
    ];
    store.commit({ putInstances: rows });
  });
  afterEach(() => done());

  it('pages in instance id order with no instance twice or missed, at any page size', () => {
    // Byte order: '0' sorts before ':'.
    const all = ['lane-web', 'web-b1', 'web-b10', 'web-b1:accepted', 'web-b2', 'web-b2-b7', 'webx-b1'];
    for (const top of [1, 2, 3, 7, 100]) {
      const { ids, sizes } = readAll(store, {}, top);
      expect(ids).toEqual(all);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(top);
    }
    // A last page that is exactly full carries no token.
    expect(store.queryInstances({}, { top: 7 }).next).toBeUndefined();
    expect(store.queryInstances({}, { top: 6 }).next).toBe('web-b2-b7');
  });

  it('filters by id prefix, created-time range (inclusive) and runtime status, combined', () => {
    expect(readAll(store, { instanceIdPrefix: 'web-b' }, 2).ids).toEqual([
      'web-b1',
      'web-b10',
      'web-b1:accepted',
      'web-b2',
      'web-b2-b7',
    ]);
    expect(readAll(store, { instanceIdPrefix: 'web-b1' }, 1).ids).toEqual([
      'web-b1',
      'web-b10',
      'web-b1:accepted',
    ]);
    expect(readAll(store, { createdTimeFrom: T0 + 2, createdTimeTo: T0 + 7 }, 2).ids).toEqual([
      'web-b2',
      'web-b2-b7',
      'webx-b1',
    ]);
    expect(readAll(store, { runtimeStatus: ['Running', 'Failed'] }, 1).ids).toEqual([
      'lane-web',
      'web-b10',
      'web-b2-b7',
    ]);
    expect(
      readAll(store, { instanceIdPrefix: 'web-', runtimeStatus: ['Completed'], createdTimeFrom: T0 + 2 }, 5)
        .ids,
    ).toEqual(['web-b2']);
    expect(readAll(store, { instanceIdPrefix: 'nothing' }, 5).ids).toEqual([]);
  });
});

describe('SQLite store: instance query plan', () => {
  it('answers a prefix page from the primary key and a time range from its index, never a full scan', () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-host-plan-'));
    const store = new SqliteStore(dir);
    try {
      const plan = (filter: InstanceFilter) =>
        store.queryPlan(filter, { top: 50, after: 'web-b1' }).join('; ');
      expect(plan({ instanceIdPrefix: 'web-b' })).toMatch(
        /SEARCH instances USING INDEX sqlite_autoindex_instances_1 \(instance_id>\? AND instance_id<\?\)/,
      );
      // The filter is tested on the covering index, not on table rows.
      expect(plan({ instanceIdPrefix: 'web-b', runtimeStatus: ['Completed'], createdTimeFrom: T0 })).toMatch(
        /SEARCH instances USING INDEX instances_by_id_status_time \(instance_id>\? AND instance_id<\?\)/,
      );
      expect(plan({ createdTimeFrom: T0, createdTimeTo: T0 + 1 })).toMatch(/SEARCH instances USING INDEX/);
      expect(plan({})).not.toMatch(/SCAN instances(?! USING)/);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('instance query over the Durable HTTP API', () => {
  let host: TestHost;
  const DURABLE = '/runtime/webhooks/durabletask/instances/';

  beforeAll(async () => {
    host = await createTestHost({ register: registerSampleApp });
    for (let i = 0; i < 5; i++) host.startNew('Hello', { instanceId: `app-b${i}`, input: `n${i}` });
    host.startNew('Hello', { instanceId: 'other-1', input: 'x' });
    await host.idle();
  });
  afterAll(() => host.close());

  it('answers top and instanceIdPrefix with x-ms-continuation-token until the last page', async () => {
    const ids: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const res: Response = await host.fetch(`${DURABLE}?top=2&instanceIdPrefix=app-b&showInput=false`, {
        headers: token ? { 'x-ms-continuation-token': token } : {},
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { instanceId: string; input: unknown }[];
      expect(body.length).toBeLessThanOrEqual(2);
      expect(body.every((s) => s.input === null)).toBe(true);
      ids.push(...body.map((s) => s.instanceId));
      token = res.headers.get('x-ms-continuation-token');
      pages++;
    } while (token && pages < 10);
    expect(ids).toEqual(['app-b0', 'app-b1', 'app-b2', 'app-b3', 'app-b4']);
    expect(pages).toBe(3);
  });

  it('serves the stored texts as they are: the same statuses as the engine builds, with and without inputs', async () => {
    for (const showInput of [true, false]) {
      const options = { top: 3, showInput };
      const res = await host.fetch(`${DURABLE}?top=3&showInput=${showInput}`);
      const expected = host.engine.query({}, options);
      expect(await res.json()).toEqual(JSON.parse(JSON.stringify(expected.statuses)));
      expect(JSON.parse(host.engine.queryJson({}, options).json)).toEqual(
        JSON.parse(JSON.stringify(expected.statuses)),
      );
      expect(res.headers.get('x-ms-continuation-token')).toBe(expected.continuationToken);
    }
    const one = (await (await host.fetch(`${DURABLE}?instanceIdPrefix=app-b1`)).json()) as Record<
      string,
      unknown
    >[];
    expect(one).toEqual([
      expect.objectContaining({ instanceId: 'app-b1', input: 'n1', runtimeStatus: 'Completed' }),
    ]);
  });

  it('refuses a continuation token it did not issue with 400', async () => {
    for (const token of ['garbage!', 'Z2FyYmFnZQ', Buffer.from('{"after":5}').toString('base64url')]) {
      const res = await host.fetch(DURABLE, { headers: { 'x-ms-continuation-token': token } });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ message: expect.stringContaining('continuation token') });
    }
  });

  it('still gives getStatusAll everything: the SDK follows the tokens of the default page size', async () => {
    for (let i = 0; i < 120; i++)
      host.startNew('Hello', { instanceId: `bulk-${String(i).padStart(3, '0')}` });
    await host.idle();
    const first = await host.fetch(DURABLE);
    expect(((await first.json()) as unknown[]).length).toBe(100);
    expect(first.headers.get('x-ms-continuation-token')).toEqual(expect.any(String));
    expect(host.list()).toHaveLength(126);
  });
});
