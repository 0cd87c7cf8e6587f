/**
 * The SDK's rpc channel answered in process. On Azure the Durable client in the Node worker calls the
 * Functions host, a separate process, over a local HTTP listener only the worker reaches (`rpcBaseUrl`).
 * The local host runs worker, host and extension on one event loop, so over loopback HTTP every client
 * call paid for both ends of the socket and both HTTP parsers on that one thread (measured: more than
 * half of the host's CPU per accepted build). Here the SDK's axios requests to a running host's rpc base
 * go straight to its management handler instead: the same handler, key check, status codes, headers and
 * JSON bodies; only the socket is gone. The client side (the SDK's axios pipeline) still runs as on
 * Azure. The management API under /runtime/webhooks/durabletask and every other URL stay on HTTP.
 * `LOCAL_RPC_TRANSPORT=http` (or `rpcTransport: 'http'`) keeps the rpc channel on loopback HTTP too.
 */
import { dirname } from 'node:path';
import type { AxiosAdapter, AxiosResponse, AxiosStatic, InternalAxiosRequestConfig } from 'axios';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** One rpc request as the management handler reads it. */
export interface RpcRequest {
  method: string;
  url: URL;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: Buffer;
  /** The key the caller presented (the password of its Basic credentials). */
  key: string | undefined;
}

/** The handler's answer. */
export interface RpcReply {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: string;
}

/** Answers rpc requests for one host. */
export type RpcDispatcher = (request: RpcRequest) => Promise<RpcReply>;

/** Hosts answering in process, by `host:port` of their rpc base, with the path their rpc base has. */
const dispatchers = new Map<string, { basePath: string; dispatch: RpcDispatcher }>();
let installed: AxiosStatic | undefined;

/** The axios the SDK's DurableClient uses (resolved from durable-functions, so a nested copy is found too). */
export function sdkAxios(): AxiosStatic {
  const sdkDir = dirname(require.resolve('durable-functions'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(require.resolve('axios', { paths: [sdkDir] })) as AxiosStatic & {
    default?: AxiosStatic;
  };
  return mod.default ?? mod;
}

/** Whether the rpc channel goes in process (the default) or over loopback HTTP. */
export function rpcInProcess(setting: string | undefined = process.env.LOCAL_RPC_TRANSPORT): boolean {
  const value = setting?.trim().toLowerCase();
  if (!value || value === 'in-process') return true;
  if (value === 'http') return false;
  throw new Error(`LOCAL_RPC_TRANSPORT must be 'in-process' or 'http', got '${setting}'`);
}

/**
 * Routes the SDK's requests to `origin` + `basePath` to `dispatch` until the returned function is
 * called. Installs the adapter once: axios instances created afterwards (the SDK makes one per client)
 * take it from the defaults; any other URL goes to axios's own adapter.
 */
export function registerInProcessRpc(origin: string, basePath: string, dispatch: RpcDispatcher): () => void {
  if (!installed) install();
  const key = new URL(origin).host;
  const entry = { basePath: `${basePath.replace(/\/+$/, '')}/`, dispatch };
  dispatchers.set(key, entry);
  return () => {
    if (dispatchers.get(key) === entry) dispatchers.delete(key);
  };
}

/** `host:port` of the hosts whose rpc channel is answered in process now. */
export function inProcessRpcHosts(): string[] {
  return [...dispatchers.keys()];
}

function install(): void {
  const axios = sdkAxios();
  const original = axios.getAdapter(axios.defaults.adapter);
  const adapter: AxiosAdapter = async (config) => {
    const url = new URL(axios.getUri(config));
    const target = url.protocol === 'http:' ? dispatchers.get(url.host) : undefined;
    if (!target || !url.pathname.startsWith(target.basePath)) return original(config);
    return answer(axios, config, url, target.dispatch);
  };
  axios.defaults.adapter = adapter;
  installed = axios;
}

async function answer(
  axios: AxiosStatic,
  config: InternalAxiosRequestConfig,
  url: URL,
  dispatch: RpcDispatcher,
): Promise<AxiosResponse> {
  // As axios's http adapter: `auth` wins over the URL's userinfo, which it sends as Basic credentials.
  const key = config.auth?.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
  url.username = '';
  url.password = '';
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(config.headers.toJSON() as Record<string, unknown>)) {
    if (value !== undefined && value !== null && value !== false) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    }
  }
  headers.host = url.host;
  const data: unknown = config.data;
  const body =
    data === undefined || data === null
      ? Buffer.alloc(0)
      : Buffer.isBuffer(data)
        ? data
        : typeof data === 'string'
          ? Buffer.from(data, 'utf8')
          : Buffer.from(JSON.stringify(data), 'utf8');
  const method = (config.method ?? 'get').toUpperCase();
  // One event-loop turn each way, as a socket round trip takes: the host's Durable engine runs its episodes
  // in those turns. Answered within microtasks, the hook's hand-overs ran back to back and starved the engine
  // (the lane took a flood's last build seconds after its 202, and an alert's episode would wait as long).
  await nextTurn();
  const reply = await dispatch({ method, url, headers, body, key });
  await nextTurn();
  const response: AxiosResponse = {
    data: reply.body,
    status: reply.status,
    statusText: '',
    headers: reply.headers,
    config,
    request: { method, path: `${url.pathname}${url.search}` },
  };
  // Adapters settle themselves (axios's `settle`): the SDK's validateStatus accepts everything below 600.
  if (config.validateStatus && !config.validateStatus(reply.status)) {
    throw new axios.AxiosError(
      `Request failed with status code ${reply.status}`,
      reply.status < 500 ? axios.AxiosError.ERR_BAD_REQUEST : axios.AxiosError.ERR_BAD_RESPONSE,
      config,
      response.request,
      response,
    );
  }
  return response;
}
