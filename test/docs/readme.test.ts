import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beginRegistration, endRegistration, releaseRegistry } from '../../local/host/functionsCore';
import { buildRoutes } from '../../local/host/routes';
import { registerApp } from '../../src/functions';
import { SETTINGS } from '../../src/settings';

const root = join(__dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** Every HTTP trigger the app registers, as the local host (and the Functions host) reads the registrations. */
function registeredRoutes(): { method: string; route: string; authLevel: string }[] {
  const registry = beginRegistration();
  try {
    // Registration never calls for the dependencies; a handler would.
    registerApp(() => {
      throw new Error('not invoked');
    });
    endRegistration();
    return buildRoutes(registry).flatMap((r) =>
      r.methods.map((method) => ({ method, route: `/api/${r.template}`, authLevel: r.authLevel })),
    );
  } finally {
    releaseRegistry(registry);
  }
}

/** A route's shape: every `{parameter}` (the README writes `{approve\|reject}` where the route has `{decision}`) alike. */
const shape = (method: string, route: string) => `${method} ${route.replace(/\{[^}]*\}/g, '{}')}`;

/** The rows of the README's API table: method and route (query left off), and who may call it. */
function apiTable(): { key: string; row: string; auth: string }[] {
  const section = readme.split('\n## HTTP API\n')[1]?.split('\n## ')[0] ?? '';
  return section
    .split('\n')
    .filter((line) => /^\| `(GET|POST|PUT|PATCH|DELETE) \/api\//.test(line))
    .map((line) => {
      const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
      const [method, path] = cells[1]!.replace(/`/g, '').split(' ') as [string, string];
      return { key: shape(method, path.split('?')[0]!), row: cells[1]!, auth: cells[2]! };
    });
}

describe('README', () => {
  it('documents every app setting the code reads', () => {
    const missing = SETTINGS.map((s) => s.name).filter((name) => !readme.includes(`| \`${name}\``));
    expect(missing).toEqual([]);
  });

  it('has one API table row per registered route and method, none stale, the auth as registered', () => {
    const registered = registeredRoutes();
    expect(registered.length).toBeGreaterThanOrEqual(12);
    const rows = apiTable();
    const keys = rows.map((r) => r.key);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]); // one row each
    const missing = registered.filter((r) => !keys.includes(shape(r.method, r.route)));
    expect(
      missing.map((r) => `${r.method} ${r.route}: registered, no row in README's "HTTP API" table`),
    ).toEqual([]);
    const stale = rows.filter((row) => !registered.some((r) => shape(r.method, r.route) === row.key));
    expect(stale.map((r) => `${r.row}: in the table, not registered`)).toEqual([]);
    // A function-key route says so; an anonymous one names what authenticates it instead (a token, a sign-in).
    const wrongAuth = registered.filter((r) => {
      const auth = rows.find((row) => row.key === shape(r.method, r.route))!.auth;
      return r.authLevel === 'function'
        ? !/function key/.test(auth)
        : auth === '' || /function key/.test(auth);
    });
    expect(wrongAuth.map((r) => `${r.method} ${r.route} (authLevel ${r.authLevel})`)).toEqual([]);
  });

  it('starts with the two commands: install and run, install and test', () => {
    const firstScreen = readme.split('\n').slice(0, 25).join('\n');
    expect(firstScreen).toContain('npm ci && npm start');
    expect(firstScreen).toContain('npm ci && npm test');
  });
});
