/** Builder of an in-memory task hub for the release API's reads (list, status). */
import type { InstancePage, InstanceQuery, InstanceStatus, ReleaseClient } from '../../src/core/api/client';

/** Options of aTaskHub. */
export interface TaskHubOptions {
  /** Pages in another order than by id (reversed in pairs), as a task hub that does not list by id. */
  scrambled?: boolean;
}

/**
 * A task hub in memory that answers instance queries as the Durable extension does (filters, pages of
 * `pageSize`, continuation tokens, inputs left out on `showInput: false`) and records its single reads.
 */
export class MemoryTaskHub implements ReleaseClient {
  readonly pagesInIdOrder: boolean;
  /** Ids read one by one (`get`), in order. */
  readonly gets: string[] = [];

  constructor(
    readonly instances: Map<string, InstanceStatus>,
    readonly scrambled: boolean,
  ) {
    this.pagesInIdOrder = !scrambled;
  }
  async get(id: string) {
    this.gets.push(id);
    return this.instances.get(id);
  }
  async query(q: InstanceQuery): Promise<InstancePage> {
    const matching = [...this.instances.values()]
      .filter((s) => !q.instanceIdPrefix || s.instanceId.startsWith(q.instanceIdPrefix))
      .filter((s) => !q.runtimeStatus || q.runtimeStatus.includes(s.runtimeStatus))
      .filter((s) => !q.createdTimeFrom || Date.parse(s.createdTime) >= q.createdTimeFrom.getTime())
      .filter((s) => !q.createdTimeTo || Date.parse(s.createdTime) <= q.createdTimeTo.getTime())
      .sort((a, b) => (a.instanceId < b.instanceId ? -1 : 1));
    if (this.scrambled)
      for (let i = 0; i + 1 < matching.length; i += 2)
        [matching[i], matching[i + 1]] = [matching[i + 1]!, matching[i]!];
    const from = q.continuationToken ? Number(q.continuationToken) : 0;
    const next = from + q.pageSize;
    const instances = matching
      .slice(from, next)
      .map((s) => (q.showInput === false ? { ...s, input: undefined } : s));
    return { instances, ...(next < matching.length ? { continuationToken: String(next) } : {}) };
  }
  async start() {}
  async raise() {}
  async purge() {
    return false;
  }
}

/** A task hub holding `instances` (by id; shared, not copied), listing in id order unless `scrambled`. */
export function aTaskHub(
  instances: Map<string, InstanceStatus> = new Map(),
  options: TaskHubOptions = {},
): MemoryTaskHub {
  return new MemoryTaskHub(instances, options.scrambled ?? false);
}
