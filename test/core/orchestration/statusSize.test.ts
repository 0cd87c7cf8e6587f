/**
 * Issue 7 §8: the release status is the orchestration's custom status, which Durable on Azure caps at 16 KB. The
 * local test host refuses an oversized one exactly as Azure does (the orchestration fails), so these runs fail if
 * the status ever outgrows the cap: 500 instances per slot and the longest input a caller can hand in.
 */
import { Orchestrations } from '../../../src/core/names';
import type { ReleaseInput } from '../../../src/core/orchestration/contracts';
import { statusDocument, STATUS_BUDGET_CHARS } from '../../../src/core/orchestration/tracker';
import type { ReleaseView } from '../../../src/core/domain';
import { aReleaseView } from '../../builders/release';
import { aBuild } from '../../builders/target';
import { startApp, type AppHost } from '../../support/appHost';

/** UTF-16 bytes of a custom status as the extension measures it. */
const utf16Bytes = (x: unknown): number => JSON.stringify(x).length * 2;
/** Azure's check: whole KB of UTF-16 must not exceed 16. */
const AZURE_LIMIT_BYTES = 17 * 1024;

let app: AppHost | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** A build with every free-text field as long as the hook's 1 MiB body allows. */
const maximalBuild = () =>
  aBuild({
    id: '777',
    number: '2.0.777',
    requestedBy: 'R'.repeat(900_000),
    project: 'P'.repeat(20_000),
    branch: `refs/heads/${'b'.repeat(20_000)}`,
    url: `https://dev.azure.com/${'u'.repeat(20_000)}`,
  });

describe('status document size', () => {
  it('statusDocument keeps a small document whole', () => {
    const view = aReleaseView();
    expect(statusDocument(view)).toBe(view);
  });

  it('statusDocument bounds a document with 500 instances, long tails and a 900,000-character requestedBy', () => {
    const instances = Array.from({ length: 500 }, (_, i) => ({
      instance: `vmss-web-green_${i}`,
      exitCode: i % 25 === 0 ? 10 : 0,
      succeeded: i % 25 !== 0,
      outputTail: 'o'.repeat(800),
    }));
    const view: ReleaseView = {
      ...aReleaseView(),
      build: maximalBuild(),
      deploy: { instances, failed: 20, tolerated: 20 },
      error: { step: 'verify', resource: 'r'.repeat(5000), message: 'm'.repeat(50_000) },
      timeline: Array.from({ length: 200 }, (_, i) => ({
        step: `step-${i}`,
        startedAt: '2026-01-01T09:00:00.000Z',
        detail: 'd'.repeat(2000),
      })),
    };
    const doc = statusDocument(view);
    expect(JSON.stringify(doc).length).toBeLessThanOrEqual(STATUS_BUDGET_CHARS);
    expect(doc.deploy).toMatchObject({ failed: 20, tolerated: 20, total: 500 });
    // What the abridged list keeps are failures: the instances someone must look at.
    expect(doc.deploy!.instances.length).toBeGreaterThan(0);
    expect(doc.deploy!.instances.every((x) => !x.succeeded)).toBe(true);
    // Links callers act on are never cut.
    expect(doc.approval?.approveUrl).toBe(view.approval?.approveUrl);
    expect(doc.timeline.at(-1)?.step).toBe('step-199');
    // The document itself is untouched: the orchestration's output keeps everything.
    expect(view.deploy!.instances).toHaveLength(500);
  });

  /** Runs one release orchestration from start to Succeeded, checking the custom status at each stop. */
  async function runRelease(build: ReleaseInput['build'], instances: number): Promise<ReleaseView> {
    app = await startApp({ deploy: { maxParallel: 10, maxFailures: 20 } }, instances);
    for (let i = 0; i < Math.min(20, instances); i++) {
      const name = `green-vm${Math.floor((i * instances) / 20)}`;
      app.world.failInstances.set(name, 10);
      app.world.outputTails.set(name, `E${i}`.padEnd(800, 'x'));
    }
    for (let i = 0; i < instances; i++) {
      if (!app.world.failInstances.has(`green-vm${i}`))
        app.world.outputTails.set(`green-vm${i}`, 'o'.repeat(800));
    }
    const input: ReleaseInput = {
      releaseId: `web-prod-b${build.id}`,
      build,
      target: app.config.targets[0]!,
      receivedAt: new Date(app.host.clock.now()).toISOString(),
    };
    app.host.startNew(Orchestrations.Release, { instanceId: input.releaseId, input });
    await app.host.idle();

    const running = app.host.getStatus(input.releaseId)!;
    // Before the fix this run Failed: the host's 16 KB check refused the status, as Azure does.
    expect(running.runtimeStatus).toBe('Running');
    expect(utf16Bytes(running.customStatus)).toBeLessThan(AZURE_LIMIT_BYTES);
    const waiting = await app.release(input.releaseId);
    expect(waiting.phase).toBe('awaiting-approval');
    expect(waiting.deploy).toMatchObject({ failed: app.world.failInstances.size, tolerated: 20 });

    expect((await app.decide(input.releaseId, 'approve')).status).toBe(202);
    // The decision is answered once recorded; the swap and its notice run on before the clock moves.
    await app.host.idle();
    await app.host.advance(600_000);
    const done = app.host.getStatus(input.releaseId)!;
    expect(done.runtimeStatus).toBe('Completed');
    expect(utf16Bytes(done.customStatus)).toBeLessThan(AZURE_LIMIT_BYTES);
    const final = await app.release(input.releaseId);
    expect(final.status).toBe('Succeeded');
    return final;
  }

  it('500 instances per slot with 800-character output tails: under 16 KB from start to end', async () => {
    const final = await runRelease(
      aBuild({ id: '500', number: '2.0.500', requestedBy: 'R'.repeat(1000) }),
      500,
    );
    // Once ended, the status API serves the whole document: every instance's result.
    expect(final.deploy!.instances).toHaveLength(500);
    expect(final.deploy!.instances.find((x) => x.instance === 'green-vm1')?.outputTail).toHaveLength(800);
  }, 120_000);

  it('the longest input the hook can carry: under 16 KB from start to end', async () => {
    const final = await runRelease(maximalBuild(), 3);
    expect(final.build.requestedBy).toHaveLength(900_000);
  }, 120_000);
});
