import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent, createServer, request } from 'node:http';
import { closeServer, listen } from './http-util';

/** A backend of a load balancer. */
export interface Backend {
  name: string;
  address: string;
  port: number;
}

/** The running load balancer of one slot. */
export interface LoadBalancer {
  address: string;
  port: number;
  close(): Promise<void>;
}

/**
 * A slot's load balancer on its own loopback address (the slot's Traffic Manager endpoint target):
 * round-robin over the slot's instances. An instance that refuses the connection (restarting) is
 * skipped for that request, as a probe-driven Azure load balancer would stop sending to it.
 */
export async function startLoadBalancer(options: {
  address: string;
  port: number;
  backends: () => Backend[];
}): Promise<LoadBalancer> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let next = 0;

  const forward = (
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
    backends: Backend[],
    tries: number,
  ) => {
    const backend = backends[next++ % backends.length];
    const upstream = request(
      {
        host: backend.address,
        port: backend.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, 'x-forwarded-for': req.socket.remoteAddress ?? '' },
        agent,
        timeout: 10000,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, { ...up.headers, 'x-served-by': backend.name });
        up.pipe(res);
      },
    );
    upstream.on('timeout', () => upstream.destroy(new Error('timeout')));
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (res.headersSent) return res.destroy();
      // Only a refused or reset connection is safe to retry elsewhere: the request never ran.
      if (tries + 1 < backends.length && (err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET')) {
        return forward(req, body, res, backends, tries + 1);
      }
      const text = JSON.stringify({ error: `load balancer: ${backend.name}: ${err.message}` });
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(text);
    });
    upstream.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const backends = options.backends();
      if (backends.length === 0) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'load balancer: no instances' }));
        return;
      }
      forward(req, Buffer.concat(chunks), res, backends, 0);
    });
  });
  const port = await listen(server, options.address, options.port);
  return {
    address: options.address,
    port,
    close: async () => {
      await closeServer(server);
      agent.destroy();
    },
  };
}
