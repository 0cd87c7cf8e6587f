import { execFile } from 'node:child_process';
import type { ArtifactServer } from '../../../local/fleet';
import { startArtifactServer, versionFromPath } from '../../../local/fleet';
import { tempDir } from './helpers';

/** Lists and reads a tar.gz with the system tar, as the deploy script unpacks it. */
function tarRead(archive: Buffer, member?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const args = member ? ['-xzOf', '-', member] : ['-tzf', '-'];
    const child = execFile('tar', args, (error, stdout, stderr) =>
      error ? reject(new Error(`tar: ${stderr}`)) : resolve(String(stdout)),
    );
    child.stdin!.end(archive);
  });
}

async function download(url: string): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(url);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

describe('versionFromPath', () => {
  const none = new URLSearchParams();
  it.each([
    ['/artifacts/webapp/42/app.tar.gz', '42'],
    ['/artifacts/ci%20main/20261128.3/app.tar.gz', '20261128.3'],
    ['/artifacts/a/b/c/7/package.tar.gz', '7'],
    ['/artifacts/42.tar.gz', '42'],
    ['/artifacts/webapp/42/app.zip', undefined],
    ['/other/42/app.tar.gz', undefined],
  ])('%s -> %s', (path, expected) => {
    expect(versionFromPath(path, none)).toBe(expected);
  });

  it('prefers ?version=', () => {
    expect(versionFromPath('/artifacts/latest.tar.gz', new URLSearchParams('version=9'))).toBe('9');
  });
});

describe('artifact server', () => {
  const tmp = tempDir('artifacts-');
  let server: ArtifactServer;

  beforeAll(async () => {
    server = await startArtifactServer({ dataDir: tmp.dir });
  });

  afterAll(async () => {
    await server?.close();
    tmp.remove();
  });

  it('builds a package of the sample app for any build number, with that version', async () => {
    const res = await download(server.url('webapp', '20261128.4'));

    expect(res.status).toBe(200);
    expect((await tarRead(res.body)).split('\n').filter(Boolean).sort()).toEqual(['app.json', 'server.js']);
    expect(JSON.parse(await tarRead(res.body, 'app.json'))).toEqual({
      name: 'webapp',
      version: '20261128.4',
      errorRate: 0,
    });
    expect(await tarRead(res.body, 'server.js')).toContain("'/health'");
    expect(server.downloads('20261128.4')).toBe(1);
  });

  it('serves bad builds: marked through the control call, or with "bad" in the number', async () => {
    const mark = await fetch(`${server.baseUrl.replace('/artifacts', '')}/_control/bad-builds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ number: '51', errorRate: 0.25 }),
    });
    expect(mark.status).toBe(200);
    expect(await mark.json()).toEqual({ '51': 0.25 });

    const marked = await download(server.url('webapp', '51'));
    expect(JSON.parse(await tarRead(marked.body, 'app.json'))).toMatchObject({
      version: '51',
      errorRate: 0.25,
    });
    const named = await download(server.url('webapp', '52-bad'));
    expect(JSON.parse(await tarRead(named.body, 'app.json'))).toMatchObject({
      version: '52-bad',
      errorRate: 0.5,
    });
    const good = await download(server.url('webapp', '53'));
    expect(JSON.parse(await tarRead(good.body, 'app.json'))).toMatchObject({ errorRate: 0 });
  });

  it('remembers marked builds across a restart, and unmarks them', async () => {
    await server.close();
    server = await startArtifactServer({ dataDir: tmp.dir });
    const res = await download(server.url('webapp', '51'));
    expect(JSON.parse(await tarRead(res.body, 'app.json'))).toMatchObject({ errorRate: 0.25 });

    server.setBad('51', false);
    const again = await download(server.url('webapp', '51'));
    expect(JSON.parse(await tarRead(again.body, 'app.json'))).toMatchObject({ errorRate: 0 });
  });

  it('answers 404 for missing builds and other paths, 400 for unusable versions, and counts no HEAD', async () => {
    expect((await download(server.url('webapp', 'missing-1'))).status).toBe(404);
    expect((await download(`${server.baseUrl}/webapp/1/app.zip`)).status).toBe(404);
    expect((await download(`${server.baseUrl}/webapp/..%2Fx/app.tar.gz`)).status).toBe(400);
    const head = await fetch(server.url('webapp', '60'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(server.downloads('60')).toBe(0);
  });

  it('serves a corrupt package for numbers containing "corrupt"', async () => {
    const res = await download(server.url('webapp', 'corrupt-2'));
    expect(res.status).toBe(200);
    await expect(tarRead(res.body)).rejects.toThrow('tar:');
  });
});
