import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchHealthProbe } from '../../../src/adapters/http/healthProbe';
import { createNotifier, type NotificationBody } from '../../../src/adapters/http/webhookNotifier';
import { packagedScripts, packageRoot } from '../../../src/adapters/scripts';
import { aReleaseView } from '../../builders/release';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/** A loopback HTTP server whose behaviour each test sets. */
async function serve(handler: Handler): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function memoryLog() {
  const lines: string[] = [];
  const push = (m: string, f?: object) => lines.push(`${m} ${JSON.stringify(f ?? {})}`);
  return { lines, info: push, warn: push, error: push };
}

describe('fetchHealthProbe', () => {
  it('reads the version from the header', async () => {
    const s = await serve((_q, _b, res) => res.writeHead(200, { 'x-app-version': '1.2.3' }).end('ok'));
    try {
      const r = await fetchHealthProbe.probe(`${s.url}/health`, {
        versionHeader: 'x-app-version',
        timeoutMs: 2000,
      });
      expect(r).toEqual({ ok: true, status: 200, version: '1.2.3' });
    } finally {
      await s.close();
    }
  });

  it('reads the version from a JSON field by dot path', async () => {
    const s = await serve((_q, _b, res) =>
      res.writeHead(200).end(JSON.stringify({ build: { version: 42 } })),
    );
    try {
      const r = await fetchHealthProbe.probe(s.url, { versionField: 'build.version', timeoutMs: 2000 });
      expect(r).toEqual({ ok: true, status: 200, version: '42' });
    } finally {
      await s.close();
    }
  });

  it('reports an unhealthy status and does not follow redirects', async () => {
    const s = await serve((_q, _b, res) => res.writeHead(302, { location: 'https://example.com' }).end());
    try {
      expect(await fetchHealthProbe.probe(s.url, { timeoutMs: 2000 })).toEqual({ ok: false, status: 302 });
    } finally {
      await s.close();
    }
  });

  it('never throws: a refused connection and a timeout are results naming the URL', async () => {
    const s = await serve(() => undefined); // never answers
    try {
      const slow = await fetchHealthProbe.probe(`${s.url}/health`, { timeoutMs: 200 });
      expect(slow.ok).toBe(false);
      expect(slow.error).toContain(`GET ${s.url}/health failed`);
    } finally {
      await s.close();
    }
    const refused = await fetchHealthProbe.probe(s.url, { timeoutMs: 500 });
    expect(refused).toMatchObject({ ok: false, error: expect.stringMatching(/ECONNREFUSED/) });
  });
});

describe('webhook notifier', () => {
  it('posts the release as JSON with a readable text, and keeps the approval link out of the logs', async () => {
    const received: NotificationBody[] = [];
    const s = await serve((_q, body, res) => {
      received.push(JSON.parse(body) as NotificationBody);
      res.writeHead(200).end();
    });
    const log = memoryLog();
    try {
      await createNotifier(s.url, log).notify('awaiting-approval', aReleaseView());
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({
        kind: 'awaiting-approval',
        release: {
          id: 'web-prod-b1234',
          approveUrl: 'https://release.example.com/api/approvals/approve?token=t',
        },
      });
      expect(received[0]!.text).toContain('awaits approval');
      expect(log.lines.join('\n')).not.toContain('token=t');
      expect(log.lines.join('\n')).toContain('<approval link>');
    } finally {
      await s.close();
    }
  });

  it('fails on a non-2xx answer (the Notify activity logs it; the release goes on)', async () => {
    const s = await serve((_q, _b, res) => res.writeHead(500).end());
    try {
      await expect(createNotifier(s.url, memoryLog()).notify('succeeded', aReleaseView())).rejects.toThrow(
        'notification webhook answered HTTP 500',
      );
    } finally {
      await s.close();
    }
  });

  it('without a webhook, only logs', async () => {
    const log = memoryLog();
    await createNotifier(undefined, log).notify(
      'failed',
      aReleaseView({ error: { step: 'deploy', resource: 'slot green', message: 'x' } }),
    );
    expect(log.lines[0]).toContain('failed at deploy on slot green');
  });
});

describe('packaged deploy scripts', () => {
  it('finds the package root from src and reads both scripts once', async () => {
    const scripts = packagedScripts(packageRoot());
    expect(await scripts.load('linux')).toMatch(/^#!\/usr\/bin\/env bash/);
    expect(await scripts.load('windows')).toContain('msdeploy');
    expect(scripts.load('linux')).toBe(scripts.load('linux'));
  });
});
