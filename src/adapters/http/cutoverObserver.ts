/**
 * A cutover observer over HTTP: `GET <url>?target=&slot=&since=&until=` answers where requests landed after a
 * traffic move. Locally the fleet's traffic generator serves it (`local/fleet`, `GET /traffic/cutover`); any
 * service that can tell the same from its own request records (e.g. one reading Application Insights) can.
 */
import type { CutoverObservation, CutoverObserver } from '../../core/ports/cutover';

/** One question should never hold an activity long: the orchestrator asks again later. */
const TIMEOUT_MS = 5_000;

const isIso = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));

/** The observer's JSON answer, checked: anything else is a failure naming what came back. */
export function parseObservation(body: unknown): CutoverObservation {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  switch (b.state) {
    case 'reached':
      if (isIso(b.reachedAt)) return { state: 'reached', reachedAt: b.reachedAt };
      break;
    case 'pending':
    case 'not-reached':
      return { state: b.state, detail: text(b.detail) };
    case 'not-measured':
      return { state: 'not-measured', reason: text(b.reason) || 'the observer could not tell' };
  }
  throw new Error(`cutover observer: unexpected answer ${JSON.stringify(body).slice(0, 200)}`);
}

/** The observer at `url`. */
export function httpCutoverObserver(url: string, fetchImpl: typeof fetch = fetch): CutoverObserver {
  return {
    async observe(target, query) {
      const u = new URL(url);
      u.searchParams.set('target', target);
      u.searchParams.set('slot', query.slot);
      u.searchParams.set('since', query.since);
      if (query.until) u.searchParams.set('until', query.until);
      const res = await fetchImpl(u, { signal: AbortSignal.timeout(TIMEOUT_MS) });
      const text = await res.text();
      if (!res.ok)
        throw new Error(
          `cutover observer: GET ${u.origin}${u.pathname}: HTTP ${res.status} ${text.slice(0, 200)}`,
        );
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new Error(`cutover observer: GET ${u.origin}${u.pathname}: not JSON: ${text.slice(0, 200)}`);
      }
      return parseObservation(body);
    },
  };
}
