import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS } from '../../src/settings';

const root = join(__dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const http = ['http.ts', 'console.ts']
  .map((f) => readFileSync(join(root, 'src', 'functions', f), 'utf8'))
  .join('\n');

describe('README', () => {
  it('documents every app setting the code reads', () => {
    const missing = SETTINGS.map((s) => s.name).filter((name) => !readme.includes(`| \`${name}\``));
    expect(missing).toEqual([]);
  });

  it('documents every HTTP route the app registers', () => {
    const routes = [...http.matchAll(/route: '([^']+)'/g)].map((m) => m[1]!);
    expect(routes.length).toBeGreaterThanOrEqual(6);
    const documented = (route: string) =>
      readme.includes(`/api/${route.replace('{decision}', '{approve\\|reject}')}`);
    expect(routes.filter((r) => !documented(r))).toEqual([]);
  });

  it('starts with the two commands: install and run, install and test', () => {
    const firstScreen = readme.split('\n').slice(0, 25).join('\n');
    expect(firstScreen).toContain('npm ci && npm start');
    expect(firstScreen).toContain('npm ci && npm test');
  });
});
