/** What every resource-provider module of the stand-in shares: the world, its persistence, and lookups. */
import { armErrors } from './errors';
import type { ArmWorld } from './state';
import { rgId } from './state';

/** Shared state handed to each provider module. */
export interface ArmContext {
  world: ArmWorld;
  /** Subscription id of the world. */
  sub: string;
  /** Azure region of the compute resources and their operations. */
  location: string;
  /** The topology's resource group (default scope of seeded resources). */
  defaultResourceGroup: string;
  /** Persists the world (atomic; a no-op once the stand-in closed). */
  save(): void;
  /** The resource group's canonical name, or 404 ResourceGroupNotFound. */
  findRg(rg: string): string;
  /** ARM ID of a resource group. */
  rgId(rg: string): string;
}

/** Builds the context over a world. */
export function createContext(
  world: ArmWorld,
  location: string,
  defaultResourceGroup: string,
  save: () => void,
): ArmContext {
  const sub = world.subscriptionId;
  return {
    world,
    sub,
    location,
    defaultResourceGroup,
    save,
    findRg: (rg) => {
      const found = world.resourceGroups.find((r) => r.toLowerCase() === rg.toLowerCase());
      if (!found) throw armErrors.resourceGroupNotFound(rg);
      return found;
    },
    rgId: (rg) => rgId(sub, rg),
  };
}

export const nowIso = (): string => new Date().toISOString();
