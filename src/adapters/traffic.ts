/**
 * The factory of traffic switches: each target's traffic resource is switched by its provider's adapter, Front
 * Door for a Microsoft.Cdn origin group, Traffic Manager for a profile. The core calls one port with the
 * target's resource ID and never names a provider.
 */
import type { TargetConfig } from '../core/domain';
import type { TrafficSwitch } from '../core/ports/traffic';
import type { AzureClients } from './azure/clients';
import { createTrafficSwitch } from './azure/trafficManager';
import { createFrontDoorSwitch } from './frontDoor';

/** True for the ARM ID of a Front Door origin group (`…/providers/Microsoft.Cdn/profiles/{p}/originGroups/{og}`). */
export const isFrontDoorOriginGroup = (id: string): boolean =>
  /\/providers\/Microsoft\.Cdn\/profiles\/[^/]+\/originGroups\/[^/]+$/i.test(id);

/** One switch over both providers, choosing by the resource ID; Front Door origin names come from the targets. */
export function createTrafficRouter(
  clients: AzureClients,
  targets: () => readonly TargetConfig[] = () => [],
): TrafficSwitch {
  const trafficManager = createTrafficSwitch(clients);
  const frontDoor = createFrontDoorSwitch(clients, (originGroupId) => {
    const t = targets().find(
      (x) =>
        x.traffic?.kind === 'frontDoor' &&
        x.traffic.originGroupId.toLowerCase() === originGroupId.toLowerCase(),
    );
    return t?.traffic?.kind === 'frontDoor' ? t.traffic.origins : undefined;
  });
  const pick = (id: string): TrafficSwitch => (isFrontDoorOriginGroup(id) ? frontDoor : trafficManager);
  return {
    readProfile: (id) => pick(id).readProfile(id),
    setEndpointEnabled: (id, endpoint, enabled) => pick(id).setEndpointEnabled(id, endpoint, enabled),
  };
}
