import { Resolver } from 'node:dns/promises';
import type { DnsAnswer, DnsResponder } from '../../../local/fleet';
import { dnsProductionResolver, startDnsResponder } from '../../../local/fleet';

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
