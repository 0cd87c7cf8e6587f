/**
 * Issue 9: the deploy fan-out runs in DeployChunk sub-orchestrations, `maxParallel` side by side, each starting its
 * next instance as soon as the previous one ends; failures and a newer build stop it. Driven through HTTP and the
 * durable-functions replay engine on the test host, with deploys held open by the fake world where timing matters.
 */
import { InstanceIds, Orchestrations } from '../../../src/core/names';
import type { ReleaseView } from '../../../src/core/domain';
import { startApp, type AppHost } from '../../support/appHost';

const RELEASE = 'web-prod-b101';
let app: AppHost | undefined;

afterEach(async () => {
  if (app) app.world.beforeRun = undefined;
  await app?.close();
  app = undefined;
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `probe` answers (deploys held open keep the engine busy, so `idle()` cannot be used). */
async function until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 6000; i++) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    await sleep(5);
  }
  throw new Error(`never happened: ${what}`);
}

/** Holds every deploy run until the test lets it go. */
function holdDeploys(a: AppHost) {
  const held = new Map<string, () => void>();
  a.world.beforeRun = (name) => new Promise<void>((resolve) => held.set(name, resolve));
  return {
    held: () => [...held.keys()].sort(),
    finish(name: string) {
      const resolve = held.get(name);
      if (!resolve) throw new Error(`${name} is not deploying (held: ${[...held.keys()].join(', ')})`);
      held.delete(name);
      resolve();
    },
    waitHeld: (names: string[]) =>
      until(
        () => JSON.stringify([...held.keys()].sort()) === JSON.stringify(names),
        `held ${names.join(', ')}`,
      ),
  };
}

/** The deploy chunks the release started, from its history (they are purged from the task hub afterwards). */
const chunkIds = (a: AppHost, release = RELEASE) =>
  a.host
    .history(release)
    .map((e) => e as { Name?: string; InstanceId?: string })
    .filter((e) => e.Name === Orchestrations.DeployChunk && e.InstanceId)
    .map((e) => e.InstanceId!)
    .sort();

/** Deploy chunks still in the task hub. */
const chunksInHub = (a: AppHost) =>
  a.host
    .list()
    .filter((s) => s.name === Orchestrations.DeployChunk)
    .map((s) => s.instanceId);

const phaseOf = async (a: AppHost, id: string): Promise<ReleaseView | undefined> => {
  const res = await a.host.fetch(`/api/releases/${id}`);
  return res.status === 200 ? ((await res.json()) as ReleaseView) : undefined;
};

describe('deploy fan-out', () => {
  it('keeps maxParallel deploys in flight: a finished instance is replaced at once, not after its batch', async () => {
    app = await startApp({ deploy: { maxParallel: 2 } }, 4);
    const gate = holdDeploys(app);
    expect((await app.hook(101)).status).toBe(202);
    // Dealt round-robin: chunk 0 has vm0 and vm2, chunk 1 vm1 and vm3.
    await gate.waitHeld(['green-vm0', 'green-vm1']);
    gate.finish('green-vm1');
    // vm3 starts while vm0 still runs: no batch waits for its slowest instance.
    await gate.waitHeld(['green-vm0', 'green-vm3']);
    // Meanwhile the status API shows what the chunks finished, and what is in flight.
    const during = await until(async () => {
      const v = await phaseOf(app!, RELEASE);
      return v?.deploy?.instances.length === 1 ? v : undefined;
    }, 'vm1 in the status');
    expect(during).toMatchObject({
      phase: 'deploying',
      deploy: { round: 0, chunks: 2, running: 2, failed: 0 },
    });
    expect(during.deploy!.instances).toEqual([
      { instance: 'green-vm1', exitCode: 0, succeeded: true, outputTail: 'deployed' },
    ]);
    gate.finish('green-vm3');
    gate.finish('green-vm0');
    await gate.waitHeld(['green-vm2']);
    gate.finish('green-vm2');
    const view = await until(async () => {
      const v = await phaseOf(app!, RELEASE);
      return v?.phase === 'awaiting-approval' ? v : undefined;
    }, 'awaiting approval');

    expect(app.world.maxRunning).toBe(2);
    expect(view.deploy).toMatchObject({ failed: 0 });
    expect(view.deploy!.instances.map((x) => x.instance).sort()).toEqual([
      'green-vm0',
      'green-vm1',
      'green-vm2',
      'green-vm3',
    ]);
    // Derived chunk ids: a replay after a crash addresses the same sub-orchestrations.
    expect(chunkIds(app)).toEqual([
      InstanceIds.deployChunk(RELEASE, 0, 0),
      InstanceIds.deployChunk(RELEASE, 0, 1),
    ]);
    expect(chunkIds(app)).toEqual(['web-prod-b101:deploy:0:0', 'web-prod-b101:deploy:0:1']);
    // Their results are in the release's history: the task hub keeps no chunk once the deploy is over.
    expect(chunksInHub(app)).toEqual([]);
  });

  it("the release's history depends on maxParallel, not on the number of instances", async () => {
    const historyAtApproval = async (instances: number) => {
      app = await startApp({ deploy: { maxParallel: 4 } }, instances);
      await app.hook(101);
      await app.host.idle();
      const view = await app.release(RELEASE);
      expect(view.phase).toBe('awaiting-approval');
      // The status lists some instances of a large slot (failures kept); `total` counts every one that ran.
      expect(view.deploy!.total ?? view.deploy!.instances.length).toBe(instances);
      // Each instance deployed once, whatever the chunking and continueAsNew generations.
      expect(new Set(app.world.runs.map((r) => r.instance)).size).toBe(instances);
      expect(app.world.runs).toHaveLength(instances);
      const length = app.host.history(RELEASE).length;
      await app.close();
      app = undefined;
      return length;
    };
    const small = await historyAtApproval(8);
    const large = await historyAtApproval(60);
    expect(large).toBe(small);
  });

  it('failures within the tolerance that exceed one chunk’s share: a new round deploys the rest', async () => {
    // One tolerated failure shared by three chunks: shares 1, 0, 0. vm1 is in chunk 1 (share 0).
    app = await startApp({ deploy: { maxParallel: 3, maxFailures: 1 } }, 9);
    app.world.failInstances.set('green-vm1', 7);
    await app.hook(101);
    await app.host.idle();
    const view = await app.release(RELEASE);
    expect(view.phase).toBe('awaiting-approval');
    expect(view.deploy).toMatchObject({ failed: 1, tolerated: 1 });
    expect(view.deploy!.instances).toHaveLength(9);
    expect(app.world.runs).toHaveLength(9);
    expect(new Set(app.world.runs.map((r) => r.instance)).size).toBe(9);
    // The instances not started when chunk 1 stopped went to round 1.
    expect(chunkIds(app).some((id) => id.startsWith(`${RELEASE}:deploy:1:`))).toBe(true);
  });

  it('failures over the tolerance in two chunks: Failed, and the chunks stop starting deploys', async () => {
    app = await startApp({ deploy: { maxParallel: 3, maxFailures: 1 } }, 9);
    app.world.failInstances.set('green-vm1', 11).set('green-vm2', 12);
    await app.hook(101);
    await app.host.idle();
    const view = await app.release(RELEASE);
    expect(view).toMatchObject({ status: 'Failed', phase: 'done' });
    expect(view.error).toMatchObject({ step: 'deploy', resource: 'slot green' });
    expect(view.error!.message).toContain('green-vm1 (exit 11)');
    expect(view.error!.message).toContain('green-vm2 (exit 12)');
    expect(view.error!.message).toMatch(/\d+ not deployed/);
    // Chunks 1 and 2 stopped at their first failure; chunk 0 (share 1) ran at most its three instances.
    expect(app.world.runs.length).toBeLessThanOrEqual(5);
    expect(app.world.writes).toEqual([]);
    expect(app.world.notifications.map((n) => n.kind)).toEqual(['failed']);
  });

  it('a newer build during deploy: no further deploy starts, the one in flight ends, Superseded without verify', async () => {
    app = await startApp({ deploy: { maxParallel: 2 } }, 6);
    const gate = holdDeploys(app);
    await app.hook(101);
    await gate.waitHeld(['green-vm0', 'green-vm1']);
    expect((await app.hook(102)).body).toMatchObject({ id: 'web-prod-b102', behind: RELEASE });
    // The StopDeploy event reaches both chunks while their deploys are still in flight.
    await until(
      () =>
        app!.host
          .history(InstanceIds.deployChunk(RELEASE, 0, 0))
          .some((e) => (e as { Name?: string }).Name === 'StopDeploy') &&
        app!.host
          .history(InstanceIds.deployChunk(RELEASE, 0, 1))
          .some((e) => (e as { Name?: string }).Name === 'StopDeploy'),
      'StopDeploy delivered to both chunks',
    );
    app.world.beforeRun = undefined;
    gate.finish('green-vm0');
    gate.finish('green-vm1');
    await app.host.idle();

    const first = await app.release(RELEASE);
    expect(first).toMatchObject({ status: 'Superseded', supersededBy: 'web-prod-b102', phase: 'done' });
    expect(first.verify).toBeUndefined();
    expect(first.timeline.map((t) => t.step)).toEqual(['resolve-slots', 'list-instances', 'deploy']);
    expect(first.timeline.at(-1)).toMatchObject({ outcome: 'skipped' });
    expect(first.deploy!.instances.map((x) => x.instance).sort()).toEqual(['green-vm0', 'green-vm1']);
    const firstRuns = app.world.runs.filter((r) => r.runName === `deploy-${RELEASE}`);
    expect(firstRuns.map((r) => r.instance).sort()).toEqual(['green-vm0', 'green-vm1']);
    expect(app.world.notifications.map((n) => [n.kind, n.release.id])).toContainEqual([
      'superseded',
      RELEASE,
    ]);
    // The newer build runs next, on all six instances.
    const second = await app.release('web-prod-b102');
    expect(second).toMatchObject({ phase: 'awaiting-approval' });
    expect(second.deploy!.instances).toHaveLength(6);
    expect(app.world.writes).toEqual([]);
  });

  it('a newer build arriving before the deploy starts: nothing is deployed', async () => {
    app = await startApp({ deploy: { maxParallel: 2 } }, 4);
    // Hold the instance listing, so the newer build arrives while the release is still reading.
    let listed!: () => void;
    const listing = new Promise<void>((resolve) => (listed = resolve));
    const list = app.world.deployer.listInstances;
    app.world.deployer.listInstances = async (compute) => {
      await listing;
      return list(compute);
    };
    await app.hook(101);
    await until(
      async () => (await phaseOf(app!, RELEASE))?.timeline.at(-1)?.step === 'list-instances',
      'listing',
    );
    expect((await app.hook(102)).body).toMatchObject({ behind: RELEASE });
    // The lane tells the running release (NewerBuild); it reaches the release while it still lists.
    await until(
      () => app!.host.history(RELEASE).some((e) => (e as { Name?: string }).Name === 'NewerBuild'),
      'NewerBuild delivered to the release',
    );
    listed();
    await app.host.idle();
    const first = await app.release(RELEASE);
    expect(first).toMatchObject({ status: 'Superseded', supersededBy: 'web-prod-b102' });
    expect(app.world.runs.filter((r) => r.runName === `deploy-${RELEASE}`)).toEqual([]);
    expect(chunkIds(app)).toEqual([]);
  });

  it('a newer build during verify: probing stops and the release ends Superseded', async () => {
    app = await startApp({ health: { attempts: 5, intervalSeconds: 30 } }, 2);
    // The slot keeps reporting the old version: verify waits on a durable timer between attempts.
    app.world.healthOverride.set('green', { ok: true, status: 200, version: '0.9.0' });
    await app.hook(101);
    await app.host.idle();
    expect((await app.release(RELEASE)).phase).toBe('verifying');
    const probesBefore = app.world.probes.length;
    await app.hook(102);
    await app.host.idle();
    const first = await app.release(RELEASE);
    expect(first).toMatchObject({ status: 'Superseded', supersededBy: 'web-prod-b102' });
    expect(first.timeline.at(-1)).toMatchObject({ step: 'verify', outcome: 'skipped' });
    expect(first.verify).toMatchObject({ attempts: 1 });
    // Release 102 deployed to the same slot and probes it on its own; 101 probed nothing more.
    const second = await app.release('web-prod-b102');
    expect(second.phase).toBe('verifying');
    expect(second.verify).toMatchObject({ attempts: 1 });
    expect(app.world.probes.length).toBe(probesBefore * 2);
  });
});
