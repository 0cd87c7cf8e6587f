import { Agent, request } from 'node:http';

/** Where production traffic goes now: the enabled endpoint's target and the port clients use. */
export interface ProductionEndpoint {
  target: string;
  port: number;
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
  /** Where production is (wired by the launcher to the ARM stand-in's profile or a DNS lookup). */
  resolveProduction(): Promise<ProductionEndpoint>;
  /** The slot an endpoint target belongs to, to keep per-slot windows; default the target itself. */
  slotOf?(target: string): string | undefined;
  /** Default 20. */
  ratePerSecond?: number;
  /** Sliding window, default 10 s. */
  windowSeconds?: number;
  /** Default `/`. */
  path?: string;
  /** Default 2000 ms; a request over it counts as an error. */
  requestTimeoutMs?: number;
  /** How long a resolved production endpoint is used before asking again (like a DNS TTL); default 1000 ms. */
  resolveIntervalMs?: number;
}

/** A snapshot of the traffic generator. */
export interface TrafficStats {
  production?: ProductionEndpoint & { slot: string };
  lastResolveError?: string;
  sent: number;
  total: WindowStats;
  slots: Record<string, WindowStats>;
}

/** The running traffic generator. */
export interface TrafficGenerator {
  /** Requests and failures over the window, for one slot or all traffic. */
  window(slot?: string): WindowStats;
  stats(): TrafficStats;
  close(): Promise<void>;
}

interface Sample {
  at: number;
  slot: string;
  ok: boolean;
}

function summarise(samples: Sample[]): WindowStats {
  const errors = samples.filter((s) => !s.ok).length;
  return { requests: samples.length, errors, errorRate: samples.length ? errors / samples.length : 0 };
}

/**
 * Sends a steady, bounded request rate to the production slot, like the users of the app, and keeps a
 * sliding-window error rate (5xx, connection errors and timeouts count as errors). In-flight requests are
 * capped at one second's worth, so a hanging slot cannot make it pile up.
 */
export function startTraffic(options: TrafficOptions): TrafficGenerator {
  const rate = Math.max(1, options.ratePerSecond ?? 20);
  const windowMs = (options.windowSeconds ?? 10) * 1000;
  const path = options.path ?? '/';
  const timeoutMs = options.requestTimeoutMs ?? 2000;
  const resolveEvery = options.resolveIntervalMs ?? 1000;
  const agent = new Agent({ keepAlive: true, maxSockets: rate });
  let samples: Sample[] = [];
  let production: (ProductionEndpoint & { slot: string }) | undefined;
  let resolvedAt = 0;
  let resolving: Promise<void> | undefined;
  let lastResolveError: string | undefined;
  let inFlight = 0;
  let sent = 0;
  let closed = false;

  const prune = () => {
    const cutoff = Date.now() - windowMs;
    let i = 0;
    while (i < samples.length && samples[i].at < cutoff) i++;
    if (i) samples = samples.slice(i);
  };

  const resolve = async () => {
    try {
      const endpoint = await options.resolveProduction();
      production = { ...endpoint, slot: options.slotOf?.(endpoint.target) ?? endpoint.target };
      lastResolveError = undefined;
    } catch (err) {
      // Not the app's failure: no request was sent, so nothing is counted.
      lastResolveError = (err as Error).message;
    } finally {
      resolvedAt = Date.now();
      resolving = undefined;
    }
  };

  const send = (endpoint: ProductionEndpoint & { slot: string }) => {
    inFlight++;
    sent++;
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      inFlight--;
      if (!closed) samples.push({ at: Date.now(), slot: endpoint.slot, ok });
    };
    const req = request(
      { host: endpoint.target, port: endpoint.port, path, method: 'GET', agent, timeout: timeoutMs },
      (res) => {
        res.resume();
        res.on('end', () => finish((res.statusCode ?? 500) < 500));
        res.on('error', () => finish(false));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => finish(false));
    req.end();
  };

  const tick = () => {
    if (closed) return;
    if (Date.now() - resolvedAt >= resolveEvery && !resolving) resolving = resolve();
    if (production && inFlight < rate) send(production);
  };
  const timer = setInterval(tick, 1000 / rate);
  void (resolving = resolve());

  return {
    window(slot?: string) {
      prune();
      return summarise(slot === undefined ? samples : samples.filter((s) => s.slot === slot));
    },
    stats() {
      prune();
      const slots: Record<string, WindowStats> = {};
      for (const slot of new Set(samples.map((s) => s.slot))) {
        slots[slot] = summarise(samples.filter((s) => s.slot === slot));
      }
      return { production, lastResolveError, sent, total: summarise(samples), slots };
    },
    async close() {
      closed = true;
      clearInterval(timer);
      await resolving;
      agent.destroy();
    },
  };
}
