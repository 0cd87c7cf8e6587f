import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { ScriptSource } from '../core/activities';

/** Script files shipped with the app, by kind. */
const FILES = { linux: 'deploy-linux.sh', windows: 'deploy-windows.ps1' } as const;

/** The app's package root: the nearest folder above this file with a package.json (works from src/ and dist/). */
export function packageRoot(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

/** Reads the deploy scripts from the package's `scripts/` folder once, then from memory. */
export function packagedScripts(root: string = packageRoot()): ScriptSource {
  const cache = new Map<string, Promise<string>>();
  return {
    load(kind) {
      let text = cache.get(kind);
      if (!text) {
        text = readFile(path.join(root, 'scripts', FILES[kind]), 'utf8');
        cache.set(kind, text);
        text.catch(() => cache.delete(kind));
      }
      return text;
    },
  };
}
