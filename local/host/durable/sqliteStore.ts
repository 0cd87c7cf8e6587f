/** SQLite durable store (better-sqlite3 12, WAL): every commit is one transaction, so `kill -9` loses nothing. */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type {
  CommitBatch,
  CommitResult,
  DurableStore,
  HistoryEvent,
  InstanceFilter,
  InstancePage,
  InstancePageRequest,
  InstanceRecord,
  QueuedActivity,
  QueuedMessage,
  QueuedTimer,
} from './types';
import { matchesFilter } from './types';

const SCHEMA = `
-- The record without its input, output and custom status, which are JSON texts of their own: a status is
-- served without parsing them (or escaping them again inside the record), and an instance query without
-- inputs reads none. Stores written before these columns keep the texts in the record (see #record).
CREATE TABLE IF NOT EXISTS instances (
  instance_id TEXT PRIMARY KEY,
  created_time INTEGER NOT NULL,
  status TEXT NOT NULL,
  record TEXT NOT NULL,
  input TEXT,
  output TEXT,
  custom_status TEXT
);
-- Instance queries page in instance id order (the primary key) like the Azure Storage provider's
-- Instances table; a created-time range without a prefix is answered from this index instead.
CREATE INDEX IF NOT EXISTS instances_by_created_time ON instances (created_time);
-- A status or time filter within an id range is tested on this covering index, so only the rows of the page
-- are read from the table. Azure Storage has no secondary index: the Instances table is scanned by
-- partition key (the instance id) over the prefix range and the service tests the same filter on each
-- entity it reads (a sparse filter there costs scanned entities and may answer short pages with a token).
CREATE INDEX IF NOT EXISTS instances_by_id_status_time ON instances (instance_id, status, created_time);
CREATE TABLE IF NOT EXISTS history (
  instance_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  event TEXT NOT NULL,
  PRIMARY KEY (instance_id, position)
);
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  instance_id TEXT NOT NULL,
  execution_id TEXT,
  event TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS activities (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  instance_id TEXT NOT NULL,
  execution_id TEXT NOT NULL,
  task_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  input TEXT,
  attempt INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS timers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  instance_id TEXT NOT NULL,
  execution_id TEXT NOT NULL,
  timer_id INTEGER NOT NULL,
  fire_at INTEGER NOT NULL
);
`;

/** An instances row as read back. */
interface InstanceRow {
  record: string;
  input?: string | null;
  output: string | null;
  custom_status: string | null;
}

/** The columns an InstanceRecord is read from; `input` only when it is wanted. */
const RECORD_COLUMNS = 'record, input, output, custom_status';
const RECORD_COLUMNS_NO_INPUT = 'record, output, custom_status';

interface MessageRow {
  seq: number;
  instance_id: string;
  execution_id: string | null;
  event: string;
}
interface ActivityRow {
  id: number;
  instance_id: string;
  execution_id: string;
  task_id: number;
  name: string;
  input: string | null;
  attempt: number;
}
interface TimerRow {
  id: number;
  instance_id: string;
  execution_id: string;
  timer_id: number;
  fire_at: number;
}

const toMessage = (r: MessageRow): QueuedMessage => ({
  seq: r.seq,
  instanceId: r.instance_id,
  executionId: r.execution_id,
  event: JSON.parse(r.event) as HistoryEvent,
});
const toActivity = (r: ActivityRow): QueuedActivity => ({
  id: r.id,
  instanceId: r.instance_id,
  executionId: r.execution_id,
  taskId: r.task_id,
  name: r.name,
  input: r.input,
  attempt: r.attempt,
});
const toTimer = (r: TimerRow): QueuedTimer => ({
  id: r.id,
  instanceId: r.instance_id,
  executionId: r.execution_id,
  timerId: r.timer_id,
  fireAt: r.fire_at,
});

/** Stores instances, history and queues in `<dataDir>/durable.sqlite`. */
export class SqliteStore implements DurableStore {
  readonly #db: Database.Database;
  readonly #commitTx: (batch: CommitBatch) => CommitResult;
  /** Prepared statements by SQL text: preparing on every call cost more than running them under load. */
  readonly #statements = new Map<string, Database.Statement>();

  #prepare(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.#db = new Database(join(dataDir, 'durable.sqlite'));
    this.#db.pragma('journal_mode = WAL');
    // NORMAL with WAL: a committed step survives a killed host (kill -9, the crash tests), which is what
    // a local host must prove; only an OS crash or power loss may drop the last steps. FULL added an
    // fsync to every step, which blocked the single event loop for milliseconds under load (a hook
    // flood made every alert step wait behind other instances' fsyncs).
    this.#db.pragma('synchronous = NORMAL');
    this.#db.exec(SCHEMA);
    const columns = (this.#db.pragma('table_info(instances)') as { name: string }[]).map((c) => c.name);
    for (const column of ['input', 'output', 'custom_status']) {
      if (!columns.includes(column)) this.#db.exec(`ALTER TABLE instances ADD COLUMN ${column} TEXT`);
    }
    this.#commitTx = this.#db.transaction((batch: CommitBatch) => this.#apply(batch));
  }

  /** The record of a row: its texts from their columns, or (a row written before them) from the record itself. */
  #record(row: InstanceRow): InstanceRecord {
    const parsed = JSON.parse(row.record) as Partial<InstanceRecord>;
    if (parsed.output !== undefined) return parsed as InstanceRecord; // the record holds `output: null` at least
    return {
      ...parsed,
      input: row.input ?? null,
      output: row.output,
      customStatus: row.custom_status,
    } as InstanceRecord;
  }

  getInstance(instanceId: string): InstanceRecord | undefined {
    const row = this.#prepare(`SELECT ${RECORD_COLUMNS} FROM instances WHERE instance_id = ?`).get(
      instanceId,
    ) as InstanceRow | undefined;
    return row ? this.#record(row) : undefined;
  }

  listInstances(filter?: InstanceFilter): InstanceRecord[] {
    const rows = this.#prepare(
      `SELECT ${RECORD_COLUMNS} FROM instances ORDER BY created_time, instance_id`,
    ).all() as InstanceRow[];
    return rows.map((r) => this.#record(r)).filter((r) => matchesFilter(r, filter));
  }

  queryInstances(filter: InstanceFilter, page: InstancePageRequest): InstancePage {
    const { sql, args } = this.#querySql(filter, page);
    const rows = this.#prepare(sql).all(...args) as InstanceRow[];
    const records = rows.slice(0, page.top).map((r) => this.#record(r));
    return rows.length > page.top ? { records, next: records.at(-1)!.instanceId } : { records };
  }

  /** How SQLite answers `queryInstances` (its EXPLAIN QUERY PLAN details), for tests that it uses an index. */
  queryPlan(filter: InstanceFilter, page: InstancePageRequest): string[] {
    const { sql, args } = this.#querySql(filter, page);
    return (this.#db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map(
      (r) => r.detail,
    );
  }

  #querySql(filter: InstanceFilter, page: InstancePageRequest): { sql: string; args: (string | number)[] } {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (page.after !== undefined) {
      where.push('instance_id > ?');
      args.push(page.after);
    }
    const prefix = filter.instanceIdPrefix;
    if (prefix) {
      // A range on the primary key (the index), then the exact test: BINARY order is UTF-8 byte order.
      where.push('instance_id >= ?', 'instance_id < ?', 'substr(instance_id, 1, ?) = ?');
      args.push(prefix, `${prefix}\u{10FFFF}`, [...prefix].length, prefix);
    }
    if (filter.createdTimeFrom !== undefined) {
      where.push('created_time >= ?');
      args.push(filter.createdTimeFrom);
    }
    if (filter.createdTimeTo !== undefined) {
      where.push('created_time <= ?');
      args.push(filter.createdTimeTo);
    }
    if (filter.runtimeStatus && filter.runtimeStatus.length > 0) {
      where.push(`status IN (${filter.runtimeStatus.map(() => '?').join(', ')})`);
      args.push(...filter.runtimeStatus);
    }
    // The planner would take the primary key and read every row of the range from the table to test the
    // filter (2x the time at 10,000 instances); the covering index tests it without touching the table.
    const filters =
      filter.runtimeStatus?.length ||
      filter.createdTimeFrom !== undefined ||
      filter.createdTimeTo !== undefined;
    const index = prefix && filters ? ' INDEXED BY instances_by_id_status_time' : '';
    const columns = page.withInputs === false ? RECORD_COLUMNS_NO_INPUT : RECORD_COLUMNS;
    const sql =
      `SELECT ${columns} FROM instances${index}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ` +
      'ORDER BY instance_id LIMIT ?';
    return { sql, args: [...args, page.top + 1] };
  }

  getHistory(instanceId: string): HistoryEvent[] {
    const rows = this.#prepare('SELECT event FROM history WHERE instance_id = ? ORDER BY position').all(
      instanceId,
    ) as { event: string }[];
    return rows.map((r) => JSON.parse(r.event) as HistoryEvent);
  }

  loadQueues(): { messages: QueuedMessage[]; activities: QueuedActivity[]; timers: QueuedTimer[] } {
    return {
      messages: (this.#prepare('SELECT * FROM messages ORDER BY seq').all() as MessageRow[]).map(toMessage),
      activities: (this.#prepare('SELECT * FROM activities ORDER BY id').all() as ActivityRow[]).map(
        toActivity,
      ),
      timers: (this.#prepare('SELECT * FROM timers ORDER BY id').all() as TimerRow[]).map(toTimer),
    };
  }

  commit(batch: CommitBatch): CommitResult {
    return this.#commitTx(batch);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #apply(b: CommitBatch): CommitResult {
    const db = { prepare: (sql: string) => this.#prepare(sql) };
    for (const id of b.deleteInstances ?? []) {
      db.prepare('DELETE FROM instances WHERE instance_id = ?').run(id);
      db.prepare('DELETE FROM history WHERE instance_id = ?').run(id);
      db.prepare('DELETE FROM messages WHERE instance_id = ?').run(id);
      db.prepare('DELETE FROM activities WHERE instance_id = ?').run(id);
      db.prepare('DELETE FROM timers WHERE instance_id = ?').run(id);
    }
    for (const id of b.clearWork ?? []) {
      db.prepare('DELETE FROM activities WHERE instance_id = ?').run(id);
      db.prepare('DELETE FROM timers WHERE instance_id = ?').run(id);
    }
    for (const id of b.clearMessages ?? []) db.prepare('DELETE FROM messages WHERE instance_id = ?').run(id);
    for (const id of b.resetHistory ?? []) db.prepare('DELETE FROM history WHERE instance_id = ?').run(id);
    for (const seq of b.deleteMessages ?? []) db.prepare('DELETE FROM messages WHERE seq = ?').run(seq);
    for (const id of b.deleteActivities ?? []) db.prepare('DELETE FROM activities WHERE id = ?').run(id);
    for (const id of b.deleteTimers ?? []) db.prepare('DELETE FROM timers WHERE id = ?').run(id);
    for (const r of b.putInstances ?? []) {
      const { input, output, customStatus, ...rest } = r;
      db.prepare(
        'INSERT INTO instances (instance_id, created_time, status, record, input, output, custom_status) VALUES (?, ?, ?, ?, ?, ?, ?) ' +
          'ON CONFLICT(instance_id) DO UPDATE SET created_time = excluded.created_time, status = excluded.status, record = excluded.record, ' +
          'input = excluded.input, output = excluded.output, custom_status = excluded.custom_status',
      ).run(r.instanceId, r.createdTime, r.status, JSON.stringify(rest), input, output, customStatus);
    }
    for (const { instanceId, events } of b.appendHistory ?? []) {
      const { n } = db
        .prepare('SELECT COALESCE(MAX(position), -1) + 1 AS n FROM history WHERE instance_id = ?')
        .get(instanceId) as { n: number };
      const insert = db.prepare('INSERT INTO history (instance_id, position, event) VALUES (?, ?, ?)');
      events.forEach((e, i) => insert.run(instanceId, n + i, JSON.stringify(e)));
    }
    const result: CommitResult = { messages: [], activities: [], timers: [] };
    for (const m of b.addMessages ?? []) {
      const info = db
        .prepare('INSERT INTO messages (instance_id, execution_id, event) VALUES (?, ?, ?)')
        .run(m.instanceId, m.executionId, JSON.stringify(m.event));
      result.messages.push({ ...structuredClone(m), seq: Number(info.lastInsertRowid) });
    }
    for (const a of b.addActivities ?? []) {
      const info = db
        .prepare(
          'INSERT INTO activities (instance_id, execution_id, task_id, name, input, attempt) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(a.instanceId, a.executionId, a.taskId, a.name, a.input, a.attempt);
      result.activities.push({ ...a, id: Number(info.lastInsertRowid) });
    }
    for (const t of b.addTimers ?? []) {
      const info = db
        .prepare('INSERT INTO timers (instance_id, execution_id, timer_id, fire_at) VALUES (?, ?, ?, ?)')
        .run(t.instanceId, t.executionId, t.timerId, t.fireAt);
      result.timers.push({ ...t, id: Number(info.lastInsertRowid) });
    }
    return result;
  }
}
