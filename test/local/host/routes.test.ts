import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HttpRoute } from '../../../local/host/routes';
import { compileTemplate, keyMatches, matchRoute } from '../../../local/host/routes';
import { loadLocalSettings } from '../../../local/host/settings';

const route = (template: string): HttpRoute =>
  ({ template, ...compileTemplate(template) }) as unknown as HttpRoute;

describe('route templates', () => {
  it('matches literals case-insensitively and extracts parameters', () => {
    expect(matchRoute(route('releases/{id}/approve'), '/Releases/r-1/APPROVE')).toEqual({ id: 'r-1' });
    expect(matchRoute(route('releases/{id}/approve'), '/releases/r-1')).toBeUndefined();
  });

  it('supports optional parameters', () => {
    const r = route('start/{name}/{id?}');
    expect(matchRoute(r, '/start/Hello')).toEqual({ name: 'Hello' });
    expect(matchRoute(r, '/start/Hello/abc')).toEqual({ name: 'Hello', id: 'abc' });
  });

  it('enforces constraints', () => {
    expect(matchRoute(route('items/{id:int}'), '/items/12')).toEqual({ id: '12' });
    expect(matchRoute(route('items/{id:int}'), '/items/x')).toBeUndefined();
    expect(matchRoute(route('x/{g:guid}'), '/x/3f2504e0-4f89-11d3-9a0c-0305e82c3301')).toBeDefined();
    expect(matchRoute(route('x/{a:alpha:maxlength(3)}'), '/x/abcd')).toBeUndefined();
    expect(matchRoute(route('x/{a:regex(^v\\d+$)}'), '/x/v12')).toEqual({ a: 'v12' });
  });

  it('supports catch-all parameters and decodes values', () => {
    expect(matchRoute(route('files/{*path}'), '/files/a/b%20c')).toEqual({ path: 'a/b c' });
  });
});

describe('function key comparison', () => {
  it('accepts only the exact key', () => {
    expect(keyMatches('secret', 'secret')).toBe(true);
    expect(keyMatches('secret2', 'secret')).toBe(false);
    expect(keyMatches(undefined, 'secret')).toBe(false);
  });
});

describe('local settings', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'local-host-settings-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('uses local.settings.json, existing variables win', () => {
    writeFileSync(join(dir, 'local.settings.json'), JSON.stringify({ Values: { A: '1', B: '2' } }));
    writeFileSync(join(dir, 'local.settings.sample.json'), JSON.stringify({ Values: { A: 'sample' } }));
    const env: NodeJS.ProcessEnv = { B: 'already' };
    const loaded = loadLocalSettings(dir, env);
    expect(loaded).toEqual({ file: join(dir, 'local.settings.json'), applied: ['A'] });
    expect(env).toEqual({ A: '1', B: 'already' });
  });

  it('falls back to local.settings.sample.json', () => {
    writeFileSync(join(dir, 'local.settings.sample.json'), JSON.stringify({ Values: { A: 'sample' } }));
    const env: NodeJS.ProcessEnv = {};
    expect(loadLocalSettings(dir, env).file).toBe(join(dir, 'local.settings.sample.json'));
    expect(env.A).toBe('sample');
  });
});
