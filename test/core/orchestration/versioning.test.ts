/**
 * Upgrading the app while releases are in flight (orchestration versioning): a release keeps the version it was
 * created with and replays its own code path on the next version of the app; releases created on the new
 * version take the new path; a host older than a release leaves it alone until a host that runs it comes back.
 */
import type { VersioningSettings } from '../../../local/host/versioning';
import {
  CURRENT_ORCHESTRATION_VERSION,
  OrchestrationVersions,
} from '../../../src/core/orchestration/version';
import { startApp, type AppHost } from '../../support/appHost';

let app: AppHost;
afterEach(async () => {
  await app?.close();
});

const at = (defaultVersion: string | undefined): VersioningSettings => ({
  defaultVersion,
  matchStrategy: 'CurrentOrOlder',
  failureStrategy: 'Reject',
});
const kinds = (id: string): string[] =>
  app.world.notifications.filter((n) => n.release.id === id).map((n) => n.kind);

async function deliver(build: number): Promise<string> {
  const answer = await app.hook(build);
  expect(answer.status).toBe(202);
  await app.host.idle();
  return answer.body.id as string;
}

async function approveAndBake(id: string): Promise<void> {
  expect((await app.decide(id, 'approve')).status).toBe(202);
  await app.host.idle();
  await app.host.advance(600_000);
}

describe('upgrading the app while a release awaits approval', () => {
  it.each([
    ['1.0', OrchestrationVersions.Initial],
    ['no version (started before versioning)', undefined],
  ])(
    'a release started on %s finishes on its original steps; one started on the new version takes the new ones',
    async (_name, before) => {
      app = await startApp({}, 3, { versioning: at(before) });
      const old = await deliver(101);
      let view = await app.release(old);
      expect(view).toMatchObject({ phase: 'awaiting-approval' });
      expect(view.orchestrationVersion).toBe(before);

      await app.restart(); // the next version of the app: the repository's host.json
      await approveAndBake(old);
      view = await app.release(old);
      expect(view).toMatchObject({ status: 'Succeeded', liveSlot: 'green' });
      expect(view.orchestrationVersion).toBe(before);
      expect(kinds(old)).toEqual(['awaiting-approval', 'succeeded']);
      expect(app.host.errors).toEqual([]);

      const next = await deliver(102);
      await approveAndBake(next);
      view = await app.release(next);
      expect(view).toMatchObject({ status: 'Succeeded', liveSlot: 'blue' });
      expect(view.orchestrationVersion).toBe(CURRENT_ORCHESTRATION_VERSION);
      expect(kinds(next)).toEqual(['awaiting-approval', 'swapped', 'succeeded']);
    },
  );
});

describe('rolling the app back to an older version', () => {
  it('leaves a newer release untouched (no step, no traffic move) until the newer version runs again', async () => {
    app = await startApp();
    const id = await deliver(101);
    const waiting = await app.release(id);
    expect(waiting).toMatchObject({
      phase: 'awaiting-approval',
      orchestrationVersion: CURRENT_ORCHESTRATION_VERSION,
    });

    await app.restart(at('1.0'));
    // The link still answers (the decision is queued for the release), but nothing moves on this host.
    expect((await app.decide(id, 'approve')).status).toBe(202);
    await app.host.advance(600_000);
    expect(await app.release(id)).toMatchObject({ status: 'Running', phase: 'awaiting-approval' });
    expect(app.world.writes).toEqual([]);
    expect(app.host.engine.rejectedInstances).toContain(id);

    await app.restart();
    await app.host.idle();
    await app.host.advance(600_000);
    const view = await app.release(id);
    expect(view).toMatchObject({
      status: 'Succeeded',
      liveSlot: 'green',
      approval: { decision: 'approved' },
    });
    expect(kinds(id)).toEqual(['awaiting-approval', 'swapped', 'succeeded']);
  });
});

describe('cancel (3.3) on releases created before it', () => {
  it('a 3.0 release awaiting approval is refused (409 naming its version) and replays untouched; a 3.1 one cancels', async () => {
    app = await startApp({}, 3, { versioning: at(OrchestrationVersions.DeployChunks) });
    const old = await deliver(101);
    await app.restart();
    const post = (id: string) =>
      app.host.fetch(`/api/releases/${id}/cancel`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'upgrade test' }),
      });
    const refused = await post(old);
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain(
      'started by orchestration version 3.0, before cancelling existed (3.3)',
    );
    expect(app.host.history(old).some((e) => e.Name === 'CancelRequested')).toBe(false);
    await approveAndBake(old);
    expect(await app.release(old)).toMatchObject({ status: 'Succeeded', orchestrationVersion: '3.0' });
    expect(app.host.errors).toEqual([]);

    const next = await deliver(102);
    expect((await app.release(next)).orchestrationVersion).toBe(OrchestrationVersions.Cancel);
    expect((await post(next)).status).toBe(202);
    await app.host.idle();
    expect(await app.release(next)).toMatchObject({ status: 'Cancelled', liveSlot: 'green' });
  });
});
