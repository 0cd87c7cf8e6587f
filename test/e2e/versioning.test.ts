/**
 * Upgrading the app while a release is in flight, on the whole local stack. Version A of the app runs with
 * orchestration version 1.0 (`defaultVersion` through its app setting, as an app deployed before the `swapped`
 * notice); a release started there waits for approval; the host stops; version B (the repository's host.json,
 * 2.0, whose release sends the `swapped` notice) starts on the same task hub; the approval then finishes the
 * release on A's steps. A release started on B runs B's. Then B is rolled back to A while a B release waits:
 * A leaves it alone, and B finishes it when it is back.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CURRENT_ORCHESTRATION_VERSION, OrchestrationVersions } from '../../src/core/orchestration/version';
import {
  ALL_STEPS_OK,
  approvalPendingOrDone,
  endpointWrites,
  lastSeq,
  releaseIdOf,
  restartWithSettings,
  useE2e,
} from './support';

jest.setTimeout(180_000);

const BAKE_SECONDS = 2;
const DEFAULT_VERSION = 'AzureFunctionsJobHost__extensions__durableTask__defaultVersion';
const e2e = useE2e({
  network: 43,
  targetOverrides: { bakeSeconds: BAKE_SECONDS, health: { intervalSeconds: 1 } },
});
let sink: Server;
/** Notifications the app posted (NOTIFY_KIND json): [release id, kind]. */
const notices: [string, string][] = [];

/** Stops the app's host and starts the given version of the app on the same durable state. */
async function deploy(version: 'A' | 'B'): Promise<void> {
  await restartWithSettings(e2e, {
    [DEFAULT_VERSION]: version === 'A' ? OrchestrationVersions.Initial : undefined,
  });
}

const kindsOf = (id: string): string[] => notices.filter(([r]) => r === id).map(([, k]) => k);
/**
 * The notices of a release once its final one has arrived: the status shows `done` as the orchestrator schedules
 * the final Notify activity, so the notice may arrive a moment after the status is read.
 */
async function finalKindsOf(id: string, final: string): Promise<string[]> {
  for (const deadline = Date.now() + 30_000; !kindsOf(id).includes(final) && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 50));
  }
  return kindsOf(id);
}

beforeAll(async () => {
  sink = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const n = JSON.parse(body) as { kind: string; release: { id: string } };
      notices.push([n.release.id, n.kind]);
      // The approval links reach the tests through the fleet's inbox (the status never carries them): pass it on.
      void fetch(`${e2e.stack.fleet.controlUrl}/notifications`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      }).finally(() => res.writeHead(200).end());
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  e2e.stack.appEnv.NOTIFY_WEBHOOK_URL = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/notify`;
  e2e.stack.appEnv.NOTIFY_KIND = 'json';
  await deploy('A');
});

afterAll(async () => {
  await new Promise((resolve) => sink?.close(resolve));
});

describe('a new version of the app deployed while a release awaits approval', () => {
  it('finishes the release on its original steps; a release started on the new version runs the new ones', async () => {
    const since = lastSeq(e2e.stack);
    const old = releaseIdOf(7001);
    const before = await e2e.hookAndWait({ id: 7001, number: '7.0.1' }, approvalPendingOrDone, 60_000);
    expect(before).toMatchObject({ phase: 'awaiting-approval', orchestrationVersion: '1.0' });

    await deploy('B');
    const resumed = await e2e.release(old);
    expect(resumed).toMatchObject({
      status: 'Running',
      phase: 'awaiting-approval',
      orchestrationVersion: '1.0',
    });
    const done = await e2e.approve(
      resumed,
      'alice@example.com',
      (v) => v.phase === 'done',
      BAKE_SECONDS * 1000 + 30_000,
    );
    expect(done).toMatchObject({ status: 'Succeeded', liveSlot: 'green', orchestrationVersion: '1.0' });
    expect(done.timeline.map((t) => [t.step, t.outcome])).toEqual(ALL_STEPS_OK);
    // Version A's steps: no swapped notice (B's addition), and each endpoint written once.
    expect(await finalKindsOf(old, 'succeeded')).toEqual(['awaiting-approval', 'succeeded']);
    expect(endpointWrites(e2e.stack, since)).toEqual([
      ['green', 'Enabled'],
      ['blue', 'Disabled'],
    ]);
    expect(await e2e.servedVersion('green')).toBe('7.0.1');
    expect(e2e.hostLog()).not.toMatch(/non-?determinis/i);

    const next = releaseIdOf(7002);
    const waitingNext = await e2e.hookAndWait({ id: 7002, number: '7.0.2' }, approvalPendingOrDone, 60_000);
    expect(waitingNext.orchestrationVersion).toBe(CURRENT_ORCHESTRATION_VERSION);
    const nextDone = await e2e.approve(
      waitingNext,
      'alice@example.com',
      (v) => v.phase === 'done',
      BAKE_SECONDS * 1000 + 30_000,
    );
    expect(nextDone).toMatchObject({ status: 'Succeeded', liveSlot: 'blue' });
    expect(await finalKindsOf(next, 'succeeded')).toEqual(['awaiting-approval', 'swapped', 'succeeded']);
  });

  it('an app rolled back to the older version leaves a newer release alone until the newer version is back', async () => {
    const id = releaseIdOf(7003);
    const view = await e2e.hookAndWait({ id: 7003, number: '7.0.3' }, approvalPendingOrDone, 60_000);
    expect(view).toMatchObject({
      phase: 'awaiting-approval',
      orchestrationVersion: CURRENT_ORCHESTRATION_VERSION,
    });
    const since = lastSeq(e2e.stack);

    await deploy('A');
    // The link is answered (the decision waits in the release's queue), but version A runs none of it.
    expect((await e2e.decide(view, 'approve', 'bob@example.com')).status).toBe(202);
    await new Promise((r) => setTimeout(r, (BAKE_SECONDS + 2) * 1000));
    expect(await e2e.release(id)).toMatchObject({ status: 'Running', phase: 'awaiting-approval' });
    expect(endpointWrites(e2e.stack, since)).toEqual([]);
    expect(e2e.hostLog()).toContain(
      `instance '${id}' (Release) has orchestration version '${CURRENT_ORCHESTRATION_VERSION}', which is newer than this host's defaultVersion '1.0'`,
    );

    await deploy('B');
    const done = await e2e.waitFor(id, (v) => v.phase === 'done', BAKE_SECONDS * 1000 + 30_000);
    expect(done).toMatchObject({
      status: 'Succeeded',
      liveSlot: 'green',
      approval: { decision: 'approved', approver: 'bob@example.com' },
    });
    expect(await finalKindsOf(id, 'succeeded')).toEqual(['awaiting-approval', 'swapped', 'succeeded']);
  });
});
