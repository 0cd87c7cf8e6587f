/**
 * The Durable host's activity concurrency: `host.json` `extensions.durableTask.maxConcurrentActivityFunctions`,
 * overridden by the app setting Azure reads for it. One number that both the configuration check and the local
 * host use, so `deploy.maxParallel` can never silently exceed what the host runs at once.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

/** The app setting that overrides the host.json value (Azure Functions' `AzureFunctionsJobHost__` rule). */
export const ACTIVITY_LIMIT_SETTING =
  'AzureFunctionsJobHost__extensions__durableTask__maxConcurrentActivityFunctions';

/** Where the activity limit came from and its value. */
export interface ActivityLimit {
  readonly value: number;
  /** `host.json`, the override setting, or the extension's default (10 × processors). */
  readonly source: string;
}

function positive(raw: unknown): number | undefined {
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 ? n : undefined;
}

/**
 * The host's activity limit for the app in `appDir` (default: the app root, where host.json is deployed).
 * Throws when host.json or the setting holds something the host would not accept.
 */
export function activityLimit(
  env: NodeJS.ProcessEnv,
  appDir: string = join(__dirname, '..', '..', '..'),
): ActivityLimit {
  const override = env[ACTIVITY_LIMIT_SETTING];
  if (override !== undefined && override.trim() !== '') {
    const value = positive(override);
    if (value === undefined) throw new Error(`${ACTIVITY_LIMIT_SETTING}: must be an integer >= 1`);
    return { value, source: ACTIVITY_LIMIT_SETTING };
  }
  const file = findHostJson(appDir);
  if (file !== undefined) {
    const json = JSON.parse(readFileSync(file, 'utf8')) as {
      extensions?: { durableTask?: { maxConcurrentActivityFunctions?: unknown } };
    };
    const raw = json.extensions?.durableTask?.maxConcurrentActivityFunctions;
    if (raw !== undefined) {
      const value = positive(raw);
      if (value === undefined)
        throw new Error(
          'host.json extensions.durableTask.maxConcurrentActivityFunctions: must be an integer >= 1',
        );
      return { value, source: 'host.json maxConcurrentActivityFunctions' };
    }
  }
  // The Durable extension's documented default.
  return { value: 10 * availableParallelism(), source: 'the Durable default (10 x processors)' };
}

/** host.json in appDir, or in its parent (the compiled app runs from dist/). */
function findHostJson(appDir: string): string | undefined {
  for (const dir of [appDir, join(appDir, '..')]) {
    const file = join(dir, 'host.json');
    if (existsSync(file)) return file;
  }
  return undefined;
}
