/** In-memory durable store for tests: same contract as the SQLite store, nothing survives the process. */
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

const clone = <T>(value: T): T => structuredClone(value);

/** Keeps everything in maps; values are cloned in and out so callers can never alias stored state. */
export class MemoryStore implements DurableStore {
  #instances = new Map<string, InstanceRecord>();
  #history = new Map<string, HistoryEvent[]>();
  #messages = new Map<number, QueuedMessage>();
  #activities = new Map<number, QueuedActivity>();
  #timers = new Map<number, QueuedTimer>();
  #nextId = 1;

  getInstance(instanceId: string): InstanceRecord | undefined {
    const record = this.#instances.get(instanceId);
    return record ? clone(record) : undefined;
  }

  listInstances(filter?: InstanceFilter): InstanceRecord[] {
    return [...this.#instances.values()].filter((r) => matchesFilter(r, filter)).map(clone);
  }

  queryInstances(filter: InstanceFilter, page: InstancePageRequest): InstancePage {
    const matching = [...this.#instances.values()]
      .filter((r) => matchesFilter(r, filter) && (page.after === undefined || r.instanceId > page.after))
      .sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0));
    const records = matching.slice(0, page.top).map(clone);
    return matching.length > page.top ? { records, next: records.at(-1)!.instanceId } : { records };
  }

  getHistory(instanceId: string): HistoryEvent[] {
    return clone(this.#history.get(instanceId) ?? []);
  }

  loadQueues(): { messages: QueuedMessage[]; activities: QueuedActivity[]; timers: QueuedTimer[] } {
    return {
      messages: clone([...this.#messages.values()].sort((a, b) => a.seq - b.seq)),
      activities: clone([...this.#activities.values()].sort((a, b) => a.id - b.id)),
      timers: clone([...this.#timers.values()].sort((a, b) => a.id - b.id)),
    };
  }

  commit(batch: CommitBatch): CommitResult {
    // Everything is synchronous, so the whole batch is applied without interleaving: atomic by construction.
    const b = clone(batch);
    const dropOf = (ids: string[] | undefined, work: boolean, messages: boolean): void => {
      if (!ids || ids.length === 0) return;
      const set = new Set(ids);
      if (work) {
        for (const [k, v] of this.#activities) if (set.has(v.instanceId)) this.#activities.delete(k);
        for (const [k, v] of this.#timers) if (set.has(v.instanceId)) this.#timers.delete(k);
      }
      if (messages) for (const [k, v] of this.#messages) if (set.has(v.instanceId)) this.#messages.delete(k);
    };
    for (const id of b.deleteInstances ?? []) {
      this.#instances.delete(id);
      this.#history.delete(id);
    }
    dropOf(b.deleteInstances, true, true);
    dropOf(b.clearWork, true, false);
    dropOf(b.clearMessages, false, true);
    for (const id of b.resetHistory ?? []) this.#history.set(id, []);
    for (const seq of b.deleteMessages ?? []) this.#messages.delete(seq);
    for (const id of b.deleteActivities ?? []) this.#activities.delete(id);
    for (const id of b.deleteTimers ?? []) this.#timers.delete(id);
    for (const record of b.putInstances ?? []) this.#instances.set(record.instanceId, record);
    for (const { instanceId, events } of b.appendHistory ?? []) {
      const list = this.#history.get(instanceId) ?? [];
      list.push(...events);
      this.#history.set(instanceId, list);
    }
    const result: CommitResult = { messages: [], activities: [], timers: [] };
    for (const m of b.addMessages ?? []) {
      const row = { ...m, seq: this.#nextId++ };
      this.#messages.set(row.seq, row);
      result.messages.push(clone(row));
    }
    for (const a of b.addActivities ?? []) {
      const row = { ...a, id: this.#nextId++ };
      this.#activities.set(row.id, row);
      result.activities.push(clone(row));
    }
    for (const t of b.addTimers ?? []) {
      const row = { ...t, id: this.#nextId++ };
      this.#timers.set(row.id, row);
      result.timers.push(clone(row));
    }
    return result;
  }

  close(): void {
    // Nothing to release.
  }
}
