/**
 * Just enough Bicep reading for the infra contract tests. The Bicep compiler is a downloaded binary that
 * these machines cannot fetch, so the tests read the declarations they check (params, modules, object
 * literals) with a small string-aware scanner instead of compiling.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Root of the repository. */
export const REPO = path.resolve(__dirname, '..', '..');

/** A repository file's text. */
export function repoFile(rel: string): string {
  return readFileSync(path.join(REPO, rel), 'utf8');
}

/** Repository-relative paths of the files under `dir` whose names end with `suffix`. */
export function filesUnder(dir: string, suffix: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(REPO, rel))) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const child = path.posix.join(rel, name);
      if (statSync(path.join(REPO, child)).isDirectory()) walk(child);
      else if (name.endsWith(suffix)) out.push(child);
    }
  };
  walk(dir);
  return out.sort();
}

/** Index just past the Bicep string starting at `i` (single-quoted with escapes, or '''multi-line'''). */
export function skipString(src: string, i: number): number {
  if (src.startsWith("'''", i)) {
    const end = src.indexOf("'''", i + 3);
    if (end < 0) throw new Error(`unterminated ''' string at ${i}`);
    return end + 3;
  }
  let j = i + 1;
  while (j < src.length) {
    const c = src[j];
    if (c === '\\') j += 2;
    else if (c === "'") return j + 1;
    else if (c === '$' && src[j + 1] === '{') j = skipBalanced(src, j + 1);
    else j += 1;
  }
  throw new Error(`unterminated string at ${i}`);
}

/** Index just past the bracket group opening at `i` (`{`, `[` or `(`), skipping strings. */
export function skipBalanced(src: string, i: number): number {
  const close: Record<string, string> = { '{': '}', '[': ']', '(': ')' };
  const stack: string[] = [];
  let j = i;
  while (j < src.length) {
    const c = src[j] as string;
    if (c === "'") {
      j = skipString(src, j);
      continue;
    }
    if (c in close) stack.push(close[c] as string);
    else if (c === '}' || c === ']' || c === ')') {
      if (stack.pop() !== c) throw new Error(`unbalanced '${c}' at ${j}`);
      if (stack.length === 0) return j + 1;
    }
    j += 1;
  }
  throw new Error(`unclosed bracket opened at ${i}`);
}

/** The source without comments (strings kept intact). */
export function stripComments(src: string): string {
  let out = '';
  let i = 0;
  while (i < src.length) {
    if (src[i] === "'") {
      const end = skipString(src, i);
      out += src.slice(i, end);
      i = end;
    } else if (src.startsWith('//', i)) {
      const end = src.indexOf('\n', i);
      i = end < 0 ? src.length : end;
    } else if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2);
      i = end < 0 ? src.length : end + 2;
    } else {
      out += src[i];
      i += 1;
    }
  }
  return out;
}

/** A `param` declaration. */
export interface BicepParam {
  name: string;
  type: string;
  hasDefault: boolean;
  /** The default's source text, when there is one. */
  defaultText?: string;
  secure: boolean;
}

/** The `param` declarations of a Bicep file, with whether a `@secure()` decorator precedes them. */
export function params(src: string): BicepParam[] {
  const out: BicepParam[] = [];
  let decorators: string[] = [];
  let depth = 0;
  const balance = (line: string): number => {
    const bare = line.replace(/'(?:\\.|[^'\\])*'/g, "''");
    return (bare.match(/[([{]/g)?.length ?? 0) - (bare.match(/[)\]}]/g)?.length ?? 0);
  };
  for (const raw of stripComments(src).split('\n')) {
    const line = raw.trim();
    if (depth > 0) {
      // Continuation of a multi-line decorator such as @allowed([...]) or @metadata({...}).
      depth += balance(line);
      continue;
    }
    if (line.startsWith('@')) {
      decorators.push(line);
      depth = balance(line);
      continue;
    }
    const m = /^param\s+(\w+)\s+(\w+)(\s*=\s*(.*))?$/.exec(line);
    if (m) {
      out.push({
        name: m[1] as string,
        type: m[2] as string,
        hasDefault: m[3] !== undefined,
        ...(m[4] === undefined ? {} : { defaultText: m[4].trim() }),
        secure: decorators.some((d) => d.startsWith('@secure(')),
      });
    }
    if (line !== '') decorators = [];
  }
  return out;
}

/** A `module` declaration: its symbol, path and the names it passes in `params`. */
export interface ModuleRef {
  symbol: string;
  path: string;
  params: string[];
  /** Source text of each passed value, by param name. */
  values: Record<string, string>;
}

/** Top-level entries of an object literal `{ ... }` (the text including the braces): key and value source. */
export function objectEntries(objectText: string): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  let i = 1;
  const end = objectText.length - 1;
  while (i < end) {
    const c = objectText[i] as string;
    if (/\s|,/.test(c)) {
      i += 1;
      continue;
    }
    const key = /^('([^']*)'|[A-Za-z_][\w-]*)\s*:/.exec(objectText.slice(i));
    if (!key) throw new Error(`expected a key at: ${objectText.slice(i, i + 40)}`);
    i += key[0].length;
    const valueEnd = skipValue(objectText, i);
    entries.push([key[2] ?? (key[1] as string), objectText.slice(i, valueEnd).trim()]);
    i = valueEnd;
  }
  return entries;
}

/** Top-level keys of an object literal. */
export function objectKeys(objectText: string): string[] {
  return objectEntries(objectText).map(([key]) => key);
}

/** Index just past the value starting at (or after whitespace from) `i`: up to the end of its line at depth 0. */
function skipValue(src: string, i: number): number {
  let j = i;
  while (j < src.length && (src[j] === ' ' || src[j] === '\t')) j += 1;
  while (j < src.length) {
    const c = src[j] as string;
    if (c === '\n' || c === ',' || c === '}' || c === ']') return j;
    if (c === "'") j = skipString(src, j);
    else if (c === '{' || c === '[' || c === '(') j = skipBalanced(src, j);
    else j += 1;
  }
  return j;
}

/** The `module` declarations of a Bicep file. */
export function modules(src: string): ModuleRef[] {
  const text = stripComments(src);
  const out: ModuleRef[] = [];
  for (const m of text.matchAll(/^module\s+(\w+)\s+'([^']+)'\s*=\s*/gm)) {
    const start = (m.index as number) + m[0].length;
    const open = text.indexOf('{', start);
    const body = text.slice(open, skipBalanced(text, open));
    const p = /\n\s*params:\s*\{/.exec(body);
    const paramsText = p
      ? body.slice(p.index + p[0].length - 1, skipBalanced(body, p.index + p[0].length - 1))
      : '{}';
    const entries = objectEntries(paramsText);
    out.push({
      symbol: m[1] as string,
      path: m[2] as string,
      params: entries.map(([key]) => key),
      values: Object.fromEntries(entries),
    });
  }
  return out;
}

/** Files a Bicep file loads with loadTextContent / loadJsonContent / loadFileAsBase64. */
export function loadedFiles(src: string): string[] {
  return [
    ...stripComments(src).matchAll(/load(?:Text|Json|Yaml)Content\('([^']+)'|loadFileAsBase64\('([^']+)'/g),
  ].map((m) => (m[1] ?? m[2]) as string);
}

/** The text of `var <name> = <literal>` (an object or array literal). */
export function varLiteral(src: string, name: string): string {
  const text = stripComments(src);
  const m = new RegExp(`^var\\s+${name}\\s*=\\s*`, 'm').exec(text);
  if (!m) throw new Error(`no var ${name}`);
  const start = m.index + m[0].length;
  return text.slice(start, skipBalanced(text, start));
}

/** Resolves an expression (`target.outputs.x`, a param name...) found in a literal. */
export type Resolver = (expression: string) => unknown;

/**
 * Evaluates a Bicep object/array literal to JSON, resolving every non-literal expression and every
 * `${...}` interpolation with `resolve`. Covers what the literals under test use, nothing more.
 */
export function evaluate(literal: string, resolve: Resolver): unknown {
  let i = 0;
  const ws = (): void => {
    while (i < literal.length && /[\s,]/.test(literal[i] as string)) i += 1;
  };
  const str = (): string => {
    const end = skipString(literal, i);
    const body = literal.slice(i + 1, end - 1);
    i = end;
    let out = '';
    for (let k = 0; k < body.length; k += 1) {
      const c = body[k] as string;
      if (c === '\\') {
        out += body[k + 1];
        k += 1;
      } else if (c === '$' && body[k + 1] === '{') {
        const close = skipBalanced(body, k + 1);
        out += String(resolve(body.slice(k + 2, close - 1).trim()));
        k = close - 1;
      } else out += c;
    }
    return out;
  };
  const value = (): unknown => {
    ws();
    const c = literal[i];
    if (c === '{') {
      i += 1;
      const obj: Record<string, unknown> = {};
      for (;;) {
        ws();
        if (literal[i] === '}') {
          i += 1;
          return obj;
        }
        const key = /^('([^']*)'|[A-Za-z_][\w-]*)\s*:/.exec(literal.slice(i));
        if (!key) throw new Error(`expected a key at: ${literal.slice(i, i + 40)}`);
        i += key[0].length;
        obj[key[2] ?? (key[1] as string)] = value();
      }
    }
    if (c === '[') {
      i += 1;
      const arr: unknown[] = [];
      for (;;) {
        ws();
        if (literal[i] === ']') {
          i += 1;
          return arr;
        }
        arr.push(value());
      }
    }
    if (c === "'") return str();
    const end = skipValue(literal, i);
    const expr = literal.slice(i, end).trim();
    i = end;
    if (/^-?\d+$/.test(expr)) return Number(expr);
    if (expr === 'true' || expr === 'false') return expr === 'true';
    if (expr === 'null') return null;
    return resolve(expr);
  };
  const result = value();
  return result;
}
