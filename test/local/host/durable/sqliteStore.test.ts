import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../../local/host/clock';
import { SqliteStore } from '../../../../local/host/durable/sqliteStore';
import type { InstanceRecord } from '../../../../local/host/durable/types';
import Database from 'better-sqlite3';
import { createTestHost } from '../../../../local/host/host';
import { APPROVAL_TIMEOUT_MS, registerSampleApp } from '../sampleApp';

describe('SQLite store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'local-host-sqlite-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a store written before input, output and custom status had columns, and writes them there', () => {
    const old: InstanceRecord = {
      instanceId: 'web-b1',
      name: 'Hello',
      executionId: 'e',
      status: 'Completed',
      input: '{"build":1}',
      output: '"done \\u00e9"',
      customStatus: '{"phase":"done"}',
      createdTime: 1,
      lastUpdatedTime: 2,
      parent: null,
      state: { nextSeq: 0, leafIds: [], retries: [] },
    };
    const db = new Database(join(dir, 'durable.sqlite'));
    db.exec(
      'CREATE TABLE instances (instance_id TEXT PRIMARY KEY, created_time INTEGER NOT NULL, status TEXT NOT NULL, record TEXT NOT NULL)',
    );
    db.prepare('INSERT INTO instances VALUES (?, ?, ?, ?)').run(
      'web-b1',
      1,
      'Completed',
      JSON.stringify(old),
    );
    db.close();

    const store = new SqliteStore(dir);
    try {
      expect(store.getInstance('web-b1')).toEqual(old);
      expect(store.queryInstances({}, { top: 5 }).records).toEqual([old]);
      expect(store.queryInstances({}, { top: 5, withInputs: false }).records).toEqual([old]); // old rows: as stored
      const updated = { ...old, instanceId: 'web-b2', output: '{"n":2}' };
      store.commit({ putInstances: [updated] });
      expect(store.getInstance('web-b2')).toEqual(updated);
      expect(store.listInstances().map((r) => r.instanceId)).toEqual(['web-b1', 'web-b2']);
      // A query without inputs reads none of the new rows' inputs.
      expect(
        store.queryInstances({ instanceIdPrefix: 'web-b2' }, { top: 5, withInputs: false }).records,
      ).toEqual([{ ...updated, input: null }]);
    } finally {
      store.close();
    }
    const raw = new Database(join(dir, 'durable.sqlite'));
    const row = raw
      .prepare("SELECT record, input, output, custom_status FROM instances WHERE instance_id = 'web-b2'")
      .get() as {
      record: string;
      input: string;
      output: string;
      custom_status: string;
    };
    raw.close();
    expect(JSON.parse(row.record)).not.toHaveProperty('output');
    expect(row).toMatchObject({ input: '{"build":1}', output: '{"n":2}', custom_status: '{"phase":"done"}' });
  });

  it('keeps instances across host restarts and fires an overdue timer at once', async () => {
    const t0 = Date.UTC(2026, 0, 1, 9, 0, 0);
    const first = await createTestHost({
      register: registerSampleApp,
      store: new SqliteStore(dir),
      clock: new ManualClock(t0),
    });
    first.startNew('Approval', { instanceId: 'persisted', input: { build: 7 } });
    first.startNew('Hello', { instanceId: 'done', input: 'disk' });
    await first.idle();
    const historyBefore = first.history('persisted');
    await first.close();

    // Two hours later: the 1-hour approval timer is overdue when the host comes back.
    const second = await createTestHost({
      register: registerSampleApp,
      store: new SqliteStore(dir),
      clock: new ManualClock(t0 + 2 * APPROVAL_TIMEOUT_MS),
    });
    try {
      expect(second.getStatus('persisted')).toMatchObject({ runtimeStatus: 'Running', input: { build: 7 } });
      await second.idle();
      expect(second.getStatus('persisted')).toMatchObject({
        runtimeStatus: 'Completed',
        output: { outcome: 'timed-out' },
      });
      expect(second.history('persisted').slice(0, historyBefore.length)).toEqual(historyBefore);
      expect(second.getStatus('done')).toMatchObject({ runtimeStatus: 'Completed', output: 'Hello disk' });
      expect(
        second
          .list({ runtimeStatus: ['Completed'] })
          .map((s) => s.instanceId)
          .sort(),
      ).toEqual(['done', 'persisted']);
      expect(second.activityLog).toEqual([]);
    } finally {
      await second.close();
    }
  });
});
