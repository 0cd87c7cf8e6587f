/** App settings for the local host: `local.settings.json` `Values`, else `local.settings.sample.json`. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What was loaded, for the start-up banner. */
export interface LoadedSettings {
  /** The file read, or undefined when neither exists. */
  file: string | undefined;
  /** Names set into process.env (existing variables win and are not listed). */
  applied: string[];
}

/** Copies the settings' `Values` into process.env before the app loads; variables already set win. */
export function loadLocalSettings(appDir: string, env: NodeJS.ProcessEnv = process.env): LoadedSettings {
  const candidates = ['local.settings.json', 'local.settings.sample.json'].map((f) => join(appDir, f));
  const file = candidates.find((f) => existsSync(f));
  if (!file) return { file: undefined, applied: [] };
  let parsed: { Values?: Record<string, unknown> };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, unknown> };
  } catch (err) {
    throw new Error(`settings: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const applied: string[] = [];
  for (const [name, value] of Object.entries(parsed.Values ?? {})) {
    if (env[name] !== undefined || value === undefined || value === null) continue;
    env[name] = String(value);
    applied.push(name);
  }
  return { file, applied };
}
