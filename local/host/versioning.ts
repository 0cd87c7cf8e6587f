/**
 * Orchestration versioning settings as the Durable extension reads them: host.json
 * `extensions.durableTask.defaultVersion`, `versionMatchStrategy`, `versionFailureStrategy`, each overridable
 * by its app setting (`AzureFunctionsJobHost__extensions__durableTask__<name>`, Azure Functions' rule for
 * host.json values). https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-orchestration-versioning
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Which instances a host runs, by their version against its own `defaultVersion`. */
export type VersionMatchStrategy = 'None' | 'Strict' | 'CurrentOrOlder';
/** What a host does with an instance it must not run: leave it queued (Reject) or fail it (Fail). */
export type VersionFailureStrategy = 'Reject' | 'Fail';

/** The host's versioning settings. */
export interface VersioningSettings {
  /** Stamped on new instances; undefined: none (instances get no version and no check is made). */
  defaultVersion: string | undefined;
  matchStrategy: VersionMatchStrategy;
  failureStrategy: VersionFailureStrategy;
}

/** The app setting that overrides a host.json durableTask value. */
export const versioningSetting = (name: string): string =>
  `AzureFunctionsJobHost__extensions__durableTask__${name}`;

const MATCH: readonly VersionMatchStrategy[] = ['None', 'Strict', 'CurrentOrOlder'];
const FAILURE: readonly VersionFailureStrategy[] = ['Reject', 'Fail'];

/** Accepts an enum name case-insensitively, as .NET's options binding does. */
function pick<T extends string>(allowed: readonly T[], raw: unknown, where: string): T | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const found =
    typeof raw === 'string' ? allowed.find((a) => a.toLowerCase() === raw.trim().toLowerCase()) : undefined;
  if (!found) throw new Error(`${where}: '${String(raw)}' is not one of ${allowed.join(', ')}`);
  return found;
}

/**
 * Reads the settings for the app in `appDir`. Defaults are the extension's: no default version,
 * `CurrentOrOlder`, `Reject`. Throws naming the setting when a value is not one the extension accepts.
 */
export function readVersioning(appDir: string, env: NodeJS.ProcessEnv = process.env): VersioningSettings {
  const file = join(appDir, 'host.json');
  let json: Record<string, unknown> = {};
  if (existsSync(file)) {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as {
      extensions?: { durableTask?: Record<string, unknown> };
    };
    json = parsed.extensions?.durableTask ?? {};
  }
  const value = (name: string): { raw: unknown; where: string } => {
    const setting = versioningSetting(name);
    const fromEnv = env[setting];
    if (fromEnv !== undefined && fromEnv.trim() !== '') return { raw: fromEnv, where: setting };
    return { raw: json[name], where: `host.json extensions.durableTask.${name}` };
  };
  const version = value('defaultVersion');
  if (version.raw !== undefined && version.raw !== null && typeof version.raw !== 'string') {
    throw new Error(`${version.where}: must be a string`);
  }
  const match = value('versionMatchStrategy');
  const failure = value('versionFailureStrategy');
  const defaultVersion =
    typeof version.raw === 'string' && version.raw.trim() !== '' ? version.raw : undefined;
  return {
    defaultVersion,
    matchStrategy: pick(MATCH, match.raw, match.where) ?? 'CurrentOrOlder',
    failureStrategy: pick(FAILURE, failure.raw, failure.where) ?? 'Reject',
  };
}
