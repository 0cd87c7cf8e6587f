import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { isIPv4 } from 'node:net';
import type { ProductionEndpoint, ResolvedEndpoint } from './traffic';

/** What the responder answers for a name: an IPv4 address and its TTL in seconds. */
export interface DnsAnswer {
  address: string;
  ttl: number;
}

/** Options of the local DNS responder. */
export interface DnsResponderOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** The answer for a name (lower-case, no trailing dot), e.g. the profile's enabled endpoint; undefined: NXDOMAIN. */
  answer(name: string): DnsAnswer | undefined | Promise<DnsAnswer | undefined>;
}

/** The running DNS responder. */
export interface DnsResponder {
  host: string;
  port: number;
  close(): Promise<void>;
}

const TYPE_A = 1;
const CLASS_IN = 1;

/** Reads the question of a DNS query; undefined when the message is not a one-question query. */
export function parseQuery(
  msg: Buffer,
): { id: number; flags: number; name: string; type: number; end: number } | undefined {
  if (msg.length < 12 || msg.readUInt16BE(4) !== 1 || (msg[2] & 0x80) !== 0) return undefined;
  const labels: string[] = [];
  let offset = 12;
  for (;;) {
    if (offset >= msg.length) return undefined;
    const length = msg[offset];
    if (length === 0) break;
    if (length > 63 || offset + 1 + length > msg.length) return undefined;
    labels.push(msg.toString('ascii', offset + 1, offset + 1 + length));
    offset += 1 + length;
  }
  offset += 1;
  if (offset + 4 > msg.length) return undefined;
  return {
    id: msg.readUInt16BE(0),
    flags: msg.readUInt16BE(2),
    name: labels.join('.').toLowerCase(),
    type: msg.readUInt16BE(offset),
    end: offset + 4,
  };
}

/** Builds the response to a query: an A record, no data (other types), or NXDOMAIN. */
export function buildResponse(
  query: Buffer,
  parsed: { flags: number; type: number; end: number },
  answer?: DnsAnswer,
): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  // QR, the query's opcode and RD, AA; rcode 3 (NXDOMAIN) when the name is unknown.
  const flags = 0x8000 | (parsed.flags & 0x7900) | 0x0400 | (answer ? 0 : 3);
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(1, 4);
  const withRecord = answer && parsed.type === TYPE_A;
  header.writeUInt16BE(withRecord ? 1 : 0, 6);
  const question = query.subarray(12, parsed.end);
  if (!withRecord) return Buffer.concat([header, question]);
  const record = Buffer.alloc(16);
  record.writeUInt16BE(0xc00c, 0); // pointer to the question's name
  record.writeUInt16BE(TYPE_A, 2);
  record.writeUInt16BE(CLASS_IN, 4);
  record.writeUInt32BE(Math.max(0, Math.floor(answer.ttl)), 6);
  record.writeUInt16BE(4, 10);
  answer.address.split('.').forEach((octet, i) => record.writeUInt8(Number(octet), 12 + i));
  return Buffer.concat([header, question, record]);
}

/**
 * A DNS responder (UDP, loopback) for the Traffic Manager profile's name: answers with the enabled
 * endpoint's address and the profile's TTL, so a client sees a swap as real clients do, TTL late.
 */
export async function startDnsResponder(options: DnsResponderOptions): Promise<DnsResponder> {
  const host = options.host ?? '127.0.0.1';
  if (!host.startsWith('127.')) throw new Error(`dns: ${host} is not a loopback address`);
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    const parsed = parseQuery(msg);
    if (!parsed) return;
    Promise.resolve(options.answer(parsed.name))
      .catch(() => undefined)
      .then((answer) => {
        const usable = answer && isIPv4(answer.address) ? answer : undefined;
        socket.send(buildResponse(msg, parsed, usable), rinfo.port, rinfo.address);
      })
      .catch(() => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port ?? 0, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return {
    host,
    port: socket.address().port,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** What the responder needs of a Traffic Manager profile (the ARM shape, as the stand-in keeps it). */
export interface ProfileForDns {
  properties: {
    profileStatus?: unknown;
    trafficRoutingMethod?: unknown;
    dnsConfig?: unknown;
    endpoints: {
      name: string;
      properties: { endpointStatus?: string; target?: string; priority?: number };
    }[];
  };
}

/**
 * Traffic Manager's answer for a profile's name, as its name servers give it: with priority routing the enabled
 * endpoint of the lowest priority value (both enabled mid-swap: the higher-priority one), with the profile's TTL;
 * undefined (NXDOMAIN) for another name, a disabled profile, or no enabled endpoint. Only priority routing is
 * modelled (the local profile's method); another method is refused rather than answered wrongly.
 */
export function trafficManagerAnswer(profile: ProfileForDns, name: string): DnsAnswer | undefined {
  const dns = (profile.properties.dnsConfig ?? {}) as { fqdn?: unknown; ttl?: unknown };
  if (typeof dns.fqdn !== 'string' || dns.fqdn.toLowerCase() !== name.toLowerCase()) return undefined;
  if (profile.properties.profileStatus === 'Disabled') return undefined;
  const method = profile.properties.trafficRoutingMethod ?? 'Priority';
  if (method !== 'Priority') throw new Error(`dns: routing method ${String(method)} is not modelled`);
  const live = profile.properties.endpoints
    .filter((e) => e.properties.endpointStatus === 'Enabled' && typeof e.properties.target === 'string')
    .sort((a, b) => (a.properties.priority ?? Infinity) - (b.properties.priority ?? Infinity))[0];
  if (!live) return undefined;
  return { address: live.properties.target!, ttl: typeof dns.ttl === 'number' ? dns.ttl : 30 };
}

/**
 * A `resolveProduction` for the traffic generator with no cache of its own: each call asks the DNS server
 * and hands back the answer's TTL, which the generator's clients honour.
 */
export function dnsLookup(options: {
  /** `host:port` of the DNS server. */
  server: string;
  /** The profile's DNS name, e.g. `tm-webapp.trafficmanager.net`. */
  name: string;
  /** The port clients connect to on the answered address (per address when slots listen on different ports). */
  port: number | ((address: string) => number | undefined);
}): () => Promise<ResolvedEndpoint> {
  const resolver = new Resolver({ timeout: 1000, tries: 2 });
  resolver.setServers([options.server]);
  return async () => {
    const [record] = await resolver.resolve4(options.name, { ttl: true });
    if (!record) throw new Error(`dns: no A record for ${options.name}`);
    const port = typeof options.port === 'number' ? options.port : options.port(record.address);
    if (port === undefined)
      throw new Error(`dns: ${options.name} answered ${record.address}, which is no slot`);
    return { target: record.address, port, ttlSeconds: record.ttl };
  };
}

/**
 * A `resolveProduction` for the traffic generator that asks a DNS server for the profile's name and
 * keeps the answer for its TTL, as a client's resolver cache does.
 */
export function dnsProductionResolver(options: {
  /** `host:port` of the DNS server. */
  server: string;
  /** The profile's DNS name, e.g. `tm-webapp.trafficmanager.net`. */
  name: string;
  /** The port clients connect to on the answered address. */
  port: number;
}): () => Promise<ProductionEndpoint> {
  const resolver = new Resolver({ timeout: 1000, tries: 2 });
  resolver.setServers([options.server]);
  let cached: { endpoint: ProductionEndpoint; until: number } | undefined;
  return async () => {
    if (cached && Date.now() < cached.until) return cached.endpoint;
    const [record] = await resolver.resolve4(options.name, { ttl: true });
    if (!record) throw new Error(`dns: no A record for ${options.name}`);
    cached = {
      endpoint: { target: record.address, port: options.port },
      until: Date.now() + record.ttl * 1000,
    };
    return cached.endpoint;
  };
}
