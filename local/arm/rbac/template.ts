/**
 * Reads the role definitions and role assignments out of the compiled ARM template (`infra/main.json`, what
 * `azd up` deploys), evaluated against the local world's names: the same assignments, at the same scopes.
 */
import { readFileSync } from 'node:fs';
import type { EvalScope } from './expressions';
import { evaluate } from './expressions';

/** One `permissions` block of a role definition. */
export interface Permission {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

/** A role definition: built-in (published list) or custom (from the template). */
export interface RoleDefinition {
  /** The GUID name of the definition. */
  name: string;
  roleName: string;
  permissions: Permission[];
  /** Where the list comes from (the published page for built-ins, `template` for custom roles). */
  source: string;
}

/** A role assignment as deployed: who, which role, at which scope. */
export interface RoleAssignment {
  /** Symbolic name in the template (with `[i]` for a loop), e.g. `rbac/apiTrafficManager`. */
  name: string;
  principalId: string;
  /** GUID name of the role definition. */
  roleDefinitionName: string;
  /** ARM ID of the scope it is assigned at. */
  scope: string;
}

/** What the template yields. */
export interface TemplateRbac {
  definitions: RoleDefinition[];
  assignments: RoleAssignment[];
}

/** How the template's names map onto the local world. */
export interface TemplateBindings {
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  /** Values for module parameters by name (e.g. `trafficManagerProfileName`, `vmssNames`). */
  parameters: Record<string, unknown>;
  /** Principal ids of managed identities by identity resource name (`reference(identity).principalId`). */
  principals: Record<string, string>;
}

interface TemplateJson {
  parameters?: Record<string, { type?: string; defaultValue?: unknown }>;
  variables?: Record<string, unknown> & { copy?: { name: string; count: unknown; input: unknown }[] };
  resources?: Record<string, ResourceJson> | ResourceJson[];
}

interface ResourceJson {
  type: string;
  name?: unknown;
  scope?: unknown;
  condition?: unknown;
  existing?: boolean;
  copy?: { name: string; count: unknown };
  properties?: Record<string, unknown> & {
    template?: TemplateJson;
    parameters?: unknown;
  };
}

const entries = (r: TemplateJson['resources']): [string, ResourceJson][] =>
  Array.isArray(r) ? r.map((x, i) => [String(i), x]) : Object.entries(r ?? {});

const placeholder = (name: string, type: string | undefined): unknown =>
  type === 'array'
    ? []
    : type === 'object'
      ? {}
      : type === 'bool'
        ? false
        : type === 'int'
          ? 0
          : `local-${name}`;

/** The scope a template's expressions evaluate in. */
function scopeFor(
  tpl: TemplateJson,
  parameters: Record<string, unknown>,
  b: TemplateBindings,
  copy: { name?: string; index: number } | undefined,
): EvalScope {
  const varCache = new Map<string, unknown>();
  const loops = new Map<string, number>();
  const s: EvalScope = {
    subscriptionId: b.subscriptionId,
    resourceGroup: b.resourceGroup,
    location: b.location,
    parameters,
    variable: (name) => {
      if (varCache.has(name)) return varCache.get(name);
      const vars = tpl.variables ?? {};
      let value: unknown;
      const loop = vars.copy?.find((c) => c.name === name);
      if (loop) {
        const count = Number(evaluate(loop.count, s));
        value = Array.from({ length: count }, (_, i) => {
          loops.set(name, i);
          return evaluate(loop.input, s);
        });
        loops.delete(name);
      } else {
        if (!(name in vars)) throw new Error(`variable '${name}' is not defined`);
        value = evaluate(vars[name], s);
      }
      varCache.set(name, value);
      return value;
    },
    copyIndex: (name) => {
      if (name !== undefined && loops.has(name)) return loops.get(name) ?? 0;
      if (!copy) throw new Error('copyIndex() outside a loop');
      return copy.index;
    },
    reference: (target) => {
      const res = entries(tpl.resources).find(([sym]) => sym === target)?.[1];
      if (!res || res.type.toLowerCase() !== 'microsoft.managedidentity/userassignedidentities') {
        throw new Error(`reference('${target}') is not a managed identity`);
      }
      const name = String(evaluate(res.name, s));
      const principalId = b.principals[name];
      if (!principalId) throw new Error(`no local principal for identity '${name}'`);
      return { principalId };
    },
  };
  return s;
}

/** The module's parameters: bindings first, then what the parent passes, then defaults, else a placeholder. */
function moduleParameters(
  tpl: TemplateJson,
  passed: Record<string, unknown>,
  b: TemplateBindings,
  s: EvalScope,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, decl] of Object.entries(tpl.parameters ?? {})) {
    if (name in b.parameters) {
      out[name] = b.parameters[name];
      continue;
    }
    let value: unknown;
    try {
      value = name in passed ? (evaluate(passed[name], s) as { value?: unknown })?.value : undefined;
    } catch {
      value = undefined; // names derived from uniqueString() and the like: not the local world's
    }
    if (value === undefined && decl.defaultValue !== undefined) {
      try {
        value = evaluate(decl.defaultValue, s);
      } catch {
        value = undefined;
      }
    }
    out[name] = value ?? placeholder(name, decl.type);
  }
  return out;
}

/** Parses `{ name: { value } }` or an expression yielding it, as modules pass their parameters. */
function passedParameters(raw: unknown): Record<string, unknown> {
  return raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

function walk(
  tpl: TemplateJson,
  parameters: Record<string, unknown>,
  b: TemplateBindings,
  path: string,
  out: TemplateRbac,
): void {
  for (const [sym, res] of entries(tpl.resources)) {
    if (res.existing) continue;
    const count = res.copy ? Number(evaluate(res.copy.count, scopeFor(tpl, parameters, b, undefined))) : 1;
    for (let i = 0; i < count; i++) {
      const s = scopeFor(tpl, parameters, b, res.copy ? { index: i } : undefined);
      const label = `${path}${sym}${res.copy ? `[${i}]` : ''}`;
      const type = res.type.toLowerCase();
      if (type === 'microsoft.resources/deployments') {
        const child = res.properties?.template;
        if (!child) continue;
        // Each entry is `{ value }` or an expression yielding it (Bicep's conditional parameters).
        const childParams = moduleParameters(child, passedParameters(res.properties?.parameters), b, s);
        walk(child, childParams, b, `${label}/`, out);
        continue;
      }
      if (
        type !== 'microsoft.authorization/roledefinitions' &&
        type !== 'microsoft.authorization/roleassignments'
      )
        continue;
      if (res.condition !== undefined && !evaluate(res.condition, s)) continue;
      const props = (evaluate(res.properties ?? {}, s) ?? {}) as Record<string, unknown>;
      if (type === 'microsoft.authorization/roledefinitions') {
        const perms = Array.isArray(props.permissions)
          ? (props.permissions as Record<string, unknown>[])
          : [];
        out.definitions.push({
          name: String(evaluate(res.name, s)),
          roleName: String(props.roleName ?? sym),
          source: `template ${label}`,
          permissions: perms.map((p) => ({
            actions: strings(p.actions),
            notActions: strings(p.notActions),
            dataActions: strings(p.dataActions),
            notDataActions: strings(p.notDataActions),
          })),
        });
      } else {
        const scope = res.scope === undefined ? undefined : String(evaluate(res.scope, s));
        const rg = `/subscriptions/${b.subscriptionId}/resourceGroups/${b.resourceGroup}`;
        out.assignments.push({
          name: label,
          principalId: String(props.principalId),
          roleDefinitionName: String(props.roleDefinitionId).split('/').pop() ?? '',
          // No scope: the deployment's resource group. A relative scope is a resource of that group.
          scope: scope === undefined ? rg : scope.startsWith('/') ? scope : `${rg}/providers/${scope}`,
        });
      }
    }
  }
}

/** Role definitions (custom ones) and role assignments of a compiled template, bound to the local world. */
export function rbacFromTemplate(template: unknown, bindings: TemplateBindings): TemplateRbac {
  const tpl = template as TemplateJson;
  const out: TemplateRbac = { definitions: [], assignments: [] };
  const top = scopeFor(tpl, {}, bindings, undefined);
  const params: Record<string, unknown> = {};
  for (const [name, decl] of Object.entries(tpl.parameters ?? {})) {
    if (name in bindings.parameters) params[name] = bindings.parameters[name];
    else if (decl.defaultValue !== undefined) {
      try {
        params[name] = evaluate(decl.defaultValue, top);
      } catch {
        params[name] = placeholder(name, decl.type);
      }
    } else params[name] = placeholder(name, decl.type);
  }
  walk(tpl, params, bindings, '', out);
  return out;
}

/** Reads a compiled template file. */
export function readTemplate(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(
      `RBAC: cannot read the compiled template ${file} (${err instanceof Error ? err.message : String(err)}); it is committed as infra/main.json (npm run build:infra regenerates it)`,
    );
  }
}
