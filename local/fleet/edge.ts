import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent, createServer, request } from 'node:http';
import { closeServer, listen } from './http-util';

/** An origin of a Front Door origin group as the control plane (the stand-in) has it now. */
export interface EdgeOrigin {
  name: string;
  /** Host name or address the edge connects to. */
  target: string;
  port: number;
  enabled: boolean;
  /** Front Door's origin priority (1..5, lower first); default 1. */
  priority?: number;
}

/** Options of the local edge. */
export interface EdgeOptions {
  /** Loopback address; default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** The origin group's origins as the control plane has them; read every `pollMs`. */
  origins(): EdgeOrigin[] | Promise<EdgeOrigin[]>;
  /** How long after a control-plane change the edge follows it (Front Door's propagation), ms. */
  propagationDelayMs: number | (() => number);
  /** Default 25 ms: the edge notices a change at most this late (on top of the delay). */
  pollMs?: number;
}

/** What the edge serves and what it has seen but not yet applied. */
export interface EdgeState {
  /** The origins the edge routes to now. */
  serving: EdgeOrigin[];
  /** Control-plane states seen and when the edge applies each (epoch ms), oldest first. */
  pending: { appliesAt: number; origins: EdgeOrigin[] }[];
  /** When the edge last applied a change (epoch ms), and the control-plane change it followed. */
  lastApplied?: { seenAt: number; appliedAt: number };
}

/** The running edge. */
export interface Edge {
  host: string;
  port: number;
  state(): EdgeState;
  close(): Promise<void>;
}

const same = (a: EdgeOrigin[], b: EdgeOrigin[]): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The origins a request may go to: the enabled ones of the best (lowest) priority, as Front Door routes. */
export function routable(origins: readonly EdgeOrigin[]): EdgeOrigin[] {
  const enabled = origins.filter((o) => o.enabled);
  const best = Math.min(...enabled.map((o) => o.priority ?? 1));
  return enabled.filter((o) => (o.priority ?? 1) === best);
}

/**
 * A local stand-in for a Front Door edge (point of presence): an HTTP reverse proxy on loopback that routes each
 * request to an enabled origin of the group, round robin. It learns the control plane's origin states by reading
 * them, and follows a change only `propagationDelayMs` after it saw it, as Front Door's edges take a while to
 * receive a configuration change: clients going through it see a swap that late, and no DNS TTL is involved.
 * Until the first read it serves nothing (503); no enabled origin is 503 too, as Front Door answers.
 */
export async function startEdge(options: EdgeOptions): Promise<Edge> {
  const host = options.host ?? '127.0.0.1';
  if (!host.startsWith('127.')) throw new Error(`edge: ${host} is not a loopback address`);
  const delay = () =>
    typeof options.propagationDelayMs === 'function'
      ? options.propagationDelayMs()
      : options.propagationDelayMs;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let serving: EdgeOrigin[] | undefined;
  let seen: EdgeOrigin[] | undefined;
  const pending: { seenAt: number; appliesAt: number; origins: EdgeOrigin[] }[] = [];
  let lastApplied: EdgeState['lastApplied'];
  let next = 0;
  let closed = false;
  let polling = false;

  const poll = async () => {
    if (polling || closed) return;
    polling = true;
    try {
      const now = Date.now();
      const origins = (await options.origins()).map((o) => ({ ...o }));
      if (!seen) {
        // The state at start has propagated long ago.
        seen = origins;
        serving = origins;
      } else if (!same(origins, seen)) {
        seen = origins;
        pending.push({ seenAt: now, appliesAt: now + delay(), origins });
      }
    } catch {
      // The control plane did not answer: the edge keeps serving what it has, as a real edge does.
    } finally {
      polling = false;
    }
    const now = Date.now();
    while (pending.length > 0 && pending[0].appliesAt <= now) {
      const change = pending.shift()!;
      serving = change.origins;
      lastApplied = { seenAt: change.seenAt, appliedAt: now };
    }
  };
  await poll();
  const timer = setInterval(() => void poll(), options.pollMs ?? 25);

  const fail = (res: ServerResponse, status: number, error: string): void => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: `edge: ${error}` }));
  };

  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse): void => {
    const choices = routable(serving ?? []);
    if (choices.length === 0) {
      fail(res, 503, 'no enabled origin in the origin group');
      return;
    }
    const origin = choices[next++ % choices.length];
    const upstream = request(
      {
        host: origin.target,
        port: origin.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, 'x-forwarded-for': req.socket.remoteAddress ?? '' },
        agent,
        timeout: 10_000,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, { ...up.headers, 'x-edge-origin': origin.name });
        up.pipe(res);
      },
    );
    upstream.on('timeout', () => upstream.destroy(new Error('timeout')));
    upstream.on('error', (err) => fail(res, 502, `${origin.name}: ${err.message}`));
    upstream.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => forward(req, Buffer.concat(chunks), res));
  });
  const port = await listen(server, host, options.port ?? 0);
  return {
    host,
    port,
    state: () => ({
      serving: [...(serving ?? [])],
      pending: pending.map(({ appliesAt, origins }) => ({ appliesAt, origins })),
      ...(lastApplied ? { lastApplied } : {}),
    }),
    async close() {
      closed = true;
      clearInterval(timer);
      await closeServer(server);
      agent.destroy();
    },
  };
}
