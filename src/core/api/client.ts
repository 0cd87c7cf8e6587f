import type { DurableClient } from 'durable-functions';
import type {
  EventName,
  EventPayload,
  OrchestrationInput,
  OrchestrationName,
} from '../orchestration/contracts';

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

/** One page of a Durable instance query: the filters the task hub answers itself, and the page. */
export interface InstanceQuery {
  instanceIdPrefix?: string;
  runtimeStatus?: readonly string[];
  createdTimeFrom?: Date;
  createdTimeTo?: Date;
  /** At most this many instances (the extension's `top`). */
  pageSize: number;
  /** The task hub's opaque token of the previous page. */
  continuationToken?: string;
  /** Whether inputs come back (default true); outputs and custom statuses always do. */
  showInput?: boolean;
}

/** A page of instances in the task hub's order; `continuationToken` when more may follow. */
export interface InstancePage {
  instances: InstanceStatus[];
  continuationToken?: string;
}

/** The task hub refused a query (e.g. a continuation token it did not issue). */
export class InstanceQueryError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'InstanceQueryError';
  }
}

/** The narrow slice of the Durable client the API uses; tests can hand in the local host's client. */
export interface ReleaseClient {
  /** The instance's status, or undefined when it does not exist; `withInput: false` leaves its input out (cheaper). */
  get(instanceId: string, options?: { withInput?: boolean }): Promise<InstanceStatus | undefined>;
  /** One page of instances matching the filter, answered by the task hub's own query. */
  query(query: InstanceQuery): Promise<InstancePage>;
  /** Deletes an instance and its history; false when there was none. */
  purge(instanceId: string): Promise<boolean>;
  /**
   * True when the task hub's query pages list instances in ascending id order across pages (the Azure
   * Storage provider's Instances table, the local host): then an id missing from a page's range does not exist.
   */
  readonly pagesInIdOrder?: boolean;
  /** Starts orchestration `orchestration` with the input it takes. */
  start<N extends OrchestrationName>(
    orchestration: N,
    instanceId: string,
    input: OrchestrationInput<N>,
  ): Promise<void>;
  /** Raises an event; resolves also for finished instances (the extension answers 410), rejects for unknown ones. */
  raise<N extends EventName>(instanceId: string, event: N, data: EventPayload<N>): Promise<void>;
}

/** Runtime states in which an instance still processes events. */
export const ACTIVE_STATES = new Set(['Running', 'Pending', 'ContinuedAsNew', 'Suspended']);

function toIso(d: Date | string | undefined): string {
  if (!d) return '';
  return d instanceof Date ? d.toISOString() : String(d);
}

/**
 * Whether the task hub's backend lists instances by id: the Azure Storage provider (the default, and what
 * the local host mirrors) does; another backend (`storageProvider.type`, e.g. the Durable Task Scheduler's
 * `azureManaged`) is not assumed to.
 */
export function listsInIdOrder(env: NodeJS.ProcessEnv): boolean {
  const type = env.AzureFunctionsJobHost__extensions__durableTask__storageProvider__type?.trim();
  return !type || type.toLowerCase() === 'azurestorage';
}

/** What the SDK's client keeps and uses for its own status queries (not in its typings). */
interface ClientInternals {
  clientData?: {
    rpcBaseUrl?: string;
    managementUrls?: { id: string; statusQueryGetUri: string };
  };
  axiosInstance?: {
    get(
      url: string,
      config?: { headers?: Record<string, string> },
    ): Promise<{ status: number; data: unknown; headers: Record<string, unknown> }>;
  };
}

/** The query URL, as the SDK builds it for `getStatusBy` plus the paging parameters it lacks. */
function queryUrl(data: NonNullable<ClientInternals['clientData']>, q: InstanceQuery): string {
  const params = new URLSearchParams();
  params.set('showInput', String(q.showInput ?? true));
  params.set('top', String(q.pageSize));
  if (q.instanceIdPrefix) params.set('instanceIdPrefix', q.instanceIdPrefix);
  if (q.createdTimeFrom) params.set('createdTimeFrom', q.createdTimeFrom.toISOString());
  if (q.createdTimeTo) params.set('createdTimeTo', q.createdTimeTo.toISOString());
  if (q.runtimeStatus && q.runtimeStatus.length > 0) params.set('runtimeStatus', q.runtimeStatus.join(','));
  if (data.rpcBaseUrl) return `${new URL('instances/', data.rpcBaseUrl).href}?${params.toString()}`;
  const urls = data.managementUrls;
  if (!urls) throw new Error('durable client: neither rpcBaseUrl nor managementUrls in its binding data');
  return `${urls.statusQueryGetUri.replace(urls.id, '')}&${params.toString()}`;
}

/**
 * Adapts the durable-functions client. The SDK pastes instance ids and event names into its URLs as they
 * are, so a `?` or `#` would cut the path short and address another instance: every value is encoded here.
 */
export function durableReleaseClient(
  client: DurableClient,
  pagesInIdOrder: boolean = listsInIdOrder(process.env),
): ReleaseClient {
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
    pagesInIdOrder,
    async get(instanceId, options) {
      try {
        return map(await client.getStatus(enc(instanceId), { showInput: options?.withInput !== false }));
      } catch (err) {
        if (err instanceof Error && /HTTP 404/.test(err.message)) return undefined;
        throw err;
      }
    },
    async query(q) {
      // The SDK's getStatusBy has no `top` or `instanceIdPrefix` and follows every continuation token to
      // the end, reading the whole task hub; the extension's HTTP API (which it calls) pages and filters.
      const internals = client as unknown as ClientInternals;
      if (!internals.clientData || !internals.axiosInstance) {
        throw new Error('durable client: its binding data is not available for a paged query');
      }
      const headers: Record<string, string> = q.continuationToken
        ? { 'x-ms-continuation-token': q.continuationToken }
        : {};
      const response = await internals.axiosInstance.get(queryUrl(internals.clientData, q), { headers });
      if (response.status !== 200 || !Array.isArray(response.data)) {
        const detail = JSON.stringify(response.data ?? '').slice(0, 300);
        throw new InstanceQueryError(
          response.status,
          `instance query answered ${response.status}: ${detail}`,
        );
      }
      const token = response.headers['x-ms-continuation-token'];
      return {
        instances: (response.data as Parameters<typeof map>[0][]).map(map),
        ...(typeof token === 'string' && token !== '' && token !== 'null'
          ? { continuationToken: token }
          : {}),
      };
    },
    async purge(instanceId) {
      const result = await client.purgeInstanceHistory(enc(instanceId));
      return result.instancesDeleted > 0;
    },
    async start(orchestration, instanceId, input) {
      await client.startNew(enc(orchestration), { instanceId: enc(instanceId), input });
    },
    async raise(instanceId, event, data) {
      await client.raiseEvent(enc(instanceId), enc(event), data);
    },
  };
}
