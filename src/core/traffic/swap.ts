import { StepError } from '../errors';
import type { SwapInput, SwapResult } from '../orchestration/contracts';
import type { Clock } from '../ports/clock';
import type { EndpointState, ProfileState, TrafficSwitch } from '../ports/traffic';

/** The swap protocol met a profile state it did not expect: someone else changed it, so nothing is written. */
export class SwapGuardError extends StepError {
  constructor(profileId: string, message: string) {
    super({ step: 'swap', resource: profileId, cause: `refused: ${message}`, transient: false });
  }
}

function describe(p: ProfileState): string {
  return p.endpoints.map((e) => `${e.name}=${e.enabled ? 'Enabled' : 'Disabled'}`).join(', ');
}

function pick(p: ProfileState, name: string): EndpointState {
  const e = p.endpoints.find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (!e) {
    throw new SwapGuardError(p.profileId, `endpoint '${name}' not found (profile has: ${describe(p)})`);
  }
  return e;
}

/** Reads the profile and returns the two endpoints; any third endpoint that is enabled is refused. */
async function readPair(traffic: TrafficSwitch, input: SwapInput) {
  const profile = await traffic.readProfile(input.profileId);
  const on = pick(profile, input.enable);
  const off = pick(profile, input.disable);
  const others = profile.endpoints.filter((e) => e !== on && e !== off && e.enabled);
  if (others.length > 0) {
    throw new SwapGuardError(input.profileId, `unexpected enabled endpoint(s): ${others.map((e) => e.name)}`);
  }
  return { profile, on, off };
}

/**
 * Enables `enable` and disables `disable` on a Traffic Manager profile. The SDK has no ETag, so every
 * write is read-check-write: each step first re-reads and checks both endpoints are in the state the
 * previous step left. Staging is enabled before production is disabled, so at least one endpoint is
 * always enabled. Idempotent: a profile already in the wanted state is left alone, and a half-done swap
 * (both enabled, as a crash between the two writes leaves it) is finished.
 */
export async function swapEndpoints(
  traffic: TrafficSwitch,
  input: SwapInput,
  clock: Clock,
): Promise<SwapResult> {
  let { profile, on, off } = await readPair(traffic, input);
  if (on.enabled && !off.enabled) return { changed: false, confirmedAt: clock.now().toISOString() };
  if (!on.enabled && !off.enabled) {
    throw new SwapGuardError(
      input.profileId,
      `both endpoints are disabled (${describe(profile)}); expected '${input.disable}' enabled`,
    );
  }
  if (!on.enabled) {
    await traffic.setEndpointEnabled(input.profileId, on, true);
    ({ profile, on, off } = await readPair(traffic, input));
    if (!on.enabled) {
      throw new SwapGuardError(
        input.profileId,
        `'${input.enable}' did not read back Enabled (${describe(profile)})`,
      );
    }
  }
  if (off.enabled) {
    await traffic.setEndpointEnabled(input.profileId, off, false);
    ({ profile, on, off } = await readPair(traffic, input));
  }
  if (!on.enabled || off.enabled) {
    throw new SwapGuardError(
      input.profileId,
      `read-back shows ${describe(profile)}; expected ${input.enable}=Enabled, ${input.disable}=Disabled`,
    );
  }
  return { changed: true, confirmedAt: clock.now().toISOString() };
}
