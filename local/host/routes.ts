/** HTTP trigger routes: Functions route templates (`{x}`, `{x?}`, `{x:constraint}`, `{*x}`) and authLevel checks. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Registry, RegisteredFunction } from './functionsCore';

/** A compiled HTTP trigger route. */
export interface HttpRoute {
  fn: RegisteredFunction;
  triggerName: string;
  template: string;
  methods: string[];
  authLevel: 'anonymous' | 'function' | 'admin';
  regex: RegExp;
  params: { name: string; constraints: string[]; optional: boolean }[];
  literalCount: number;
}

const GUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

function checkConstraint(value: string, constraint: string): boolean {
  const m = /^(\w+)(?:\((.*)\))?$/.exec(constraint);
  if (!m) return true;
  const [, kind, arg] = m;
  switch (kind.toLowerCase()) {
    case 'int':
    case 'long':
      return /^-?\d+$/.test(value);
    case 'double':
    case 'float':
    case 'decimal':
      return /^-?\d+(\.\d+)?$/.test(value);
    case 'bool':
      return /^(true|false)$/i.test(value);
    case 'alpha':
      return /^[a-z]+$/i.test(value);
    case 'guid':
      return GUID.test(value);
    case 'datetime':
      return !Number.isNaN(Date.parse(value));
    case 'minlength':
      return value.length >= Number(arg);
    case 'maxlength':
      return value.length <= Number(arg);
    case 'length': {
      const [a, b] = (arg ?? '').split(',').map(Number);
      return b === undefined ? value.length === a : value.length >= a && value.length <= b;
    }
    case 'min':
      return Number(value) >= Number(arg);
    case 'max':
      return Number(value) <= Number(arg);
    case 'range': {
      const [a, b] = (arg ?? '').split(',').map(Number);
      return Number(value) >= a && Number(value) <= b;
    }
    case 'regex':
      return new RegExp(arg ?? '').test(value);
    default:
      return true;
  }
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Compiles a route template (relative to the route prefix) into a matcher. */
export function compileTemplate(template: string): Pick<HttpRoute, 'regex' | 'params' | 'literalCount'> {
  const params: HttpRoute['params'] = [];
  let literalCount = 0;
  let pattern = '';
  const segments = template
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter((s) => s.length > 0);
  for (const segment of segments) {
    const whole = /^\{(\*?)([^}:?=]+)((?::[^}?]+)*)(\?)?\}$/.exec(segment);
    if (whole) {
      const [, star, name, constraintText, optional] = whole;
      const constraints = constraintText ? constraintText.slice(1).split(':') : [];
      params.push({ name, constraints, optional: Boolean(optional) || Boolean(star) });
      if (star) pattern += '(?:/(.*))?';
      else if (optional) pattern += '(?:/([^/]+))?';
      else pattern += '/([^/]+)';
      continue;
    }
    literalCount++;
    // A segment mixing text and parameters, e.g. `file.{ext}`.
    let seg = '';
    let rest = segment;
    for (
      let m = /\{([^}:?]+)((?::[^}?]+)*)(\?)?\}/.exec(rest);
      m;
      m = /\{([^}:?]+)((?::[^}?]+)*)(\?)?\}/.exec(rest)
    ) {
      seg += escapeRegex(rest.slice(0, m.index));
      const constraints = m[2] ? m[2].slice(1).split(':') : [];
      params.push({ name: m[1], constraints, optional: Boolean(m[3]) });
      seg += m[3] ? '([^/]*)' : '([^/]+)';
      rest = rest.slice(m.index + m[0].length);
    }
    pattern += '/' + seg + escapeRegex(rest);
  }
  return { regex: new RegExp(`^${pattern}/?$`, 'i'), params, literalCount };
}

/** Builds the route table from the registry's HTTP triggers, most specific first. */
export function buildRoutes(registry: Registry): HttpRoute[] {
  const routes: HttpRoute[] = [];
  for (const fn of registry.functions.values()) {
    const entry = Object.entries(fn.metadata.bindings).find(([, b]) => b.type === 'httpTrigger');
    if (!entry) continue;
    const [triggerName, binding] = entry;
    const template = typeof binding.route === 'string' && binding.route ? binding.route : fn.metadata.name;
    const methods = Array.isArray(binding.methods)
      ? (binding.methods as string[]).map((m) => m.toUpperCase())
      : ['GET', 'POST'];
    const level = String(binding.authLevel ?? 'anonymous').toLowerCase();
    const authLevel = level === 'function' || level === 'admin' ? level : 'anonymous';
    routes.push({ fn, triggerName, template, methods, authLevel, ...compileTemplate(template) });
  }
  return routes.sort(
    (a, b) =>
      b.literalCount - a.literalCount ||
      a.params.filter((p) => p.optional).length - b.params.filter((p) => p.optional).length ||
      a.params.length - b.params.length,
  );
}

/** A path segment that is not valid percent-encoding: the caller's error (400), never the host's (500). */
export class BadPathError extends Error {}

/** Decodes one path segment; a malformed escape (`%zz`, a broken UTF-8 sequence) throws BadPathError. */
export function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new BadPathError(`the path segment '${raw.slice(0, 100)}' is not valid percent-encoding`);
  }
}

/** Matches a path (relative to the route prefix, starting with `/`) against a route; returns its params. */
export function matchRoute(route: HttpRoute, path: string): Record<string, string> | undefined {
  const m = route.regex.exec(path === '' ? '/' : path);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < route.params.length; i++) {
    const raw = m[i + 1];
    const spec = route.params[i];
    if (raw === undefined || raw === '') {
      if (!spec.optional) return undefined;
      continue;
    }
    const value = decodeSegment(raw);
    if (!spec.constraints.every((c) => checkConstraint(value, c))) return undefined;
    params[spec.name] = value;
  }
  return params;
}

/** Constant-time key comparison (hashing first hides the length too). */
export function keyMatches(candidate: string | undefined, expected: string): boolean {
  if (candidate === undefined) return false;
  const a = createHash('sha256').update(candidate).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
