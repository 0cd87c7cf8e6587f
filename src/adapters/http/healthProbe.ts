import type { HealthProbe, ProbeOptions, ProbeResult } from '../../core/ports/health';

/** Reads a dot path (`a.b.c`) from a parsed JSON body. */
function field(body: unknown, path: string): unknown {
  let cur: unknown = body;
  for (const key of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Health probe over HTTP(S) with Node's fetch: one GET, bounded by a timeout, never throws. */
export const fetchHealthProbe: HealthProbe = {
  async probe(url: string, options: ProbeOptions): Promise<ProbeResult> {
    try {
      const res = await fetch(url, {
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs),
        headers: { accept: 'application/json, text/plain;q=0.5' },
      });
      const text = await res.text();
      let version = options.versionHeader ? (res.headers.get(options.versionHeader) ?? undefined) : undefined;
      if (options.versionField) {
        try {
          const v = field(JSON.parse(text), options.versionField);
          if (v !== undefined && v !== null) version = String(v);
        } catch {
          // Not JSON: the version may still come from the header.
        }
      }
      return {
        ok: res.status >= 200 && res.status < 300,
        status: res.status,
        ...(version !== undefined ? { version } : {}),
      };
    } catch (err) {
      // fetch wraps the network error ("fetch failed"): its cause says what happened (ECONNREFUSED, ...).
      const e = err as { message?: string; cause?: { message?: string } } | undefined;
      const cause = e?.cause?.message ?? e?.message ?? String(err);
      return { ok: false, error: `GET ${url} failed: ${cause}` };
    }
  },
};
