/** Wall clock for activities and handlers (never for orchestrators), injectable for tests. */
export interface Clock {
  now(): Date;
}

/** The real clock. */
export const systemClock: Clock = { now: () => new Date() };
