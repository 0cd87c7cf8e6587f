import { Agent, request } from 'node:http';

/** Where production traffic goes now: the enabled endpoint's target and the port clients use. */
export interface ProductionEndpoint {
  target: string;
  port: number;
}

/** One answer of `resolveProduction`: where to send, and for how long a client may keep it (a DNS TTL). */
export interface ResolvedEndpoint extends ProductionEndpoint {
  /** The answer's TTL in seconds; absent: the generator's `resolveIntervalMs`. */
  ttlSeconds?: number;
}

/** Requests and failures over the sliding window. */
export interface WindowStats {
  requests: number;
  errors: number;
  /** errors / requests; 0 with no requests. */
  errorRate: number;
}

/** Options of the traffic generator. */
export interface TrafficOptions {
  /** Where production is (wired by the launcher to a DNS lookup, the local edge, or the ARM stand-in's profile). */
  resolveProduction(): Promise<ResolvedEndpoint>;
  /** The slot an endpoint target belongs to, to keep per-slot windows; default the target itself. */
  slotOf?(target: string): string | undefined;
  /**
   * The slot of the instance that answered (its `x-served-by` header), when the endpoint alone does not say
   * (an edge in front of both slots). Undefined, or no header: the endpoint's slot.
   */
  slotOfServer?(servedBy: string): string | undefined;
  /** The release target the traffic is for (cutover queries name it); default `webapp`. */
  target?: string;
  /** Default 20 (all clients together). */
  ratePerSecond?: number;
  /**
   * Clients, each with its own resolver cache, default 1. Their first answers expire staggered over one TTL
   * (client i of n keeps it (i+1)/n of the TTL), as a population of clients that resolved at different times.
   */
  clients?: number;
  /** Sliding window, default 10 s. */
  windowSeconds?: number;
  /** How long samples are kept for cutover queries; default 900 s. */
  historySeconds?: number;
  /** Default `/`. */
  path?: string;
  /** Default 2000 ms; a request over it counts as an error. */
  requestTimeoutMs?: number;
  /** How long an answer without a TTL is used before asking again; default 1000 ms. */
  resolveIntervalMs?: number;
}

/** A snapshot of the traffic generator. */
export interface TrafficStats {
  /** The newest answer any client got. */
  production?: ProductionEndpoint & { slot: string };
  lastResolveError?: string;
  sent: number;
  clients: number;
  total: WindowStats;
  /** Per slot, over the window. */
  slots: Record<string, WindowStats>;
  /** Where requests landed since the generator started, per slot (requests answered or failed there). */
  landed: Record<string, number>;
}

/** An answer a client cached: what it named and until when the client keeps it (epoch ms). */
export interface ClientAnswer {
  client: number;
  resolvedAt: number;
  until: number;
  target: string;
  slot: string;
  ttlSeconds?: number;
}

/** One request as sent: when the client sent it (epoch ms), the slot it landed on, and whether it failed. */
export interface Sample {
  at: number;
  slot: string;
  ok: boolean;
  client: number;
}

/** A question to the generator: since when do (at least `share` of) its requests land on `slot`? */
export interface CutoverQuery {
  slot: string;
  /** The app's write, epoch ms. */
  since: number;
  /** The next traffic move, epoch ms: requests after it do not count (a swap rolled back before clients followed). */
  until?: number;
  /** Default 0.99. */
  share?: number;
  /** Each window judged, default 1000 ms. */
  windowMs?: number;
}

/** The answer: reached at an instant, not yet, or not measurable. */
export type CutoverAnswer =
  | { state: 'reached'; reachedAt: number; requests: number }
  | { state: 'pending'; detail: string }
  | { state: 'not-reached'; detail: string }
  | { state: 'not-measured'; reason: string };

/** The running traffic generator. */
export interface TrafficGenerator {
  /** Requests and failures over the window, for one slot or all traffic. */
  window(slot?: string): WindowStats;
  stats(): TrafficStats;
  /** When the generator's requests reached `query.slot` after `query.since` (see `cutoverFrom`). */
  cutover(query: CutoverQuery): CutoverAnswer;
  /** The answers clients cached, oldest first (kept as long as the samples). */
  answers(): ClientAnswer[];
  /** The requests sent, oldest first (kept `historySeconds`). */
  samples(): Sample[];
  /**
   * Every client forgets its answer and resolves again, staggered over the new TTL: for benchmarks that change
   * the TTL and want clients as if it had always been so.
   */
  resetClients(): void;
  /** The release target it sends traffic for. */
  target: string;
  close(): Promise<void>;
}

function summarise(samples: readonly Sample[]): WindowStats {
  let errors = 0;
  for (const s of samples) if (!s.ok) errors++;
  return { requests: samples.length, errors, errorRate: samples.length ? errors / samples.length : 0 };
}

/** Index of the first sample at or after `at` (samples sorted by `at`). */
function firstAtOrAfter(samples: readonly Sample[], at: number): number {
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (samples[mid].at < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * When requests reached a slot, from the samples sent after `since` (sorted by `at`) and complete up to `horizon`:
 * the send time of the first request from which every window of `windowMs` starting at a request has at least
 * `share` of its requests on the slot. So one client still on the old answer keeps it pending (with fewer than
 * 100 requests per window, any request elsewhere breaks the share), and a single lucky request does not count.
 * `reached` needs one complete clean window; with `until` a move that clients never followed before it is
 * `not-reached`.
 */
export function cutoverFrom(samples: readonly Sample[], query: CutoverQuery, horizon: number): CutoverAnswer {
  const share = query.share ?? 0.99;
  const windowMs = query.windowMs ?? 1000;
  const end = Math.min(horizon, query.until ?? Infinity);
  const from = firstAtOrAfter(samples, query.since);
  const to = firstAtOrAfter(samples, end);
  const after = samples.slice(from, to);
  const closed = query.until !== undefined && horizon >= query.until;
  if (after.length === 0) {
    return closed
      ? { state: 'not-measured', reason: 'no requests were sent between the write and the next move' }
      : { state: 'pending', detail: 'no requests sent since the write yet' };
  }
  // Windows [t, t + windowMs) from each distinct send time t: two pointers, counting requests on the slot.
  let lastBad = -1;
  let lastComplete = -1;
  let hi = 0;
  let onSlot = 0;
  let j = 0;
  while (j < after.length) {
    const t = after[j].at;
    if (t + windowMs > end) break;
    lastComplete = j;
    while (hi < after.length && after[hi].at < t + windowMs) {
      if (after[hi].slot === query.slot) onSlot++;
      hi++;
    }
    if (onSlot < share * (hi - j)) lastBad = j;
    // On to the next distinct time: requests sent at the same instant are judged together.
    while (j < after.length && after[j].at === t) {
      if (after[j].slot === query.slot) onSlot--;
      j++;
    }
    if (lastBad >= 0 && after[lastBad].at === t) lastBad = j - 1;
  }
  const first = lastBad + 1;
  if (first <= lastComplete) {
    return { state: 'reached', reachedAt: after[first].at, requests: after.length - first };
  }
  const onNew = after.filter((s) => s.slot === query.slot).length;
  const detail = `${onNew} of ${after.length} requests since the write landed on ${query.slot}`;
  return closed ? { state: 'not-reached', detail } : { state: 'pending', detail };
}

interface Client {
  index: number;
  cache?: { endpoint: ProductionEndpoint & { slot: string }; until: number };
  resolving?: Promise<void>;
  /** The next answer is the first since a (re)start: it expires staggered. */
  fresh: boolean;
}

/**
 * Sends a steady, bounded request rate to production, like the users of the app: each client resolves where
 * production is, keeps the answer for its TTL as a client's resolver cache does, and sends its share of the
 * rate there. Keeps a sliding-window error rate (5xx, connection errors and timeouts count as errors), per-slot
 * counts, and a history of where requests landed, for cutover queries. In-flight requests are capped at one
 * second's worth, so a hanging slot cannot make it pile up.
 */
export function startTraffic(options: TrafficOptions): TrafficGenerator {
  const rate = Math.max(1, options.ratePerSecond ?? 20);
  const clientCount = Math.max(1, Math.min(rate, Math.floor(options.clients ?? 1)));
  const windowMs = (options.windowSeconds ?? 10) * 1000;
  const historyMs = Math.max(windowMs, (options.historySeconds ?? 900) * 1000);
  const path = options.path ?? '/';
  const timeoutMs = options.requestTimeoutMs ?? 2000;
  const resolveEvery = options.resolveIntervalMs ?? 1000;
  const agent = new Agent({ keepAlive: true, maxSockets: rate });
  const clients: Client[] = Array.from({ length: clientCount }, (_, index) => ({ index, fresh: true }));
  // Completed requests, kept sorted by send time (a request completes out of order; inserted in place).
  let samples: Sample[] = [];
  let answers: ClientAnswer[] = [];
  const landed: Record<string, number> = {};
  let production: (ProductionEndpoint & { slot: string }) | undefined;
  let lastResolveError: string | undefined;
  const startedAt = Date.now();
  let inFlight = 0;
  let sent = 0;
  let closed = false;

  const prune = () => {
    const cutoff = Date.now() - historyMs;
    const i = firstAtOrAfter(samples, cutoff);
    if (i) samples = samples.slice(i);
    const j = answers.findIndex((a) => a.until >= cutoff);
    if (j > 0) answers = answers.slice(j);
  };

  const record = (sample: Sample) => {
    let i = samples.length;
    while (i > 0 && samples[i - 1].at > sample.at) i--;
    samples.splice(i, 0, sample);
    landed[sample.slot] = (landed[sample.slot] ?? 0) + 1;
  };

  const resolve = async (client: Client) => {
    try {
      const endpoint = await options.resolveProduction();
      const slot = options.slotOf?.(endpoint.target) ?? endpoint.target;
      const keepMs = endpoint.ttlSeconds !== undefined ? endpoint.ttlSeconds * 1000 : resolveEvery;
      const share = client.fresh ? (client.index + 1) / clientCount : 1;
      client.fresh = false;
      const now = Date.now();
      const until = now + keepMs * share;
      const entry = { endpoint: { target: endpoint.target, port: endpoint.port, slot }, until };
      client.cache = entry;
      production = entry.endpoint;
      lastResolveError = undefined;
      answers.push({
        client: client.index,
        resolvedAt: now,
        until,
        target: endpoint.target,
        slot,
        ...(endpoint.ttlSeconds !== undefined ? { ttlSeconds: endpoint.ttlSeconds } : {}),
      });
      // Sent once the answer is in (a client asks, then connects): never before the answer it uses.
      if (!closed && inFlight < rate) send(client, entry.endpoint, Date.now());
    } catch (err) {
      // Not the app's failure: no request was sent, so nothing is counted.
      lastResolveError = (err as Error).message;
    } finally {
      client.resolving = undefined;
    }
  };

  const send = (client: Client, endpoint: ProductionEndpoint & { slot: string }, at: number) => {
    inFlight++;
    sent++;
    let done = false;
    const finish = (ok: boolean, servedBy?: string) => {
      if (done) return;
      done = true;
      inFlight--;
      const slot = (servedBy && options.slotOfServer?.(servedBy)) || endpoint.slot;
      if (!closed) record({ at, slot, ok, client: client.index });
    };
    const req = request(
      { host: endpoint.target, port: endpoint.port, path, method: 'GET', agent, timeout: timeoutMs },
      (res) => {
        const servedBy = res.headers['x-served-by'];
        res.resume();
        res.on('end', () =>
          finish((res.statusCode ?? 500) < 500, typeof servedBy === 'string' ? servedBy : undefined),
        );
        res.on('error', () => finish(false));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => finish(false));
    req.end();
  };

  // Every tick, each client sends one request: clients' caches are compared at the same instants.
  const tick = () => {
    if (closed) return;
    const now = Date.now();
    for (const client of clients) {
      if (inFlight >= rate) break;
      if (client.cache && now < client.cache.until) send(client, client.cache.endpoint, now);
      else if (!client.resolving) client.resolving = resolve(client);
    }
  };
  const timer = setInterval(tick, (1000 * clientCount) / rate);
  tick();

  const windowSamples = () => samples.slice(firstAtOrAfter(samples, Date.now() - windowMs));

  return {
    target: options.target ?? 'webapp',
    window(slot?: string) {
      prune();
      const recent = windowSamples();
      return summarise(slot === undefined ? recent : recent.filter((s) => s.slot === slot));
    },
    stats() {
      prune();
      const recent = windowSamples();
      const slots: Record<string, WindowStats> = {};
      for (const slot of new Set(recent.map((s) => s.slot))) {
        slots[slot] = summarise(recent.filter((s) => s.slot === slot));
      }
      return {
        production,
        lastResolveError,
        sent,
        clients: clientCount,
        total: summarise(recent),
        slots,
        landed: { ...landed },
      };
    },
    cutover(query) {
      prune();
      if (query.since < startedAt) {
        return { state: 'not-measured', reason: 'the traffic generator started after the write' };
      }
      if (query.since < Date.now() - historyMs) {
        return {
          state: 'not-measured',
          reason: `the write is older than the kept history (${historyMs} ms)`,
        };
      }
      // Requests sent up to one timeout ago have all completed (or failed): later windows may still fill.
      return cutoverFrom(samples, query, Date.now() - timeoutMs);
    },
    answers: () => [...answers],
    samples: () => [...samples],
    resetClients() {
      for (const client of clients) {
        client.cache = undefined;
        client.fresh = true;
      }
    },
    async close() {
      closed = true;
      clearInterval(timer);
      await Promise.all(clients.map((c) => c.resolving));
      agent.destroy();
    },
  };
}
