/** Resolves a target's slots to the resource IDs of their own compute, and the scope to list alerts in. */
import type { AlertScope, InstanceRef, SlotCompute, TargetConfig } from '../domain';
import { configuredSlotResources, type SlotResources } from './policy';

/** Lists a slot's instances (the deployer port); only tag-selected slots need it. */
export type ListInstances = (compute: SlotCompute) => Promise<InstanceRef[]>;

/**
 * Each slot's compute resource IDs. A tag-selected slot is listed (its resource group may hold both
 * slots); when listing fails, that slot resolves to nothing and the error is reported, never guessed.
 */
export async function resolveSlotResources(
  target: Pick<TargetConfig, 'slots'>,
  list: ListInstances | undefined,
  onError?: (slot: string, err: unknown) => void,
): Promise<SlotResources> {
  const out: SlotResources = {};
  for (const slot of target.slots) {
    const configured = configuredSlotResources(slot);
    if (configured) {
      out[slot.name] = configured;
      continue;
    }
    try {
      out[slot.name] = list ? (await list(slot.compute)).map((i) => i.id) : [];
    } catch (err) {
      out[slot.name] = [];
      onError?.(slot.name, err);
    }
  }
  return out;
}

/** Where a target's alerts may be: its shared resources and its slots' compute (a tag slot's resource group). */
export function alertListScope(target: Pick<TargetConfig, 'slots' | 'alerts'>): AlertScope {
  const ids = [...target.alerts.resourceIds];
  for (const slot of target.slots) {
    if (slot.compute.kind === 'vmss') ids.push(slot.compute.resourceId);
    else if (slot.compute.kind === 'vms') ids.push(...slot.compute.resourceIds);
    else ids.push(slot.compute.resourceGroupId);
  }
  return { resourceIds: ids, ruleNames: [...target.alerts.ruleNames] };
}
