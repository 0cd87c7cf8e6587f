import { UrgentFirst } from '../../src/core/concurrency';

/** Lets every pending promise callback run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

/** A promise with its resolve and reject, to hold urgent work open. */
function gate<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('UrgentFirst', () => {
  it('lets callers through at once while no urgent work runs', async () => {
    const u = new UrgentFirst();
    let through = false;
    void u.yieldToUrgent().then(() => (through = true));
    await settle();
    expect({ through, held: u.held, urgent: u.urgent }).toEqual({ through: true, held: 0, urgent: 0 });
  });

  it('holds callers while urgent work runs and lets them all go when the last urgent work ends', async () => {
    const u = new UrgentFirst();
    const first = gate<string>();
    const second = gate<string>();
    const a = u.run(() => first.promise);
    const b = u.run(() => second.promise);
    const order: string[] = [];
    const held = [1, 2, 3].map((n) => u.yieldToUrgent().then(() => order.push(`hook ${n}`)));
    await settle();
    expect({ urgent: u.urgent, held: u.held, order }).toEqual({ urgent: 2, held: 3, order: [] });

    first.resolve('alert');
    expect(await a).toBe('alert');
    await settle();
    // One urgent job is still running: nobody goes yet.
    expect({ urgent: u.urgent, held: u.held, order }).toEqual({ urgent: 1, held: 3, order: [] });

    second.resolve('rollback');
    expect(await b).toBe('rollback');
    await Promise.all(held);
    expect({ urgent: u.urgent, held: u.held, order }).toEqual({
      urgent: 0,
      held: 0,
      order: ['hook 1', 'hook 2', 'hook 3'],
    });
  });

  it('urgent work that fails still ends the hold, and its error reaches its caller', async () => {
    const u = new UrgentFirst();
    const work = gate();
    const run = u.run(() => work.promise);
    const held = u.yieldToUrgent();
    work.reject(new Error('ARM answered 503'));
    await expect(run).rejects.toThrow('ARM answered 503');
    await held;
    expect({ urgent: u.urgent, held: u.held }).toEqual({ urgent: 0, held: 0 });
  });

  describe('bounded hold', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('a held caller goes on after maxHoldMs when urgent work hangs; later callers are held again', async () => {
      const u = new UrgentFirst(2_000);
      const hung = gate();
      void u.run(() => hung.promise);
      let through = 0;
      void u.yieldToUrgent().then(() => through++);
      await jest.advanceTimersByTimeAsync(1_999);
      expect({ through, held: u.held }).toEqual({ through: 0, held: 1 });
      await jest.advanceTimersByTimeAsync(1);
      expect({ through, held: u.held, urgent: u.urgent }).toEqual({ through: 1, held: 0, urgent: 1 });

      void u.yieldToUrgent().then(() => through++);
      await jest.advanceTimersByTimeAsync(0);
      expect({ through, held: u.held }).toEqual({ through: 1, held: 1 });
      hung.resolve();
      await jest.advanceTimersByTimeAsync(0);
      expect({ through, held: u.held, timers: jest.getTimerCount() }).toEqual({
        through: 2,
        held: 0,
        timers: 0,
      });
    });
  });
});
