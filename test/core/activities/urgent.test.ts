import { createActivities, type ActivityDeps } from '../../../src/core/activities';
import { urgentFirst } from '../../../src/core/concurrency';
import { Activities } from '../../../src/core/names';
import type { SwapMode } from '../../../src/core/orchestration/contracts';
import { memoryLogger } from '../../support/appHost';
import { tmTraffic } from '../../builders/target';
import { aFakeWorld } from '../../builders/world';

/** SwapTraffic over a fake profile (green live), recording whether each endpoint write ran as urgent work. */
function setup() {
  const world = aFakeWorld();
  world.slot('blue').enabled = false;
  world.slot('green').enabled = true;
  const urgentAtWrite: number[] = [];
  world.beforeWrite = () => urgentAtWrite.push(urgentFirst.urgent);
  const deps = {
    traffic: world.routers,
    clock: { now: () => new Date('2026-01-01T00:00:00Z') },
    log: memoryLogger(),
  } as unknown as ActivityDeps;
  const activities = createActivities(() => deps);
  const move = (mode: SwapMode) =>
    activities[Activities.SwapTraffic]({
      releaseId: 'web-prod-b7',
      traffic: tmTraffic(),
      enable: 'blue',
      disable: 'green',
      mode,
    });
  return { world, urgentAtWrite, move };
}

describe('SwapTraffic and urgent work', () => {
  it.each(['rollback', 'restore'] as const)(
    'a %s moves traffic as urgent work (hook deliveries of this instance wait), and ends it',
    async (mode) => {
      const { world, urgentAtWrite, move } = setup();
      expect(await move(mode)).toMatchObject({ ok: true, changed: true });
      expect(world.writes).toEqual([
        { endpoint: 'blue', enabled: true },
        { endpoint: 'green', enabled: false },
      ]);
      expect(urgentAtWrite).toEqual([1, 1]);
      expect(urgentFirst.urgent).toBe(0);
    },
  );

  it('a swap onto a new build is not urgent: it waits behind nothing and holds nothing', async () => {
    const { urgentAtWrite, move } = setup();
    expect(await move('swap')).toMatchObject({ ok: true, changed: true });
    expect(urgentAtWrite).toEqual([0, 0]);
  });

  it('a rollback whose write fails ends the urgent work too, and answers the failure', async () => {
    const { world, move } = setup();
    world.beforeWrite = () => {
      throw new Error('ARM answered 503');
    };
    expect(await move('rollback')).toMatchObject({ ok: false, error: expect.stringContaining('503') });
    expect(urgentFirst.urgent).toBe(0);
  });
});
