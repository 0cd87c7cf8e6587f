/**
 * A release on a Front Door target through the local stack: the `webapp` target's traffic is the seeded origin
 * group (`traffic: { kind: "frontDoor" }`), the app runs unchanged with the template's Front Door role
 * assignments enforced, the swap enables the staging origin then disables production (PATCH enabledState),
 * and an alert during the bake swaps back. The fleet's traffic follows the Front Door edge, which the stand-in
 * updates after its propagation delay (short here; Azure documents up to 20 minutes).
 */
import type { ReleaseView } from '../../src/core/domain';
import { lastSeq, originWrites, releaseIdOf, useE2e } from './support';

jest.setTimeout(120_000);

const PROPAGATION_MS = 400;

const e2e = useE2e({
  network: 27,
  trafficAndAlerts: true,
  trafficProvider: 'frontDoor',
  frontDoorPropagationMs: PROPAGATION_MS,
  targetOverrides: { bakeSeconds: 40, health: { intervalSeconds: 1 } },
});

const origins = (): Record<string, string> =>
  Object.fromEntries(
    e2e.stack.arm.control.originGroup().origins.map((o) => [o.name, String(o.properties.enabledState)]),
  );
const edge = (): Record<string, string> =>
  Object.fromEntries(e2e.stack.arm.control.frontDoorEdge().origins.map((o) => [o.name, o.enabledState]));
const waitUntil = async (check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('release on a Front Door target (local stack)', () => {
  it('swaps the origins with the guarded protocol and an alert during the bake swaps them back', async () => {
    expect(origins()).toEqual({ blue: 'Enabled', green: 'Disabled' });
    const since = lastSeq(e2e.stack);
    expect((await e2e.hook({ id: 7001, number: '7.0.1' })).status).toBe(202);
    const id = releaseIdOf(7001);
    const waiting = await e2e.waitFor(
      id,
      (v: ReleaseView) => (v.phase === 'awaiting-approval' && !!v.approval?.pending) || v.phase === 'done',
      60_000,
    );
    expect(waiting).toMatchObject({ phase: 'awaiting-approval', verify: { ok: true, version: '7.0.1' } });
    expect((await e2e.decide(waiting, 'approve', 'alice@example.com')).status).toBe(202);
    const baking = await e2e.waitFor(id, (v) => v.phase === 'baking' || v.phase === 'done', 30_000);
    expect(baking).toMatchObject({ phase: 'baking', liveSlot: 'green' });
    expect(origins()).toEqual({ blue: 'Disabled', green: 'Enabled' });
    expect(originWrites(e2e.stack, since)).toEqual([
      ['green', 'Enabled'],
      ['blue', 'Disabled'],
    ]);
    // Every call of the app was made with its managed identity, under the template's Front Door roles.
    const calls = e2e.stack.arm.control.requests(since).filter((r) => r.path.includes('/Microsoft.Cdn/'));
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((r) => r.managedIdentityToken && r.status < 300)).toBe(true);
    // The edge follows after the propagation delay; the fleet's traffic goes where the edge sends it.
    await waitUntil(
      () => edge().green === 'Enabled' && edge().blue === 'Disabled',
      'the edge to serve green',
    );

    const fired = await fetch(`${e2e.stack.fleet.controlUrl}/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rule: 'webapp-on-demand', description: 'fired by the Front Door e2e test' }),
      signal: AbortSignal.timeout(15_000),
    });
    expect(fired.status).toBe(200);
    const done = await e2e.waitFor(id, (v) => v.phase === 'done', 30_000);
    expect(done).toMatchObject({
      status: 'RolledBack',
      liveSlot: 'blue',
      rollback: { trigger: 'alert', alert: { rule: 'webapp-on-demand' } },
    });
    expect(origins()).toEqual({ blue: 'Enabled', green: 'Disabled' });
    expect(originWrites(e2e.stack, since)).toEqual([
      ['green', 'Enabled'],
      ['blue', 'Disabled'],
      ['blue', 'Enabled'],
      ['green', 'Disabled'],
    ]);
    await waitUntil(
      () => edge().blue === 'Enabled' && edge().green === 'Disabled',
      'the edge to serve blue again',
    );
  });

  it('a release whose identity lost the Front Door origins role fails at once, naming the action and the origin group', async () => {
    const control = e2e.stack.arm.control;
    const assignment = control.roleAssignments().find((a) => /originGroups\/slots$/i.test(a.scope));
    expect(assignment?.name).toBe('rbac/apiFrontDoorOrigins');
    control.removeRoleAssignment(assignment!.name);
    try {
      const since = lastSeq(e2e.stack);
      expect((await e2e.hook({ id: 7002, number: '7.0.2' })).status).toBe(202);
      const view = await e2e.waitFor(releaseIdOf(7002), (v) => v.phase === 'done', 60_000);
      expect(view.status).toBe('Failed');
      expect(view.error?.message).toMatch(
        /403 AuthorizationFailed: .* does not have authorization to perform action 'Microsoft\.Cdn\/profiles\/originGroups\/origins\/read' over scope '[^']*\/originGroups\/slots'/,
      );
      // Nothing was written, production untouched.
      expect(originWrites(e2e.stack, since)).toEqual([]);
      expect(origins()).toEqual({ blue: 'Enabled', green: 'Disabled' });
    } finally {
      control.addRoleAssignment(assignment!);
    }
  });
});
