/**
 * The traffic switch over Azure Front Door (Standard/Premium) with @azure/arm-cdn: a target's two slots are the
 * two origins of one origin group, and a slot serves when its origin's `enabledState` is `Enabled`. It serves the
 * same port as Traffic Manager (a "profile" is the origin group, its "endpoints" the origins), so the core's
 * guarded swap protocol, read-back and rollback run unchanged over it (src/core/traffic/swap.ts).
 */
import type { AFDOrigin } from '@azure/arm-cdn';
import { StepError } from '../../core/errors';
import type { EndpointState } from '../../core/ports/traffic';
import type { ProfileState, TrafficSwitch } from '../traffic/router';
import { expectArmId } from '../azure/armId';
import type { AzureClients } from '../azure/clients';
import { armCall } from '../azure/errors';

/** ARM type of a Front Door origin (what `readProfile` reports as each endpoint's type). */
export const ORIGIN_TYPE = 'Microsoft.Cdn/profiles/originGroups/origins';

/** The parts of an origin group ID: `/subscriptions/…/resourceGroups/…/providers/Microsoft.Cdn/profiles/{p}/originGroups/{og}`. */
export function originGroupParts(
  originGroupId: string,
  step: string,
): { subscriptionId: string; resourceGroup: string; profile: string; originGroup: string } {
  try {
    const p = expectArmId(originGroupId, 'Microsoft.Cdn', ['profiles', 'originGroups']);
    return {
      subscriptionId: p.subscriptionId,
      resourceGroup: p.resourceGroup,
      profile: p.path[0]?.[1] ?? '',
      originGroup: p.path[1]?.[1] ?? '',
    };
  } catch (err) {
    throw new StepError({ step, resource: originGroupId, cause: err, transient: false });
  }
}

/** The origin of each slot of an origin group (`{ blue: 'origin-a' }`); undefined: origins are named as slots. */
export type OriginNames = (originGroupId: string) => Record<string, string> | undefined;

const lookup = (map: Record<string, string> | undefined, name: string): string | undefined =>
  map ? Object.entries(map).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1] : undefined;

function toState(o: AFDOrigin, slotOf: (origin: string) => string): EndpointState {
  return {
    name: slotOf(o.name ?? ''),
    type: ORIGIN_TYPE,
    enabled: o.enabledState === 'Enabled',
    ...(o.hostName ? { target: o.hostName } : {}),
  };
}

/**
 * Builds the switch. The app owns only `enabledState` at runtime: a write is a PATCH carrying it alone (a PUT
 * would replace host name, ports, priority and weight, which the template owns). A write is a long-running
 * operation; it returns once ARM reports it Succeeded, so the protocol's read-back that follows sees it. The
 * edge serves it later (Azure documents up to 20 minutes); ARM's state is what the protocol guards.
 *
 * Endpoints are reported by slot name, so the core sees the same names as in the target; `originNames` maps a
 * slot to its origin where the two differ (an origin no slot maps to keeps its own name, and the protocol's
 * guard refuses it when it is enabled).
 */
export function createFrontDoorSwitch(
  clients: AzureClients,
  originNames: OriginNames = () => undefined,
): TrafficSwitch {
  return {
    async readProfile(originGroupId: string): Promise<ProfileState> {
      const { subscriptionId, resourceGroup, profile, originGroup } = originGroupParts(
        originGroupId,
        'read-profile',
      );
      const origins = await armCall('read-profile', originGroupId, async () => {
        const all: AFDOrigin[] = [];
        const pages = clients
          .cdn(subscriptionId)
          .afdOrigins.listByOriginGroup(resourceGroup, profile, originGroup);
        for await (const o of pages) all.push(o);
        return all;
      });
      const map = originNames(originGroupId);
      const slotOf = (origin: string): string =>
        Object.entries(map ?? {}).find(([, o]) => o.toLowerCase() === origin.toLowerCase())?.[0] ?? origin;
      return { profileId: originGroupId, endpoints: origins.map((o) => toState(o, slotOf)) };
    },

    async setEndpointEnabled(originGroupId: string, origin: EndpointState, enabled: boolean): Promise<void> {
      const step = enabled ? 'enable-endpoint' : 'disable-endpoint';
      const { subscriptionId, resourceGroup, profile, originGroup } = originGroupParts(originGroupId, step);
      const name = lookup(originNames(originGroupId), origin.name) ?? origin.name;
      const originId = `${originGroupId}/origins/${name}`;
      await armCall(step, originId, () =>
        clients
          .cdn(subscriptionId)
          .afdOrigins.beginUpdateAndWait(
            resourceGroup,
            profile,
            originGroup,
            name,
            { enabledState: enabled ? 'Enabled' : 'Disabled' },
            { updateIntervalInMs: clients.lroPollIntervalMs },
          ),
      );
    },
  };
}
