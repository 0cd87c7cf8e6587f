/** Runs `fn` over `items`, at most `limit` at a time, keeping the order of `items` in the result. */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** How long a held delivery waits for urgent work at most, before it goes on anyway. */
export const URGENT_MAX_HOLD_MS = 2_000;

/**
 * Urgent work first, within one app instance (one Node worker: its HTTP functions and activities share one event
 * loop). While urgent work runs (an alert webhook being routed, traffic being moved back), work that can wait
 * (service hook deliveries) holds before doing anything, so a flood of it never fills the event loop the urgent work's
 * next step needs. Bounded: a held caller goes on once no urgent work runs, or after `maxHoldMs` (urgent work that
 * hangs never stops the rest). What runs on other instances is not held: see docs/architecture.md for Azure.
 */
export class UrgentFirst {
  #urgent = 0;
  readonly #held = new Set<() => void>();

  constructor(readonly maxHoldMs = URGENT_MAX_HOLD_MS) {}

  /** Urgent work running now. */
  get urgent(): number {
    return this.#urgent;
  }

  /** Callers held now. */
  get held(): number {
    return this.#held.size;
  }

  /** Runs `work` as urgent: callers of `yieldToUrgent` hold until it (and any other urgent work) has ended. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    this.#urgent++;
    try {
      return await work();
    } finally {
      if (--this.#urgent === 0) for (const release of [...this.#held]) release();
    }
  }

  /** Resolves at once when no urgent work runs; else when none runs any more, or after `maxHoldMs`. */
  async yieldToUrgent(): Promise<void> {
    if (this.#urgent === 0) return;
    await new Promise<void>((resolve) => {
      const release = (): void => {
        clearTimeout(timer);
        this.#held.delete(release);
        resolve();
      };
      const timer = setTimeout(release, this.maxHoldMs);
      timer.unref?.();
      this.#held.add(release);
    });
  }
}

/** This app instance's: the alert webhook and rollbacks run urgent, service hook deliveries yield to them. */
export const urgentFirst = new UrgentFirst();
