import { fakeAppDeps } from '../../../src/adapters/fake/appDeps';
import { createActivities } from '../../../src/core/activities';
import type { InstanceRef } from '../../../src/core/domain';
import { Activities } from '../../../src/core/names';
import { previousRun } from '../../../src/core/ports/deployer';
import { memoryLogger } from '../../support/appHost';
import { aBuild, aConfig, aTarget, ids } from '../../builders/target';
import { aFakeWorld } from '../../builders/world';

function setup() {
  const world = aFakeWorld();
  const log = memoryLogger();
  const clock = { now: () => new Date('2026-01-01T00:00:00Z') };
  const { activities: deps } = fakeAppDeps(world, aConfig(), clock, log);
  const activities = createActivities(() => deps);
  const instance: InstanceRef = {
    id: `${ids.scaleSet('vmss-green')}/virtualMachines/green-vm0`,
    name: 'green-vm0',
    kind: 'vmssVm',
  };
  const deploy = (releaseId: string) =>
    activities[Activities.DeployInstance]({
      releaseId,
      target: aTarget(),
      build: aBuild(),
      slot: 'green',
      instance,
    });
  return { world, log, deploy };
}

describe('DeployInstance prunes old run commands', () => {
  it('after a successful run keeps the current and the previous release’s run, deleting older ones', async () => {
    const { world, deploy } = setup();
    await deploy('r1');
    await deploy('r2');
    await deploy('r3');
    expect(world.prunes.map((p) => p.deleted)).toEqual([[], [], ['deploy-r1']]);
    expect(world.prunes.at(-1)).toEqual({
      instance: 'green-vm0',
      keep: ['deploy-r3', 'deploy-r2'],
      deleted: ['deploy-r1'],
    });
    expect(
      (await world.deployer.listRuns({ id: '', name: 'green-vm0', kind: 'vmssVm' })).map((r) => r.name),
    ).toEqual(['deploy-r2', 'deploy-r3']);
  });

  it('does not prune after a failed run', async () => {
    const { world, deploy } = setup();
    world.failInstances.set('green-vm0', 3);
    const result = await deploy('r1');
    expect(result.succeeded).toBe(false);
    expect(world.prunes).toEqual([]);
  });

  it('a prune failure is logged and neither fails the deploy nor changes its result', async () => {
    const { world, log, deploy } = setup();
    world.pruneError = new Error('HTTP 403 AuthorizationFailed');
    const result = await deploy('r1');
    expect(result).toEqual({ instance: 'green-vm0', exitCode: 0, succeeded: true, outputTail: 'deployed' });
    const warning = log.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.level === 'warn');
    expect(warning).toMatchObject({
      message: expect.stringContaining(
        'pruning old run commands on green-vm0 failed: HTTP 403 AuthorizationFailed',
      ),
      releaseId: 'r1',
      target: 'web-prod',
      phase: 'deploying',
      slot: 'green',
    });
  });
});

describe('previousRun', () => {
  it('picks the other app run that started last', () => {
    expect(
      previousRun(
        [
          { name: 'deploy-b', startedAt: '2026-01-02T00:00:00.000Z' },
          { name: 'deploy-a', startedAt: '2026-01-03T00:00:00.000Z' },
          { name: 'deploy-c', startedAt: '2026-01-04T00:00:00.000Z' },
          { name: 'other-z', startedAt: '2026-01-05T00:00:00.000Z' },
        ],
        'DEPLOY-C',
      ),
    ).toBe('deploy-a');
  });

  it('falls back to the name sorting last without start times, and to none when alone', () => {
    expect(previousRun([{ name: 'deploy-1' }, { name: 'deploy-3' }, { name: 'deploy-4' }], 'deploy-4')).toBe(
      'deploy-3',
    );
    expect(previousRun([{ name: 'deploy-4' }], 'deploy-4')).toBeUndefined();
  });
});
