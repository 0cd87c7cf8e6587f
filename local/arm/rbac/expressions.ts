/**
 * A small evaluator of ARM template expressions (`[format('{0}', parameters('x'))]`), enough to read the role
 * definitions and role assignments of a compiled Bicep template: the functions Bicep emits for them.
 */
import { createHash } from 'node:crypto';
import { parseExpression, type ExpressionNode } from '../expressionSyntax';

/** What expressions can see: parameters, variables, the deployment's scope, copy indexes, references. */
export interface EvalScope {
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  parameters: Record<string, unknown>;
  /** Variables of the template, evaluated lazily (they may be expressions themselves). */
  variable(name: string): unknown;
  /** `copyIndex()` of the resource loop being expanded (or of a named variable loop). */
  copyIndex(name?: string): number;
  /** `reference(symbolicName or id)`: the runtime properties of a resource (identities: `principalId`). */
  reference(target: string): unknown;
}

/** Deterministic GUID from strings (UUID v5-shaped over SHA-1), as ARM's `guid()` is deterministic. */
export function armGuid(...parts: string[]): string {
  const h = createHash('sha1').update(parts.join('\u0000')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

const isEmpty = (v: unknown): boolean =>
  v === null ||
  v === undefined ||
  v === '' ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);

/** `type` names, as in resourceId('Microsoft.X/a/b', 'n1', 'n2') → providers/Microsoft.X/a/n1/b/n2. */
function resourcePath(type: string, names: string[]): string {
  const [ns, ...types] = type.split('/');
  if (types.length !== names.length) throw new Error(`resource type ${type} needs ${types.length} names`);
  return `/providers/${ns}${types.map((t, i) => `/${t}/${names[i]}`).join('')}`;
}

function call(name: string, args: unknown[], s: EvalScope): unknown {
  const str = (i: number): string => String(args[i]);
  switch (name) {
    case 'parameters': {
      if (!(str(0) in s.parameters)) throw new Error(`parameter '${str(0)}' has no value`);
      return s.parameters[str(0)];
    }
    case 'variables':
      return s.variable(str(0));
    case 'format':
      return str(0).replace(/\{(\d+)(:[^}]*)?\}/g, (_, n: string) => String(args[Number(n) + 1]));
    case 'concat':
      return Array.isArray(args[0]) ? (args as unknown[][]).flat() : args.map(String).join('');
    case 'guid':
      return armGuid(...args.map(String));
    case 'tolower':
      return str(0).toLowerCase();
    case 'toupper':
      return str(0).toUpperCase();
    case 'string':
      return typeof args[0] === 'string' ? args[0] : JSON.stringify(args[0]);
    case 'length':
      return Array.isArray(args[0]) || typeof args[0] === 'string'
        ? (args[0] as unknown[]).length
        : Object.keys(args[0] as object).length;
    case 'range':
      return Array.from({ length: Number(args[1]) }, (_, i) => Number(args[0]) + i);
    case 'take':
      return (args[0] as string | unknown[]).slice(0, Number(args[1]));
    case 'empty':
      return isEmpty(args[0]);
    case 'not':
      return !args[0];
    case 'and':
      return args.every(Boolean);
    case 'or':
      return args.some(Boolean);
    case 'equals':
      return JSON.stringify(args[0]) === JSON.stringify(args[1]);
    case 'if':
      return args[0] ? args[1] : args[2];
    case 'true':
      return true;
    case 'false':
      return false;
    case 'null':
      return null;
    case 'createarray':
      return args;
    case 'createobject': {
      const o: Record<string, unknown> = {};
      for (let i = 0; i + 1 < args.length; i += 2) o[str(i)] = args[i + 1];
      return o;
    }
    case 'copyindex': {
      const named = typeof args[0] === 'string' ? str(0) : undefined;
      const offset = typeof args[0] === 'number' ? args[0] : typeof args[1] === 'number' ? args[1] : 0;
      return s.copyIndex(named) + offset;
    }
    case 'subscription':
      return { id: `/subscriptions/${s.subscriptionId}`, subscriptionId: s.subscriptionId };
    case 'resourcegroup':
      return {
        id: `/subscriptions/${s.subscriptionId}/resourceGroups/${s.resourceGroup}`,
        name: s.resourceGroup,
        location: s.location,
      };
    case 'resourceid': {
      const typeAt = args.findIndex((a) => typeof a === 'string' && a.includes('/'));
      const before = args.slice(0, typeAt).map(String);
      const sub = before.length === 2 ? before[0] : s.subscriptionId;
      const rg = before.length >= 1 ? before[before.length - 1] : s.resourceGroup;
      return `/subscriptions/${sub}/resourceGroups/${rg}${resourcePath(str(typeAt), args.slice(typeAt + 1).map(String))}`;
    }
    case 'subscriptionresourceid': {
      const typeAt = args.findIndex((a) => typeof a === 'string' && a.includes('/'));
      const sub = typeAt === 1 ? str(0) : s.subscriptionId;
      return `/subscriptions/${sub}${resourcePath(str(typeAt), args.slice(typeAt + 1).map(String))}`;
    }
    case 'extensionresourceid':
      return `${str(0)}${resourcePath(str(1), args.slice(2).map(String))}`;
    case 'reference':
      return s.reference(str(0));
    default:
      throw new Error(`template function '${name}' is not supported by the stand-in's evaluator`);
  }
}

function evalNode(n: ExpressionNode, s: EvalScope): unknown {
  switch (n.kind) {
    case 'lit':
      return n.value;
    case 'call':
      return call(
        n.name,
        n.args.map((a) => evalNode(a, s)),
        s,
      );
    case 'prop': {
      const of = evalNode(n.target, s) as Record<string, unknown> | undefined;
      if (of === null || typeof of !== 'object') throw new Error(`cannot read '${n.name}' of ${String(of)}`);
      return of[n.name];
    }
    case 'index': {
      const of = evalNode(n.target, s) as Record<string, unknown> | unknown[];
      const at = evalNode(n.index, s);
      return Array.isArray(of) ? of[Number(at)] : of[String(at)];
    }
  }
}

/** Evaluates a template value: `[...]` strings are expressions (`[[` escapes), objects and arrays recursively. */
export function evaluate(value: unknown, s: EvalScope): unknown {
  if (typeof value === 'string') {
    if (value.startsWith('[[')) return value.slice(1);
    if (value.startsWith('[') && value.endsWith(']')) return evalNode(parseExpression(value.slice(1, -1)), s);
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => evaluate(v, s));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = evaluate(v, s);
    return out;
  }
  return value;
}
