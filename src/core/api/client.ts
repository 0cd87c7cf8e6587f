import type { DurableClient } from 'durable-functions';

/** An orchestration instance as the API needs it. */
export interface InstanceStatus {
  instanceId: string;
  name: string;
  runtimeStatus: string;
  input?: unknown;
  customStatus?: unknown;
  output?: unknown;
  createdTime: string;
  lastUpdatedTime: string;
}

/** The narrow slice of the Durable client the API uses; tests can hand in the local host's client. */
export interface ReleaseClient {
  get(instanceId: string): Promise<InstanceStatus | undefined>;
  list(): Promise<InstanceStatus[]>;
  start(orchestration: string, instanceId: string, input: unknown): Promise<void>;
  /** Raises an event; resolves also for finished instances (the extension answers 410), rejects for unknown ones. */
  raise(instanceId: string, event: string, data: unknown): Promise<void>;
}

/** Runtime states in which an instance still processes events. */
export const ACTIVE_STATES = new Set(['Running', 'Pending', 'ContinuedAsNew', 'Suspended']);

function toIso(d: Date | string | undefined): string {
  if (!d) return '';
  return d instanceof Date ? d.toISOString() : String(d);
}

/**
 * Adapts the durable-functions client. The SDK pastes instance ids and event names into its URLs as they
 * are, so a `?` or `#` would cut the path short and address another instance: every value is encoded here.
 */
export function durableReleaseClient(client: DurableClient): ReleaseClient {
  const enc = encodeURIComponent;
  const map = (s: Awaited<ReturnType<DurableClient['getStatus']>>): InstanceStatus => ({
    instanceId: s.instanceId,
    name: s.name,
    runtimeStatus: String(s.runtimeStatus),
    input: s.input,
    customStatus: s.customStatus,
    output: s.output,
    createdTime: toIso(s.createdTime),
    lastUpdatedTime: toIso(s.lastUpdatedTime),
  });
  return {
    async get(instanceId) {
      try {
        return map(await client.getStatus(enc(instanceId), { showInput: true }));
      } catch (err) {
        if (err instanceof Error && /HTTP 404/.test(err.message)) return undefined;
        throw err;
      }
    },
    async list() {
      return (await client.getStatusAll()).map(map);
    },
    async start(orchestration, instanceId, input) {
      await client.startNew(enc(orchestration), { instanceId: enc(instanceId), input });
    },
    async raise(instanceId, event, data) {
      await client.raiseEvent(enc(instanceId), enc(event), data);
    },
  };
}
