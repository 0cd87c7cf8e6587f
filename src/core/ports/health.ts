/** What one health probe saw. */
export interface ProbeResult {
  ok: boolean;
  status?: number;
  version?: string;
  error?: string;
}

/** Options of one probe. */
export interface ProbeOptions {
  versionHeader?: string;
  versionField?: string;
  timeoutMs: number;
}

/** The health probe: one HTTP GET of a slot's health URL. */
export interface HealthProbe {
  probe(url: string, options: ProbeOptions): Promise<ProbeResult>;
}
