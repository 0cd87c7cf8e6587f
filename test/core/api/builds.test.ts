import { FREEZE_SEEN_MS, IntakeMemory, submitBuild } from '../../../src/core/api/builds';
import { urgentFirst } from '../../../src/core/concurrency';
import type { ReleasePhase } from '../../../src/core/domain';
import { FakeClient } from '../../support/fakeClient';
import { Events, Orchestrations } from '../../../src/core/names';
import { aBuild, aFreeze, aTarget } from '../../builders/target';

const clock = { now: () => new Date('2024-05-01T10:00:00.000Z') };
const target = aTarget({ name: 'web-prod' });

const submit = (client: FakeClient, buildId: string, memory?: IntakeMemory, at = clock) =>
  submitBuild(client, at, target, aBuild({ id: buildId, number: `1.0.${buildId}` }), memory);

describe('submitBuild', () => {
  it('a new build is raised to the lane once, then gets its receipt', async () => {
    const client = new FakeClient();
    expect(await submit(client, '101')).toEqual({ id: 'web-prod-b101', outcome: 'started' });
    expect(client.raised).toEqual([{ id: 'lane-web-prod', event: Events.BuildArrived }]);
    expect(client.instances.get('web-prod-b101:accepted')).toMatchObject({
      name: Orchestrations.Accepted,
      input: { releaseId: 'web-prod-b101', target: 'web-prod', build: { id: '101' } },
    });
  });

  it.each([
    [
      'queued (its receipt exists)',
      (c: FakeClient) => c.put('web-prod-b102:accepted', 'BuildAccepted', 'Completed'),
    ],
    ['running', (c: FakeClient) => c.releaseIn('web-prod-b102', 'baking')],
    ['superseded', (c: FakeClient) => c.releaseIn('web-prod-b102', 'done', 'Completed')],
  ])('a redelivery of a build that is %s raises nothing and starts nothing', async (_what, arrange) => {
    const client = new FakeClient();
    client.releaseIn('web-prod-b101', 'baking');
    client.laneRunning('web-prod-b101');
    arrange(client);
    const before = [...client.instances.keys()];
    expect(await submit(client, '102')).toEqual({ id: 'web-prod-b102', outcome: 'duplicate' });
    expect(client.raised).toEqual([]);
    expect([...client.instances.keys()]).toEqual(before);
  });

  it.each([
    [
      'queued (its receipt exists)',
      (c: FakeClient) => c.put('web-prod-b102:accepted', 'BuildAccepted', 'Completed'),
    ],
    ['running', (c: FakeClient) => c.releaseIn('web-prod-b102', 'baking')],
    ['the one the lane runs', (c: FakeClient) => c.laneRunning('web-prod-b102', aFreeze())],
  ])(
    'a redelivery of a build that is %s, on a frozen target, carries the freeze in force',
    async (_what, arrange) => {
      const client = new FakeClient();
      client.laneRunning(null, aFreeze());
      arrange(client);
      expect(await submit(client, '102')).toEqual({
        id: 'web-prod-b102',
        outcome: 'duplicate',
        frozen: aFreeze(),
      });
      expect(client.raised).toEqual([]);
    },
  );

  it('a redelivery known from memory carries the freeze seen moments ago, and reads the lane again after a while', async () => {
    const client = new FakeClient();
    client.laneRunning(null, aFreeze());
    const memory = new IntakeMemory();
    let nowMs = clock.now().getTime();
    const at = { now: () => new Date(nowMs) };
    expect(await submit(client, '101', memory, at)).toEqual({
      id: 'web-prod-b101',
      outcome: 'started',
      frozen: aFreeze(),
    });
    const get = jest.spyOn(client, 'get');
    nowMs += FREEZE_SEEN_MS - 1;
    expect(await submit(client, '101', memory, at)).toEqual({
      id: 'web-prod-b101',
      outcome: 'duplicate',
      frozen: aFreeze(),
    });
    expect(get).not.toHaveBeenCalled();
    // Unfrozen since: once the freeze seen is old, one read of the lane finds it gone, and the next is answered from memory.
    client.laneRunning(null);
    nowMs += 1;
    expect(await submit(client, '101', memory, at)).toEqual({ id: 'web-prod-b101', outcome: 'duplicate' });
    expect(await submit(client, '101', memory, at)).toEqual({ id: 'web-prod-b101', outcome: 'duplicate' });
    expect(get.mock.calls).toEqual([['lane-web-prod', { withInput: false }]]);
  });

  it('a redelivery that waited for the first delivery carries the freeze the first one found', async () => {
    const client = new FakeClient();
    client.laneRunning(null, aFreeze());
    const memory = new IntakeMemory();
    const [first, second] = await Promise.all([submit(client, '102', memory), submit(client, '102', memory)]);
    expect(first).toEqual({ id: 'web-prod-b102', outcome: 'started', frozen: aFreeze() });
    expect(second).toEqual({ id: 'web-prod-b102', outcome: 'duplicate', frozen: aFreeze() });
  });

  it.each<ReleasePhase>(['deploying', 'awaiting-approval', 'baking'])(
    'a new build while the running release is %s is only raised to the lane (the lane tells the release)',
    async (phase) => {
      const client = new FakeClient();
      client.releaseIn('web-prod-b101', phase);
      client.laneRunning('web-prod-b101');
      expect(await submit(client, '102')).toEqual({
        id: 'web-prod-b102',
        outcome: 'started',
        behind: 'web-prod-b101',
      });
      expect(client.raised).toEqual([{ id: 'lane-web-prod', event: Events.BuildArrived }]);
      expect(client.instances.get('web-prod-b102:accepted')?.input).toMatchObject({
        behind: 'web-prod-b101',
      });
    },
  );

  it('50 concurrent deliveries of one build: one reaches the lane, 49 are duplicates', async () => {
    const client = new FakeClient();
    client.releaseIn('web-prod-b101', 'baking');
    client.laneRunning('web-prod-b101');
    const memory = new IntakeMemory();
    const results = await Promise.all(Array.from({ length: 50 }, () => submit(client, '102', memory)));
    expect(results.filter((r) => r.outcome === 'started')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'duplicate')).toHaveLength(49);
    expect(client.raised).toEqual([{ id: 'lane-web-prod', event: Events.BuildArrived }]);
  });

  it('when the receipt cannot be written the hook fails, and the redelivery hands the build over again', async () => {
    const client = new FakeClient();
    client.releaseIn('web-prod-b101', 'baking');
    client.laneRunning('web-prod-b101');
    client.failNextStartOf = Orchestrations.Accepted;
    await expect(submit(client, '102')).rejects.toThrow('HTTP 503');
    // Never "duplicate" without a receipt: the build might otherwise be lost.
    expect(await submit(client, '102')).toMatchObject({ outcome: 'started' });
    expect(client.raised.map((r) => r.event)).toEqual([Events.BuildArrived, Events.BuildArrived]);
    expect(await submit(client, '102')).toMatchObject({ outcome: 'duplicate' });
  });

  it('an id this app instance accepted is answered from memory, without a Durable call', async () => {
    const client = new FakeClient();
    const memory = new IntakeMemory();
    await submit(client, '101', memory);
    const get = jest.spyOn(client, 'get');
    expect(await submit(client, '101', memory)).toEqual({ id: 'web-prod-b101', outcome: 'duplicate' });
    expect(get).not.toHaveBeenCalled();
    // Another instance (no memory) finds the receipt instead.
    expect(await submit(client, '101')).toEqual({ id: 'web-prod-b101', outcome: 'duplicate' });
    expect(client.raised).toHaveLength(1);
  });

  it('a hand-over that gets its place while an alert is handled waits for it before any Durable call', async () => {
    const client = new FakeClient();
    client.releaseIn('web-prod-b101', 'baking');
    client.laneRunning('web-prod-b101');
    const get = jest.spyOn(client, 'get');
    let alertDone!: () => void;
    const alert = urgentFirst.run(() => new Promise<void>((r) => (alertDone = r)));
    const handedOver = submit(client, '102', new IntakeMemory());
    for (let i = 0; i < 100 && urgentFirst.held === 0; i++) await new Promise((r) => setImmediate(r));
    expect({ held: urgentFirst.held, reads: get.mock.calls.length, raised: client.raised }).toEqual({
      held: 1,
      reads: 0,
      raised: [],
    });
    alertDone();
    await alert;
    expect(await handedOver).toEqual({ id: 'web-prod-b102', outcome: 'started', behind: 'web-prod-b101' });
    expect(client.raised).toEqual([{ id: 'lane-web-prod', event: Events.BuildArrived }]);
  });
});
