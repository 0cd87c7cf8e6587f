/**
 * Issue 7 §6: verify probes every staging instance directly for the expected version. An instance that failed to
 * deploy or reports another version counts against `deploy.maxFailures`; a release that goes on with some of them
 * carries a `mixed-versions` warning, shown on the approval page and in every notification.
 */
import { startApp, type AppHost } from '../../support/appHost';

let app: AppHost;
afterEach(async () => {
  await app?.close();
});

async function deliver(id = 101): Promise<string> {
  const answer = await app.hook(id);
  expect(answer.status).toBe(202);
  await app.host.idle();
  return answer.body.id as string;
}

describe('verify, instance by instance', () => {
  it('the repro: maxFailures 1 and one instance exiting 10 goes on, saying 2 of 3 are on the new build', async () => {
    app = await startApp({ deploy: { maxFailures: 1 } });
    app.world.failInstances.set('green-vm1', 10);
    const id = await deliver();

    let view = await app.release(id);
    expect(view.phase).toBe('awaiting-approval');
    const warning = {
      code: 'mixed-versions',
      message: '2 of 3 instances on 1.0.101; 1 still on 1.0.0',
      instances: ['green-vm1'],
    };
    expect(view.warnings).toEqual([warning]);
    expect(view.verify?.instances?.map((p) => [p.instance, p.ok, p.version])).toEqual([
      ['green-vm0', true, '1.0.101'],
      ['green-vm2', true, '1.0.101'],
      ['green-vm1', false, '1.0.0'],
    ]);

    // The approval page says it before anyone approves.
    const link = new URL((await app.links(view.id)).approveUrl);
    const page = await (await app.host.fetch(link.pathname + link.search)).text();
    expect(page).toContain(
      'Warning (mixed-versions):</strong> 2 of 3 instances on 1.0.101; 1 still on 1.0.0.',
    );
    expect(page).toContain('Instances: green-vm1.');

    expect((await app.decide(id, 'approve')).status).toBe(202);
    // The decision is answered once recorded; the swap and its notice run on before the clock moves.
    await app.host.idle();
    await app.host.advance(600_000);
    view = await app.release(id);
    expect(view.status).toBe('Succeeded');
    expect(view.warnings).toEqual([warning]);
    // Every notification carries it: the approval request, the swap and the final one.
    expect(app.world.notifications.map((n) => [n.kind, n.release.warnings])).toEqual([
      ['awaiting-approval', [warning]],
      ['swapped', [warning]],
      ['succeeded', [warning]],
    ]);
  });

  it('probes each instance on its own address, the configured port and health path', async () => {
    app = await startApp({
      health: { attempts: 3, intervalSeconds: 5, instancePort: 8080, path: '/healthz' },
    });
    const id = await deliver();
    expect((await app.release(id)).phase).toBe('awaiting-approval');
    expect(app.world.probes.filter((u) => u.startsWith('http://10.')).sort()).toEqual([
      'http://10.1.0.4:8080/healthz',
      'http://10.1.0.5:8080/healthz',
      'http://10.1.0.6:8080/healthz',
    ]);
    expect((await app.release(id)).warnings).toBeUndefined();
  });

  it('an instance that deployed but reports another version fails the release when nothing is tolerated', async () => {
    app = await startApp();
    app.world.instanceHealthOverride.set('green-vm2', { ok: true, status: 200, version: '1.0.0' });
    const id = await deliver();
    expect((await app.release(id)).phase).toBe('verifying');
    await app.host.advance(5_000);
    await app.host.advance(10_000);
    const view = await app.release(id);
    expect(view).toMatchObject({ status: 'Failed', error: { step: 'verify', resource: 'slot green' } });
    expect(view.error!.message).toContain('1 instance(s) not on 1.0.101 after 3 attempt(s), 0 tolerated');
    expect(view.error!.message).toContain('2 of 3 instances on 1.0.101; 1 still on 1.0.0');
    expect(view.error!.message).toContain('green-vm2 (healthy but reports version 1.0.0, expected 1.0.101)');
    expect(view.approval).toBeUndefined();
    expect(app.world.writes).toEqual([]);
  });

  it('a failed deploy and a wrong version together exceed maxFailures 1: Failed at verify', async () => {
    app = await startApp({ deploy: { maxFailures: 1 } });
    app.world.failInstances.set('green-vm0', 10);
    app.world.instanceHealthOverride.set('green-vm2', { ok: false, status: 503 });
    const id = await deliver();
    await app.host.advance(5_000);
    await app.host.advance(10_000);
    const view = await app.release(id);
    expect(view).toMatchObject({ status: 'Failed', error: { step: 'verify' } });
    expect(view.error!.message).toContain('2 instance(s) not on 1.0.101');
    expect(view.error!.message).toContain('1 of 3 instances on 1.0.101; 1 still on 1.0.0, 1 not verified');
    expect(view.error!.message).toContain('green-vm0 (deploy exit 10; healthy but reports version 1.0.0');
    expect(view.error!.message).toContain('green-vm2 (HTTP 503)');
    expect(app.world.writes).toEqual([]);
  });

  it('an instance slow to come up is probed again on the backoff and then counts as verified', async () => {
    app = await startApp();
    app.world.instanceHealthOverride.set('green-vm1', { ok: false, status: 503 });
    const id = await deliver();
    let view = await app.release(id);
    expect(view.phase).toBe('verifying');
    expect(view.verify?.instances?.at(-1)).toMatchObject({ instance: 'green-vm1', ok: false });
    app.world.instanceHealthOverride.delete('green-vm1');
    const before = app.world.probes.length;
    await app.host.advance(5_000);
    view = await app.release(id);
    expect(view.phase).toBe('awaiting-approval');
    expect(view.warnings).toBeUndefined();
    // Only the instance still pending was probed again (the slot URL had already passed).
    expect(app.world.probes.slice(before)).toEqual(['http://10.1.0.5/health']);
  });
});
