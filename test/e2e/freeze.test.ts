/**
 * Freezing a target on the local stack (real host, ARM stand-in, fleet): builds sent while frozen are queued and
 * the hook says why; the unfreeze releases the newest; a freeze with an end time ends by itself on the host's own
 * (real) clock and starts the newest queued build.
 */
import type { ReleaseView } from '../../src/core/domain';
import { releaseIdOf, useE2e } from './support';

jest.setTimeout(180_000);

const e2e = useE2e({ network: 52, targetOverrides: { bakeSeconds: 2, health: { intervalSeconds: 1 } } });

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

async function targetsView(): Promise<Record<string, unknown>> {
  const res = await e2e.call<{ targets: Record<string, unknown>[] }>('/api/targets');
  expect(res.status).toBe(200);
  return res.body.targets.find((t) => t.name === 'webapp')!;
}

async function approveAndWait(id: string): Promise<ReleaseView> {
  const waiting = await e2e.waitFor(id, (v) => v.phase === 'awaiting-approval', 60_000);
  expect((await e2e.decide(waiting, 'approve', 'ops@fabrikam.com')).status).toBe(202);
  return e2e.waitFor(id, (v) => v.status === 'Succeeded', 60_000);
}

describe('freezing a target on the local stack', () => {
  it('freeze, send hooks (queued with the reason), unfreeze: the newest is released', async () => {
    const frozen = await e2e.call(
      '/api/targets/webapp/freeze',
      json({ reason: 'incident 77: payment errors' }),
    );
    expect(frozen.status).toBe(200);
    expect(frozen.body).toMatchObject({
      frozen: { by: 'function key', reason: 'incident 77: payment errors' },
    });

    const ids = [7701, 7702, 7703];
    for (const id of ids) {
      const hook = await e2e.hook({ id, number: `7.0.${id}` });
      expect(hook.status).toBe(202);
      expect(hook.body).toMatchObject({
        id: releaseIdOf(id),
        queued: true,
        frozen: { reason: 'incident 77: payment errors' },
      });
      expect(hook.body.message).toMatch(
        /frozen by function key .*incident 77: payment errors; the build is queued/,
      );
    }
    // Nothing starts while frozen: all three wait, and say why.
    for (const id of ids) {
      const view = await e2e.release(releaseIdOf(id));
      expect([id, view.status]).toEqual([id, 'Queued']);
      expect(view.timeline[0]!.detail).toMatch(/frozen by function key/);
    }
    expect(await targetsView()).toMatchObject({ frozen: true, running: null, liveSlot: 'blue' });

    const thawed = await e2e.call('/api/targets/webapp/unfreeze', { method: 'POST' });
    expect(thawed).toMatchObject({ status: 200, body: { frozen: null, changed: true } });
    const newest = releaseIdOf(7703);
    const done = await approveAndWait(newest);
    expect(done.liveSlot).toBe('green');
    expect(e2e.enabled()).toEqual(['green']);
    expect(await e2e.servedVersion('green')).toBe('7.0.7703');
    for (const id of [7701, 7702]) {
      expect(await e2e.release(releaseIdOf(id))).toMatchObject({
        status: 'Superseded',
        supersededBy: newest,
      });
    }
    expect(await targetsView()).toMatchObject({ frozen: false, lastFreeze: { endedBy: 'function key' } });
  });

  it("ends by itself at its end time on the host's clock and starts the newest queued build", async () => {
    const until = new Date(Date.now() + 6_000).toISOString();
    const frozen = await e2e.call('/api/targets/webapp/freeze', json({ reason: 'short hold', until }));
    expect(frozen).toMatchObject({ status: 200, body: { frozen: { until } } });
    const hook = await e2e.hook({ id: 7801, number: '7.0.7801' });
    expect(hook.body).toMatchObject({ queued: true, frozen: { until } });
    expect(hook.body.message).toMatch(`until ${until}`);
    expect(await e2e.release(releaseIdOf(7801))).toMatchObject({ status: 'Queued' });
    // No unfreeze is sent: the lane's durable timer ends the freeze.
    await e2e.waitFor(releaseIdOf(7801), (v) => v.status === 'Running', 60_000);
    const target = await targetsView();
    expect(target).toMatchObject({ frozen: false, lastFreeze: { endedBy: 'schedule', until } });
    expect(Date.parse((target.lastFreeze as { endedAt: string }).endedAt)).toBeGreaterThanOrEqual(
      Date.parse(until),
    );
    await approveAndWait(releaseIdOf(7801));
    expect(e2e.enabled()).toEqual(['blue']);
  });
});
