import { Resolver } from 'node:dns/promises';
import type { DnsAnswer, DnsResponder } from '../../../local/fleet';
import {
  dnsLookup,
  dnsProductionResolver,
  startDnsResponder,
  trafficManagerAnswer,
} from '../../../local/fleet';

describe('DNS responder', () => {
  let responder: DnsResponder;
  let answer: DnsAnswer = { address: '127.0.1.1', ttl: 1 };
  const asked: string[] = [];

  beforeAll(async () => {
    responder = await startDnsResponder({
      answer: (name) => {
        asked.push(name);
        return name === 'tm-webapp.trafficmanager.net' ? answer : undefined;
      },
    });
  });

  afterAll(async () => {
    await responder?.close();
  });

  const resolver = () => {
    const r = new Resolver({ timeout: 1000, tries: 1 });
    r.setServers([`${responder.host}:${responder.port}`]);
    return r;
  };

  it("answers the profile's name with the enabled endpoint and the TTL", async () => {
    expect(await resolver().resolve4('TM-webapp.trafficmanager.net', { ttl: true })).toEqual([
      { address: '127.0.1.1', ttl: 1 },
    ]);
  });

  it('answers NXDOMAIN for other names and no data for other record types', async () => {
    await expect(resolver().resolve4('other.example')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(resolver().resolve6('tm-webapp.trafficmanager.net')).rejects.toMatchObject({
      code: 'ENODATA',
    });
  });

  it('lets the traffic generator see a swap only once the TTL has passed', async () => {
    const resolve = dnsProductionResolver({
      server: `${responder.host}:${responder.port}`,
      name: 'tm-webapp.trafficmanager.net',
      port: 8080,
    });
    answer = { address: '127.0.1.1', ttl: 1 };
    expect(await resolve()).toEqual({ target: '127.0.1.1', port: 8080 });
    answer = { address: '127.0.2.1', ttl: 1 };
    const queries = asked.length;
    expect(await resolve()).toEqual({ target: '127.0.1.1', port: 8080 });
    expect(asked).toHaveLength(queries);

    await new Promise((r) => setTimeout(r, 1100));
    expect(await resolve()).toEqual({ target: '127.0.2.1', port: 8080 });
  });
});

describe("Traffic Manager's answer for the profile's name (priority routing)", () => {
  const profile = (
    endpoints: [string, 'Enabled' | 'Disabled', number][],
    extra: Record<string, unknown> = {},
  ) => ({
    properties: {
      profileStatus: 'Enabled',
      trafficRoutingMethod: 'Priority',
      dnsConfig: { relativeName: 'tm-webapp', fqdn: 'tm-webapp.trafficmanager.net', ttl: 60 },
      endpoints: endpoints.map(([name, status, priority]) => ({
        name,
        properties: { endpointStatus: status, target: `10.0.0.${priority}`, priority },
      })),
      ...extra,
    },
  });

  it('is the enabled endpoint with the profile TTL', () => {
    expect(
      trafficManagerAnswer(
        profile([
          ['blue', 'Disabled', 1],
          ['green', 'Enabled', 2],
        ]),
        'TM-webapp.trafficmanager.net',
      ),
    ).toEqual({ address: '10.0.0.2', ttl: 60 });
  });

  it('mid-swap (both enabled) is the higher-priority endpoint', () => {
    expect(
      trafficManagerAnswer(
        profile([
          ['blue', 'Enabled', 1],
          ['green', 'Enabled', 2],
        ]),
        'tm-webapp.trafficmanager.net',
      ),
    ).toEqual({ address: '10.0.0.1', ttl: 60 });
  });

  it('is NXDOMAIN for another name, a disabled profile, or no enabled endpoint', () => {
    const p = profile([['blue', 'Enabled', 1]]);
    expect(trafficManagerAnswer(p, 'other.trafficmanager.net')).toBeUndefined();
    expect(
      trafficManagerAnswer(
        profile([['blue', 'Enabled', 1]], { profileStatus: 'Disabled' }),
        'tm-webapp.trafficmanager.net',
      ),
    ).toBeUndefined();
    expect(
      trafficManagerAnswer(profile([['blue', 'Disabled', 1]]), 'tm-webapp.trafficmanager.net'),
    ).toBeUndefined();
  });

  it('refuses a routing method it does not model instead of answering wrongly', () => {
    expect(() =>
      trafficManagerAnswer(
        profile([['blue', 'Enabled', 1]], { trafficRoutingMethod: 'Weighted' }),
        'tm-webapp.trafficmanager.net',
      ),
    ).toThrow('dns: routing method Weighted is not modelled');
  });

  it('through the responder, dnsLookup hands the TTL to the caller and keeps no cache of its own', async () => {
    let p = profile([
      ['blue', 'Enabled', 1],
      ['green', 'Disabled', 2],
    ]);
    const responder = await startDnsResponder({ answer: (name) => trafficManagerAnswer(p, name) });
    try {
      const lookup = dnsLookup({
        server: `${responder.host}:${responder.port}`,
        name: 'tm-webapp.trafficmanager.net',
        port: (address) => (address === '10.0.0.1' ? 8081 : 8082),
      });
      expect(await lookup()).toEqual({ target: '10.0.0.1', port: 8081, ttlSeconds: 60 });
      p = profile([
        ['blue', 'Disabled', 1],
        ['green', 'Enabled', 2],
      ]);
      expect(await lookup()).toEqual({ target: '10.0.0.2', port: 8082, ttlSeconds: 60 });
    } finally {
      await responder.close();
    }
  });
});
