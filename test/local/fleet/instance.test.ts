import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { InstanceService as Service } from '../../../local/fleet';
import { ensureInitialRelease, InstanceService, repoFile } from '../../../local/fleet';
import { get, tempDir, testNetwork, waitFor } from './helpers';

/** Whether something accepts connections on the address. */
function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('instance service', () => {
  const tmp = tempDir('instance-');
  const address = `127.${testNetwork()}.9.10`;
  let service: Service;

  afterAll(async () => {
    await service?.stop();
    tmp.remove();
  });

  it('serves a bad build: the configured fraction of / fails while /health stays 200', async () => {
    ensureInitialRelease(tmp.dir, { version: '3-bad', errorRate: 0.5 });
    service = new InstanceService({ name: 'vm_0', address, port: 0, root: tmp.dir });
    const state = await service.start();
    expect(state).toMatchObject({ running: true, version: '3-bad', release: '3-bad', restarts: 0 });

    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await get(`http://${address}:${state.port}/`)).status);
    expect(statuses.filter((s) => s === 500)).toHaveLength(5);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    const health = await get(`http://${address}:${state.port}/health`);
    expect(health.status).toBe(200);
    expect(health.headers.get('x-instance')).toBe('vm_0');
  });

  it('comes back after its process crashes, on the same port', async () => {
    const before = service.state();
    process.kill(before.pid!, 'SIGKILL');

    const after = await waitFor('the service to come back', () => {
      const s = service.state();
      return s.running && s.pid !== before.pid ? s : undefined;
    });
    expect(after.port).toBe(before.port);
    expect((await get(`http://${address}:${after.port}/health`)).status).toBe(200);
  });

  it('fails to start with the instance and the cause named when the release has no server', async () => {
    const broken = tempDir('instance-broken-');
    try {
      ensureInitialRelease(broken.dir, { version: '1', errorRate: 0 });
      rmSync(path.join(broken.dir, 'releases/1/server.js'));
      const other = new InstanceService({ name: 'vm_9', address, port: 0, root: broken.dir });

      await expect(other.start()).rejects.toThrow(/^start vm_9: .*releases\/1\/server\.js is missing$/);
      await other.stop();
    } finally {
      broken.remove();
    }
  });

  it('leaves no process behind when its supervisor is killed with kill -9', async () => {
    // A supervisor in another process, as the launcher would be, that we can SIGKILL.
    const serverJs = repoFile('local/sample-app/server.js');
    const supervisor = spawn(
      process.execPath,
      [
        '-e',
        `const c = require('node:child_process').fork(${JSON.stringify(serverJs)}, [], {
           env: { HOST: ${JSON.stringify(address)}, PORT: '0' }, stdio: 'ignore' });
         c.on('message', (m) => process.stdout.write(JSON.stringify(m) + '\\n'));`,
      ],
      { cwd: tmp.dir, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const port = await new Promise<number>((resolve) =>
      supervisor.stdout!.once('data', (d: Buffer) =>
        resolve((JSON.parse(d.toString()) as { port: number }).port),
      ),
    );
    expect(await listening(address, port)).toBe(true);

    supervisor.kill('SIGKILL');

    await waitFor('the orphaned app to exit', async () =>
      (await listening(address, port)) ? undefined : true,
    );
  });
});
