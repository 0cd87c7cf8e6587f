/**
 * The one place Azure clients are built. Nothing is constructed until first use: a throw while a Functions
 * entry file loads would take the whole app down, so a bad setting only fails the activity that needs it.
 */
import { CdnManagementClient } from '@azure/arm-cdn';
import { ComputeManagementClient } from '@azure/arm-compute';
import { TrafficManagerManagementClient } from '@azure/arm-trafficmanager';
import type { TokenCredential } from '@azure/core-auth';
import type {
  HttpClient,
  Pipeline,
  PipelinePolicy,
  PipelineRequest,
  PipelineResponse,
  PipelineRetryOptions,
  TlsSettings,
} from '@azure/core-rest-pipeline';
import { retryAfterMsOf } from './errors';
import {
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createPipelineFromOptions,
  RestError,
} from '@azure/core-rest-pipeline';
import { armErrorBodyPolicy } from './errors';

/** A policy added to every client's pipeline, once per call or once per attempt. */
export interface AdditionalPolicyConfig {
  policy: PipelinePolicy;
  position: 'perCall' | 'perRetry';
}

/** Public-cloud ARM endpoint; sovereign clouds and the local stand-in override it. */
export const DEFAULT_ARM_ENDPOINT = 'https://management.azure.com';

/** Pipeline options shared by every client (a subset of the SDKs' own client options). */
export interface AzureClientOptions {
  /** Retry of 429 (Retry-After honoured), 5xx, 408 and network errors; bounded attempts. */
  retryOptions?: PipelineRetryOptions;
  /** Extra CA (e.g. a local stand-in's certificate) for processes that cannot use NODE_EXTRA_CA_CERTS. */
  tlsOptions?: TlsSettings;
  /** Per-attempt timeout in ms; a timed-out attempt is retried like a network error. Default 60 000. */
  perTryTimeoutMs?: number;
  /** A `Retry-After` longer than this (seconds) is not waited for in-process: the call fails at once, carrying the wait. Default 60. */
  maxRetryAfterSeconds?: number;
  /** Poll interval of long-running operations when ARM sends no Retry-After. Default 2000 ms. */
  lroPollIntervalMs?: number;
  additionalPolicies?: AdditionalPolicyConfig[];
  httpClient?: HttpClient;
}

/** Inputs of the factory. */
export interface AzureClientsConfig {
  /** ARM endpoint, default `https://management.azure.com`. */
  armEndpoint?: string;
  /** The credential, or a function building it on first use (so DefaultAzureCredential is never built at load). */
  credential: TokenCredential | (() => TokenCredential);
  /** Token scope; default `<armEndpoint>/.default`. */
  credentialScope?: string;
  clientOptions?: AzureClientOptions;
}

/** A bare ARM pipeline for REST calls no SDK covers (the alerts list). */
export interface ArmRestClient {
  endpoint: string;
  pipeline: Pipeline;
  httpClient: HttpClient;
}

/** The lazily built clients, one per subscription. */
export interface AzureClients {
  readonly armEndpoint: string;
  readonly credentialScope: string;
  readonly lroPollIntervalMs: number;
  trafficManager(subscriptionId: string): TrafficManagerManagementClient;
  compute(subscriptionId: string): ComputeManagementClient;
  /** Microsoft.Cdn (Azure Front Door Standard/Premium origin groups and origins). */
  cdn(subscriptionId: string): CdnManagementClient;
  arm(): ArmRestClient;
}

/** Retry defaults: 4 retries, exponential from 0.8 s, capped at 15 s (throttling waits what Retry-After says). */
export const DEFAULT_RETRY_OPTIONS: PipelineRetryOptions = {
  maxRetries: 4,
  retryDelayInMs: 800,
  maxRetryDelayInMs: 15_000,
};

const RETRY_AFTER_HEADERS = ['retry-after', 'retry-after-ms', 'x-ms-retry-after-ms'];

/**
 * Per-attempt policy (sits inside the SDK retry loop):
 * - times out one attempt and rethrows it as a retryable network error (the SDK treats a bare abort as final);
 * - gives a 429 without Retry-After one (exponential), so the SDK's throttling retry applies to it too;
 * - fails a call at once whose Retry-After (seconds or HTTP-date) is beyond `maxRetryAfterSeconds`, with the
 *   wait in the error, so the orchestrator waits on a durable timer instead of a worker and never calls sooner.
 */
export function attemptPolicy(
  perTryTimeoutMs: number,
  maxRetryAfterSeconds: number,
  baseDelayMs: number,
): PipelinePolicy {
  const attempts = new WeakMap<PipelineRequest, number>();
  return {
    name: 'armAttemptPolicy',
    async sendRequest(request, next) {
      const attempt = (attempts.get(request) ?? 0) + 1;
      attempts.set(request, attempt);
      const outer = request.abortSignal;
      const controller = new AbortController();
      const onOuterAbort = (): void => controller.abort();
      outer?.addEventListener('abort', onOuterAbort);
      const timer = setTimeout(() => controller.abort(), perTryTimeoutMs);
      request.abortSignal = controller.signal;
      try {
        const response = await next(request);
        if (response.status === 429 || response.status === 503) {
          const given = RETRY_AFTER_HEADERS.find((h) => response.headers.has(h));
          if (!given && response.status === 429) {
            response.headers.set(
              'retry-after-ms',
              String(Math.min(baseDelayMs * 2 ** (attempt - 1), 30_000)),
            );
          }
          const waitMs = retryAfterMsOf(response.headers);
          if (waitMs !== undefined && waitMs > maxRetryAfterSeconds * 1000) {
            // Not a RestError, so the SDK's retry loop rethrows it at once: neither its throttling strategy
            // (which would sleep the whole wait in this worker) nor its exponential one (which would retry
            // a 503 within seconds, sooner than asked) runs. The orchestrator waits on a durable timer.
            throw new RetryAfterExceededError(response, waitMs);
          }
        }
        return response;
      } catch (err) {
        if (controller.signal.aborted && !outer?.aborted) {
          throw new RestError(
            `no answer within ${perTryTimeoutMs} ms (${request.method} ${new URL(request.url).pathname})`,
            {
              code: 'ETIMEDOUT',
              request,
            },
          );
        }
        throw err;
      } finally {
        clearTimeout(timer);
        outer?.removeEventListener('abort', onOuterAbort);
        request.abortSignal = outer;
      }
    },
  };
}

/** ARM asked to wait longer than an activity should sleep; carries the answer and the wait for `armCause`. */
export class RetryAfterExceededError extends Error {
  override readonly name = 'RetryAfterExceededError';
  readonly statusCode: number;
  readonly retryAfterMs: number;
  readonly response: PipelineResponse;

  constructor(response: PipelineResponse, retryAfterMs: number) {
    super(`ARM asked to retry after ${Math.ceil(retryAfterMs / 1000)} s (HTTP ${response.status})`);
    this.statusCode = response.status;
    this.retryAfterMs = retryAfterMs;
    this.response = response;
  }
}

/** `<endpoint>/.default`, the scope ARM tokens are issued for (per cloud, and for the stand-in). */
export function scopeFor(armEndpoint: string): string {
  return `${armEndpoint.replace(/\/+$/, '')}/.default`;
}

/** Builds the factory; no client, credential or pipeline exists until a method is called. */
export function createAzureClients(config: AzureClientsConfig | (() => AzureClientsConfig)): AzureClients {
  let resolved: AzureClientsConfig | undefined;
  let credential: TokenCredential | undefined;
  const cfg = (): AzureClientsConfig => (resolved ??= typeof config === 'function' ? config() : config);
  const cred = (): TokenCredential => {
    const c = cfg().credential;
    return (credential ??= typeof c === 'function' ? c() : c);
  };
  const endpoint = (): string => (cfg().armEndpoint ?? DEFAULT_ARM_ENDPOINT).replace(/\/+$/, '');
  const scope = (): string => cfg().credentialScope ?? scopeFor(endpoint());
  const opts = (): AzureClientOptions => cfg().clientOptions ?? {};
  const retryOptions = (): PipelineRetryOptions => ({ ...DEFAULT_RETRY_OPTIONS, ...opts().retryOptions });
  const policies = (): AdditionalPolicyConfig[] => [
    {
      policy: attemptPolicy(
        opts().perTryTimeoutMs ?? 60_000,
        opts().maxRetryAfterSeconds ?? 60,
        retryOptions().retryDelayInMs ?? 800,
      ),
      position: 'perRetry',
    },
    { policy: armErrorBodyPolicy, position: 'perCall' },
    ...(opts().additionalPolicies ?? []),
  ];
  const common = () => ({
    endpoint: endpoint(),
    retryOptions: retryOptions(),
    additionalPolicies: policies(),
    ...(opts().tlsOptions ? { tlsOptions: opts().tlsOptions } : {}),
    ...(opts().httpClient ? { httpClient: opts().httpClient } : {}),
    userAgentOptions: { userAgentPrefix: 'bluegreen-release-orchestrator' },
  });

  const tm = new Map<string, TrafficManagerManagementClient>();
  const compute = new Map<string, ComputeManagementClient>();
  const cdn = new Map<string, CdnManagementClient>();
  let arm: ArmRestClient | undefined;

  return {
    get armEndpoint() {
      return endpoint();
    },
    get credentialScope() {
      return scope();
    },
    get lroPollIntervalMs() {
      return opts().lroPollIntervalMs ?? 2000;
    },
    trafficManager(subscriptionId) {
      let client = tm.get(subscriptionId);
      if (!client) {
        client = new TrafficManagerManagementClient(cred(), subscriptionId, {
          ...common(),
          credentialScopes: scope(),
        });
        tm.set(subscriptionId, client);
      }
      return client;
    },
    compute(subscriptionId) {
      let client = compute.get(subscriptionId);
      if (!client) {
        client = new ComputeManagementClient(cred(), subscriptionId, {
          ...common(),
          credentials: { scopes: [scope()] },
        });
        compute.set(subscriptionId, client);
      }
      return client;
    },
    cdn(subscriptionId) {
      let client = cdn.get(subscriptionId);
      if (!client) {
        client = new CdnManagementClient(cred(), subscriptionId, {
          ...common(),
          credentialScopes: scope(),
        });
        cdn.set(subscriptionId, client);
      }
      return client;
    },
    arm() {
      if (!arm) {
        const pipeline = createPipelineFromOptions({
          retryOptions: retryOptions(),
          ...(opts().tlsOptions ? { tlsOptions: opts().tlsOptions } : {}),
          userAgentOptions: { userAgentPrefix: 'bluegreen-release-orchestrator' },
        });
        pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential: cred(), scopes: scope() }));
        for (const { policy, position } of policies()) {
          pipeline.addPolicy(policy, position === 'perRetry' ? { afterPhase: 'Sign' } : {});
        }
        arm = { endpoint: endpoint(), pipeline, httpClient: opts().httpClient ?? createDefaultHttpClient() };
      }
      return arm;
    },
  };
}
