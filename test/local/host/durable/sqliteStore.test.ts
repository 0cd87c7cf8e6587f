import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../../local/host/clock';
import { SqliteStore } from '../../../../local/host/durable/sqliteStore';
import { createTestHost } from '../../../../local/host/host';
import { APPROVAL_TIMEOUT_MS, registerSampleApp } from '../sampleApp';

describe('SQLite store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'local-host-sqlite-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

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
