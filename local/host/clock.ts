/** Time for the local host: production uses real time, tests a manual clock that fires timers on demand. */

/** A clock that can also run a callback at a given instant (epoch milliseconds). */
export interface HostClock {
  now(): number;
  /** Runs `callback` once `now() >= at`; the returned function cancels it. */
  schedule(at: number, callback: () => void): () => void;
}

// setTimeout overflows above 2^31-1 ms (about 24.8 days): longer waits are chained.
const MAX_TIMEOUT_MS = 2_147_483_647;

/** Real time, with timers chained past setTimeout's 24.8-day limit. */
export class SystemClock implements HostClock {
  now(): number {
    return Date.now();
  }

  schedule(at: number, callback: () => void): () => void {
    let handle: NodeJS.Timeout | undefined;
    let cancelled = false;
    const arm = (): void => {
      const delay = at - Date.now();
      if (delay <= 0) {
        handle = setTimeout(() => {
          if (!cancelled) callback();
        }, 0);
        return;
      }
      handle = setTimeout(arm, Math.min(delay, MAX_TIMEOUT_MS));
    };
    arm();
    return () => {
      cancelled = true;
      if (handle) clearTimeout(handle);
    };
  }
}

interface ManualEntry {
  at: number;
  order: number;
  callback: () => void;
}

/** A clock that only moves when told: `advance(ms)` / `advanceTo(date)` fire every timer that became due. */
export class ManualClock implements HostClock {
  #now: number;
  #entries: ManualEntry[] = [];
  #order = 0;

  constructor(start: Date | number = Date.UTC(2026, 0, 1, 9, 0, 0)) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  schedule(at: number, callback: () => void): () => void {
    const entry: ManualEntry = { at, order: this.#order++, callback };
    this.#entries.push(entry);
    if (at <= this.#now) {
      // Due already (e.g. an overdue timer re-armed): fire asynchronously, as a real timer would.
      setImmediate(() => this.#fireDue());
    }
    return () => {
      this.#entries = this.#entries.filter((e) => e !== entry);
    };
  }

  /** Moves time forward by `ms` and fires every timer that became due, in fire-time order. */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError(`ManualClock.advance: cannot move time backwards (${ms} ms)`);
    this.advanceTo(this.#now + ms);
  }

  /** Moves time to `at` (never backwards) and fires every timer that became due. */
  advanceTo(at: Date | number): void {
    const target = typeof at === 'number' ? at : at.getTime();
    if (target > this.#now) this.#now = target;
    this.#fireDue();
  }

  /** Number of timers not fired yet (useful in assertions). */
  get pendingTimers(): number {
    return this.#entries.length;
  }

  /** Fire time of the earliest timer not fired yet, if any. */
  get nextTimerAt(): number | undefined {
    return this.#entries.reduce<number | undefined>(
      (min, e) => (min === undefined || e.at < min ? e.at : min),
      undefined,
    );
  }

  #fireDue(): void {
    const due = this.#entries
      .filter((e) => e.at <= this.#now)
      .sort((a, b) => a.at - b.at || a.order - b.order);
    this.#entries = this.#entries.filter((e) => e.at > this.#now);
    for (const entry of due) entry.callback();
  }
}
