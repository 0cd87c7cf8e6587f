/** Fault injection and the request log of the ARM stand-in. */

/** What a matching request gets instead of (or before) its normal answer. */
export interface FaultSpec {
  /** HTTP method to match (case-insensitive); any when omitted. */
  method?: string;
  /** Regular expression tested case-insensitively against the URL path (no query); any when omitted. */
  path?: string;
  /** How many matching requests the fault applies to; default 1 (unlimited while `forMs` runs). */
  count?: number;
  /** An outage window: the fault answers every matching request for this many ms after it was added. */
  forMs?: number;
  /** Answer with this status (e.g. 429, 500, 503) and ARM's error body. */
  status?: number;
  /** `Retry-After` header value in seconds (429/503). */
  retryAfterSeconds?: number;
  /** Send `Retry-After` as an HTTP-date (now + `retryAfterSeconds`) instead of delay-seconds; ARM may send either. */
  retryAfterHttpDate?: boolean;
  /** ARM error code of the body; default from the status (TooManyRequests, InternalServerError, ...). */
  errorCode?: string;
  message?: string;
  /** Delay the request by this many ms; combined with `status` the error comes late, alone the answer is normal. */
  delayMs?: number;
}

/** A registered fault with its remaining count. */
export interface FaultRule extends FaultSpec {
  id: number;
  remaining: number;
  /** End of the outage window (epoch ms) for a `forMs` fault. */
  untilMs?: number;
}

/** The `Retry-After` header a fault answers with, if any (delay-seconds or HTTP-date). */
export function retryAfterHeader(rule: FaultSpec, nowMs: number = Date.now()): Record<string, string> {
  if (rule.retryAfterSeconds === undefined) return {};
  const value = rule.retryAfterHttpDate
    ? new Date(nowMs + rule.retryAfterSeconds * 1000).toUTCString()
    : String(rule.retryAfterSeconds);
  return { 'Retry-After': value };
}

/** Makes run commands fail on chosen fleet instances instead of calling the executor. */
export interface RunCommandFailureSpec {
  /** Fleet instance names (e.g. `vmss-webapp-blue_0`) or VM names; case-insensitive. */
  instances: string[];
  exitCode: number;
  stderr?: string;
  stdout?: string;
  /** How many executions fail per instance; every one when omitted. */
  times?: number;
}

/** One request the stand-in received (the token is never recorded, only whether there was one). */
export interface RequestLogEntry {
  seq: number;
  /** Arrival time, ISO 8601 with ms. */
  at: string;
  /** Arrival time in epoch ms (tests compare delays between entries). */
  atMs: number;
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** Id of the fault rule that answered, if any. */
  faultId?: number;
  authorized: boolean;
  /** The bearer token was one the stand-in's managed identity endpoint issued. */
  managedIdentityToken: boolean;
  body?: unknown;
}

const DEFAULT_CODES: Record<number, string> = {
  400: 'BadRequest',
  401: 'AuthenticationFailed',
  403: 'AuthorizationFailed',
  404: 'ResourceNotFound',
  409: 'Conflict',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

/** Default ARM error code for a status. */
export function defaultErrorCode(status: number): string {
  return DEFAULT_CODES[status] ?? `HttpStatus${status}`;
}

/** Holds fault rules; `take` consumes the first rule matching a request. */
export class FaultBook {
  private rules: FaultRule[] = [];
  private nextId = 1;
  private rcFailures: (RunCommandFailureSpec & { used: Record<string, number> })[] = [];

  add(spec: FaultSpec): FaultRule {
    if (spec.path !== undefined) new RegExp(spec.path, 'i'); // throws early on a bad pattern
    if (spec.status === undefined && spec.delayMs === undefined) {
      throw new Error('a fault needs a status, a delayMs, or both');
    }
    if (spec.forMs !== undefined && !(spec.forMs > 0)) throw new Error('forMs must be a positive number');
    const window = spec.forMs !== undefined ? { untilMs: Date.now() + spec.forMs } : {};
    const remaining = spec.count ?? (spec.forMs !== undefined ? Number.MAX_SAFE_INTEGER : 1);
    const rule: FaultRule = { ...spec, id: this.nextId++, remaining, ...window };
    this.rules.push(rule);
    return rule;
  }

  list(): FaultRule[] {
    const now = Date.now();
    return this.rules.filter((r) => r.untilMs === undefined || r.untilMs > now).map((r) => ({ ...r }));
  }

  clear(): void {
    this.rules = [];
    this.rcFailures = [];
  }

  take(method: string, path: string): FaultRule | undefined {
    const now = Date.now();
    this.rules = this.rules.filter((r) => r.untilMs === undefined || r.untilMs > now);
    const rule = this.rules.find(
      (r) =>
        r.remaining > 0 &&
        (!r.method || r.method.toUpperCase() === method.toUpperCase()) &&
        (!r.path || new RegExp(r.path, 'i').test(path)),
    );
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
    return { ...rule };
  }

  failRunCommands(spec: RunCommandFailureSpec): void {
    this.rcFailures.push({ ...spec, instances: spec.instances.map((i) => i.toLowerCase()), used: {} });
  }

  /** The injected failure for an execution on this instance, if any (consumes one `times`). */
  runCommandFailure(instanceName: string): RunCommandFailureSpec | undefined {
    const name = instanceName.toLowerCase();
    for (const f of this.rcFailures) {
      if (!f.instances.includes(name)) continue;
      const used = f.used[name] ?? 0;
      if (f.times !== undefined && used >= f.times) continue;
      f.used[name] = used + 1;
      return f;
    }
    return undefined;
  }
}

/** Bounded in-memory log of requests. */
export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private seq = 0;

  constructor(private readonly max = 5000) {}

  add(entry: Omit<RequestLogEntry, 'seq'>): RequestLogEntry {
    const full = { ...entry, seq: ++this.seq };
    this.entries.push(full);
    if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
    return full;
  }

  list(sinceSeq = 0): RequestLogEntry[] {
    return this.entries.filter((e) => e.seq > sinceSeq);
  }

  clear(): void {
    this.entries = [];
  }
}
