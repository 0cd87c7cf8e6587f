/**
 * Where a local stack listens, derived from one setting so several stacks run side by side on one machine:
 * stack N (`LOCAL_STACK`, default 0) takes ports 7071+10N (app), 7072+10N (ARM stand-in), 7073+10N (artifact
 * server), 7074+10N (fleet control), 7075+10N (DNS responder, UDP), 7076+10N (Front Door edge) on 127.0.0.1,
 * and the fleet addresses 127.N.<slot>.<host>.
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/** The ports and fleet network of one local stack. */
export interface LocalAddresses {
  /** Index of the stack on this machine (`LOCAL_STACK`). */
  stack: number;
  hostPort: number;
  armPort: number;
  artifactPort: number;
  controlPort: number;
  /** UDP port of the DNS responder that answers the Traffic Manager profile's name. */
  dnsPort: number;
  /** Port of the local Front Door edge. */
  edgePort: number;
  /** Second octet of the fleet's loopback addresses. */
  network: number;
}

/** First port of stack 0; stack N starts at FIRST_PORT + 10 N. */
export const FIRST_PORT = 7071;
/** Highest `LOCAL_STACK` (its fleet network is 127.<N>.x.y, so at most 255; 99 keeps ports under 8070). */
export const MAX_STACK = 99;

const integer = (name: string, raw: string, min: number, max: number): number => {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max} (got '${raw}')`);
  }
  return n;
};

/**
 * The addresses of the stack the environment asks for; `PORT`, `LOCAL_ARM_PORT`, `LOCAL_DNS_PORT` and
 * `LOCAL_EDGE_PORT` still override theirs.
 */
export function localAddresses(env: NodeJS.ProcessEnv = process.env): LocalAddresses {
  const stack = env.LOCAL_STACK ? integer('LOCAL_STACK', env.LOCAL_STACK, 0, MAX_STACK) : 0;
  const base = FIRST_PORT + 10 * stack;
  return {
    stack,
    hostPort: env.PORT ? integer('PORT', env.PORT, 1, 65535) : base,
    armPort: env.LOCAL_ARM_PORT ? integer('LOCAL_ARM_PORT', env.LOCAL_ARM_PORT, 1, 65535) : base + 1,
    artifactPort: base + 2,
    controlPort: base + 3,
    dnsPort: env.LOCAL_DNS_PORT ? integer('LOCAL_DNS_PORT', env.LOCAL_DNS_PORT, 1, 65535) : base + 4,
    edgePort: env.LOCAL_EDGE_PORT ? integer('LOCAL_EDGE_PORT', env.LOCAL_EDGE_PORT, 1, 65535) : base + 5,
    network: stack,
  };
}

/** True when nothing listens on host:port. */
export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** True when no UDP socket is bound to host:port. */
export function udpPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, host, () => socket.close(() => resolve(true)));
  });
}

/**
 * Fails with one clear message when any of the given 127.0.0.1 ports is taken (port 0, "pick one", is skipped).
 * Checked before anything starts, so a second stack never half-starts or talks to the first one's app.
 */
export async function ensurePortsFree(
  ports: Record<string, number>,
  udpPorts: Record<string, number> = {},
): Promise<void> {
  const taken: string[] = [];
  for (const [what, port] of Object.entries(ports)) {
    if (port !== 0 && !(await portFree('127.0.0.1', port))) taken.push(`127.0.0.1:${port} (${what})`);
  }
  for (const [what, port] of Object.entries(udpPorts)) {
    if (port !== 0 && !(await udpPortFree('127.0.0.1', port))) taken.push(`udp 127.0.0.1:${port} (${what})`);
  }
  if (taken.length > 0) {
    throw new Error(
      `local stack: address already in use: ${taken.join(', ')}. Another local stack (or program) runs here: stop it, or start this one as another stack with LOCAL_STACK=1 (stack N uses ports ${FIRST_PORT}+10N to ${FIRST_PORT + 5}+10N and fleet addresses 127.N.x.y).`,
    );
  }
}
