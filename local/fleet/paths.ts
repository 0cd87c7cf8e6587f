import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Finds a file of the repository (e.g. `local/sample-app/server.js`) from this module, whether it runs
 * from source (ts-jest, ts-node) or compiled under `dist/`, where non-TS files are not copied.
 */
export function repoFile(relative: string): string {
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, relative);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`locate ${relative}: not found above ${__dirname}`);
    dir = parent;
  }
}

/** The project's real Linux deploy script. */
export function deployScriptPath(): string {
  return repoFile('scripts/deploy-linux.sh');
}
