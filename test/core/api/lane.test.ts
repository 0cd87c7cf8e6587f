import { readFreeze, runLaneEffects } from '../../../src/core/api/lane';
import type { ReleasePhase } from '../../../src/core/domain';
import { Events, Orchestrations } from '../../../src/core/names';
import { aReleaseView } from '../../builders/release';
import { aBuild, aTarget } from '../../builders/target';
import type { ReleaseInput } from '../../../src/core/orchestration/contracts';
import { FakeClient } from '../../support/fakeClient';

const newer = {
  releaseId: 'web-prod-b101',
  event: { releaseId: 'web-prod-b102', build: aBuild({ id: '102' }), receivedAt: '2024-05-01T10:00:00.000Z' },
};

describe('the lane effects activity', () => {
  it.each<[ReleasePhase, string, boolean]>([
    ['verifying', 'Running', true],
    ['awaiting-approval', 'Running', true],
    ['baking', 'Running', false],
    ['done', 'Completed', false],
  ])('tells a %s (%s) release that its target was unfrozen: %s', async (phase, runtime, told) => {
    const client = new FakeClient();
    client.releaseIn('web-prod-b101', phase, runtime);
    await runLaneEffects(client, { lane: 'lane-web-prod', unfrozen: 'web-prod-b101' });
    expect(client.raised).toEqual(told ? [{ id: 'web-prod-b101', event: Events.TargetUnfrozen }] : []);
  });

  it('ReadFreeze: the freeze the lane publishes; null when not frozen, for an older lane, or with no lane', async () => {
    const client = new FakeClient();
    expect(await readFreeze(client, { target: 'web-prod' })).toBeNull();
    client.laneRunning(null); // a lane of code older than freezing: no `frozen`
    expect(await readFreeze(client, { target: 'web-prod' })).toBeNull();
    const freeze = { by: 'ops', authenticated: true, at: 't', since: 't', reason: 'incident' };
    client.put('lane-web-prod', Orchestrations.Lane, 'Running', {
      target: 'web-prod',
      current: null,
      lastSucceeded: null,
      frozen: freeze,
    });
    expect(await readFreeze(client, { target: 'web-prod' })).toEqual(freeze);
  });

  it.each<[ReleasePhase, boolean]>([
    ['deploying', true],
    ['verifying', true],
    ['awaiting-approval', true],
    ['swapping', false],
    ['baking', false],
    ['rolling-back', false],
  ])('tells a release that is %s of a newer build: %s', async (phase, told) => {
    const client = new FakeClient();
    client.releaseIn('web-prod-b101', phase);
    expect(await runLaneEffects(client, { lane: 'lane-web-prod', newer, check: 'web-prod-b101' })).toEqual(
      {},
    );
    expect(client.raised).toEqual(told ? [{ id: 'web-prod-b101', event: Events.NewerBuild }] : []);
  });

  it('never starts an instance that exists, finished or not (a retried activity must not run a release twice)', async () => {
    const client = new FakeClient();
    client.releaseIn('web-prod-b101', 'done', 'Completed');
    const start = jest.spyOn(client, 'start');
    const input = (id: string): ReleaseInput => ({
      releaseId: `web-prod-b${id}`,
      build: aBuild({ id }),
      target: aTarget(),
      receivedAt: '2024-05-01T10:00:00.000Z',
    });
    await runLaneEffects(client, {
      lane: 'lane-web-prod',
      start: [
        { orchestration: Orchestrations.Release, instanceId: 'web-prod-b101', input: input('101') },
        { orchestration: Orchestrations.Release, instanceId: 'web-prod-b102', input: input('102') },
      ],
    });
    expect(start.mock.calls).toEqual([[Orchestrations.Release, 'web-prod-b102', input('102')]]);
  });

  it('reports the checked instance ended when it was terminated, or finished without telling', async () => {
    const client = new FakeClient();
    client.releaseIn('web-prod-b101', 'deploying', 'Terminated');
    expect(await runLaneEffects(client, { lane: 'l', check: 'web-prod-b101' })).toEqual({
      ended: { instanceId: 'web-prod-b101' },
    });
    client.releaseIn('web-prod-b102', 'done', 'Completed');
    const done = client.instances.get('web-prod-b102')!;
    done.output = aReleaseView({
      id: 'web-prod-b102',
      status: 'Succeeded',
      productionSlot: 'blue',
      stagingSlot: 'green',
    });
    done.input = { target: aTarget({ name: 'web-prod' }) };
    expect(await runLaneEffects(client, { lane: 'l', check: 'web-prod-b102' })).toMatchObject({
      ended: {
        instanceId: 'web-prod-b102',
        release: { status: 'Succeeded', productionSlot: 'blue', stagingSlot: 'green' },
      },
    });
    client.releaseIn('web-prod-b103', 'baking');
    expect(await runLaneEffects(client, { lane: 'l', check: 'web-prod-b103' })).toEqual({});
  });

  it('passes on, from a checked release that ended untouched, that it touched nothing (and only then)', async () => {
    const client = new FakeClient();
    for (const [id, stagingTouched] of [
      ['web-prod-b104', false],
      ['web-prod-b105', undefined],
    ] as const) {
      client.releaseIn(id, 'done', 'Completed');
      const done = client.instances.get(id)!;
      done.output = aReleaseView({
        id,
        status: 'Cancelled',
        ...(stagingTouched === false ? { stagingTouched } : {}),
      });
      done.input = { target: aTarget({ name: 'web-prod' }) };
    }
    const untouched = await runLaneEffects(client, { lane: 'l', check: 'web-prod-b104' });
    expect(untouched.ended?.release).toMatchObject({ status: 'Cancelled', stagingTouched: false });
    const older = await runLaneEffects(client, { lane: 'l', check: 'web-prod-b105' });
    expect(older.ended?.release?.status).toBe('Cancelled');
    expect(older.ended?.release).not.toHaveProperty('stagingTouched');
  });
});
