/**
 * Azure RBAC as ARM evaluates it: a principal may perform an action at a scope when one of its role assignments
 * sits at that scope or above it (subscription → resource group → resource → child), and one permission block of
 * the assigned role matches the action in `actions` (or `dataActions`) and not in `notActions` (`notDataActions`).
 * `*` in a pattern matches any characters, `/` included; comparisons ignore case.
 */
import { BUILT_IN_ROLES } from './roles';
import type { RoleAssignment, RoleDefinition } from './template';

/** Whether an action is a control-plane (management) or a data action. */
export type ActionKind = 'action' | 'dataAction';

const compiled = new Map<string, RegExp>();
function pattern(p: string): RegExp {
  let re = compiled.get(p);
  if (!re) {
    re = new RegExp(
      `^${p
        .split('*')
        .map((x) => x.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
        .join('.*')}$`,
      'i',
    );
    compiled.set(p, re);
  }
  return re;
}

/** True when the action matches one of the patterns. */
export function matchesAny(patterns: string[], action: string): boolean {
  return patterns.some((p) => pattern(p).test(action));
}

/** True when `scope` is `assignedAt` or lies under it. */
export function covers(assignedAt: string, scope: string): boolean {
  const a = assignedAt.replace(/\/+$/, '').toLowerCase();
  const s = scope.replace(/\/+$/, '').toLowerCase();
  return a === '' || s === a || s.startsWith(`${a}/`);
}

/** True when the role grants the action (some block allows it and does not exclude it). */
export function roleGrants(role: RoleDefinition, action: string, kind: ActionKind = 'action'): boolean {
  return role.permissions.some((p) =>
    kind === 'action'
      ? matchesAny(p.actions, action) && !matchesAny(p.notActions, action)
      : matchesAny(p.dataActions, action) && !matchesAny(p.notDataActions, action),
  );
}

/** The role definitions and assignments the stand-in enforces; assignments can be removed and added back. */
export class RbacPolicy {
  private readonly definitions = new Map<string, RoleDefinition>();
  private current: RoleAssignment[];

  constructor(customDefinitions: RoleDefinition[], assignments: RoleAssignment[]) {
    for (const d of [...BUILT_IN_ROLES, ...customDefinitions]) this.definitions.set(d.name.toLowerCase(), d);
    for (const a of assignments) {
      if (!this.definitions.has(a.roleDefinitionName.toLowerCase())) {
        throw new Error(
          `RBAC: assignment ${a.name} names role definition ${a.roleDefinitionName}, which is neither a custom role of the template nor a built-in role the stand-in knows (local/arm/rbac/roles.ts)`,
        );
      }
    }
    this.current = [...assignments];
  }

  /** The assignments in force. */
  assignments(): RoleAssignment[] {
    return this.current.map((a) => ({ ...a }));
  }

  /** A role definition by GUID name. */
  definition(name: string): RoleDefinition | undefined {
    return this.definitions.get(name.toLowerCase());
  }

  /** Removes the assignment with this template name (e.g. `rbac/apiTrafficManager`); returns it. */
  remove(name: string): RoleAssignment {
    const found = this.current.find((a) => a.name.toLowerCase() === name.toLowerCase());
    if (!found) throw new Error(`no role assignment '${name}'`);
    this.current = this.current.filter((a) => a !== found);
    return found;
  }

  /** Adds an assignment (restores one removed, or grants a new one). */
  add(assignment: RoleAssignment): void {
    if (!this.definitions.has(assignment.roleDefinitionName.toLowerCase()))
      throw new Error(`unknown role definition '${assignment.roleDefinitionName}'`);
    this.current.push({ ...assignment });
  }

  /** Whether the principal may perform the action at the scope. */
  allows(principalId: string, action: string, scope: string, kind: ActionKind = 'action'): boolean {
    const pid = principalId.toLowerCase();
    return this.current.some((a) => {
      if (a.principalId.toLowerCase() !== pid || !covers(a.scope, scope)) return false;
      const role = this.definitions.get(a.roleDefinitionName.toLowerCase());
      return role !== undefined && roleGrants(role, action, kind);
    });
  }
}
