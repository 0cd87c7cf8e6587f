/**
 * Crash recovery on the local stack: the app's host is killed with SIGKILL (no chance to flush or say
 * goodbye) while a release awaits approval and again during its bake; started again on the same data
 * folder, the release resumes where it was and no step runs twice.
 */
import {
  ALL_STEPS_OK,
  approvalPendingOrDone,
  endpointWrites,
  expectOneRunPerInstance,
  lastSeq,
  releaseIdOf,
  runCommandPuts,
  useE2e,
} from './support';

jest.setTimeout(120_000);

const BAKE_SECONDS = 8;
const e2e = useE2e({
  network: 24,
  targetOverrides: { bakeSeconds: BAKE_SECONDS, health: { intervalSeconds: 1 } },
});

/** Script executions per fleet instance, as the ARM stand-in counted them. */
function executions(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of e2e.stack.arm.control.runCommands())
    out[r.instanceName] = (out[r.instanceName] ?? 0) + r.executions;
  return out;
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`condition not reached within ${timeoutMs} ms:\n${e2e.hostLog()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('kill -9 of the app host', () => {
  it('while awaiting approval and again during the bake: the release finishes, each step once', async () => {
    const since = lastSeq(e2e.stack);
    const id = releaseIdOf(6001);
    const waiting = await e2e.hookAndWait({ id: 6001, number: '6.0.1' }, approvalPendingOrDone, 60_000);
    expect(waiting).toMatchObject({ phase: 'awaiting-approval', stagingSlot: 'green' });

    await e2e.stack.killHost('SIGKILL');
    await e2e.stack.startHost();
    const resumed = await e2e.release(id);
    expect(resumed).toMatchObject({ status: 'Running', phase: 'awaiting-approval' });
    // The links issued before the crash still work: same round, same expiry.
    expect(resumed.approval).toEqual(waiting.approval);
    const baking = await e2e.approve(
      resumed,
      'alice@example.com',
      (v) => v.phase === 'baking' || v.phase === 'done',
      30_000,
    );
    expect(baking).toMatchObject({ phase: 'baking', liveSlot: 'green' });
    expect(e2e.enabled()).toEqual(['green']);
    await e2e.stack.killHost('SIGKILL');
    await e2e.stack.startHost();

    const view = await e2e.waitFor(id, (v) => v.phase === 'done', BAKE_SECONDS * 1000 + 30_000);
    expect(view).toMatchObject({
      status: 'Succeeded',
      liveSlot: 'green',
      approval: { decision: 'approved', approver: 'alice@example.com' },
    });
    expect(view.timeline.map((t) => [t.step, t.outcome])).toEqual(ALL_STEPS_OK);
    // The bake's durable timer kept its due time across the crash: no shorter, and not restarted from zero.
    const bake = view.timeline.find((t) => t.step === 'bake')!;
    expect(bake.durationMs).toBeGreaterThanOrEqual(BAKE_SECONDS * 1000);
    console.log(`crash recovery: bake lasted ${bake.durationMs} ms for bakeSeconds ${BAKE_SECONDS}`);

    // No step again: one deploy run per instance, executed once; each endpoint written once.
    expectOneRunPerInstance(e2e.stack, since, 'green');
    expect(endpointWrites(e2e.stack, since)).toEqual([
      ['green', 'Enabled'],
      ['blue', 'Disabled'],
    ]);
    expect(e2e.enabled()).toEqual(['green']);
    expect(await e2e.servedVersion('green')).toBe('6.0.1');
    expect(await e2e.servedVersion('blue')).toBe('1.0.0');

    const list = await e2e.call<{ releases: { id: string; status: string }[] }>('/api/releases');
    expect(list.body.releases.map((r) => [r.id, r.status])).toEqual([[id, 'Succeeded']]);
  });

  it('during the deploy: the run commands are asked again and found done, not executed twice', async () => {
    const since = lastSeq(e2e.stack);
    const before = executions();
    const [production] = e2e.enabled();
    const staging = production === 'blue' ? 'green' : 'blue';
    const names = [0, 1, 2].map((i) => `vmss-webapp-${staging}_${i}`);
    expect((await e2e.hook({ id: 6002, number: '6.0.2' })).status).toBe(202);
    const id = releaseIdOf(6002);
    // Kill as soon as the deploy is under way: run commands are executing on the staging instances.
    await waitUntil(() => Object.keys(runCommandPuts(e2e.stack, since)).length > 0, 30_000);
    expect((await e2e.release(id)).phase).toBe('deploying');
    await e2e.stack.killHost('SIGKILL');
    const killedAt = lastSeq(e2e.stack);
    await e2e.stack.startHost();

    const view = await e2e.waitFor(id, approvalPendingOrDone, 60_000);
    expect(view).toMatchObject({
      phase: 'awaiting-approval',
      stagingSlot: staging,
      deploy: { failed: 0 },
      verify: { ok: true, version: '6.0.2' },
    });
    expect(view.deploy!.instances.map((i) => [i.instance, i.exitCode]).sort()).toEqual(
      names.map((n) => [n, 0]),
    );
    // At least once from the app (the deploy activity ran again after the crash and asked ARM about
    // every instance), exactly once on the instance.
    const asked = e2e.stack.arm.control
      .requests(killedAt)
      .filter((r) => /\/virtualMachines\/\d+\/runCommands\//i.test(r.path))
      .map((r) => `${r.method} ${r.path.replace(/^.*virtualMachineScaleSets\//i, '')} ${r.status}`);
    expect(asked.length).toBeGreaterThan(0);
    const puts = runCommandPuts(e2e.stack, since);
    console.log(
      `crash during deploy: run command PUTs per instance ${JSON.stringify(puts)}; after the restart:\n${asked.join('\n')}`,
    );
    expect(Object.keys(puts).sort()).toEqual(names);
    const after = executions();
    expect(names.map((n) => (after[n] ?? 0) - (before[n] ?? 0))).toEqual([1, 1, 1]);
    expect(e2e.enabled()).toEqual([production]);
    expect(endpointWrites(e2e.stack, since)).toEqual([]);

    expect((await e2e.decide(view, 'reject', 'ops@example.com')).status).toBe(202);
    expect(await e2e.waitFor(id, (v) => v.phase === 'done', 30_000)).toMatchObject({ status: 'Rejected' });
  });
});
