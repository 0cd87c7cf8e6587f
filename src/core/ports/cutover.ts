/**
 * The cutover clients see: after the app moves traffic, when do the clients' requests actually land on the new
 * slot? A DNS-based provider is followed only once the clients' cached answer expires (its TTL); an edge-based
 * one once its configuration has propagated. The app only asks, after the fact: an observer never takes part in
 * moving traffic.
 */

/** One traffic move to observe. */
export interface CutoverQuery {
  /** The slot the move sent traffic to. */
  slot: string;
  /** The app's write, ISO 8601. */
  since: string;
  /** The next move, ISO 8601: requests after it do not count. */
  until?: string;
}

/** What an observer can say about a move. */
export type CutoverObservation =
  /** At least 99% of requests land on the slot from `reachedAt` on. */
  | { state: 'reached'; reachedAt: string }
  /** Not yet: ask again later. */
  | { state: 'pending'; detail: string }
  /** Clients never followed it before `until`. */
  | { state: 'not-reached'; detail: string }
  /** No way to tell (no observer configured, no requests, history gone). */
  | { state: 'not-measured'; reason: string };

/**
 * Tells when clients followed a move. Implementations: the local stack's traffic generator over HTTP
 * (`src/adapters/http/cutoverObserver.ts`); on Azure, one could read Application Insights `requests` per slot
 * (e.g. `cloud_RoleInstance` or a slot dimension) from the write on; `noCutoverObserver` when none is configured.
 */
export interface CutoverObserver {
  observe(target: string, query: CutoverQuery): Promise<CutoverObservation>;
}

/** Nothing configured: every move is recorded as not measured, saying why. */
export const noCutoverObserver: CutoverObserver = {
  observe: () =>
    Promise.resolve({
      state: 'not-measured',
      reason: 'no cutover observer is configured (CUTOVER_OBSERVER_URL)',
    }),
};
