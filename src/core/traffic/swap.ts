import { StepError } from '../errors';
import type { SwapInput, SwapResult } from '../orchestration/contracts';
import type { Clock } from '../ports/clock';
import type { EndpointState, TrafficRouter, TrafficState } from '../ports/traffic';

/** The swap protocol met a profile state it did not expect: someone else changed it, so nothing is written. */
export class SwapGuardError extends StepError {
  constructor(resource: string, message: string) {
    super({ step: 'swap', resource, cause: `refused: ${message}`, transient: false });
  }
}

/** Corrective writes one activity makes before it gives the profile back to the orchestrator's retry. */
export const MAX_CORRECTIONS = 3;

/** `blue=Enabled, green=Disabled`. */
export function describeProfile(p: TrafficState): string {
  return p.endpoints.map((e) => `${e.name}=${e.enabled ? 'Enabled' : 'Disabled'}`).join(', ');
}

function pick(p: TrafficState, name: string): EndpointState {
  const e = p.endpoints.find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (!e) {
    throw new SwapGuardError(p.resource, `endpoint '${name}' not found (profile has: ${describeProfile(p)})`);
  }
  return e;
}

/** Reads the profile and returns the two endpoints; any third endpoint that is enabled is refused. */
async function readPair(traffic: TrafficRouter, input: SwapInput) {
  const profile = await traffic.read();
  const on = pick(profile, input.enable);
  const off = pick(profile, input.disable);
  const others = profile.endpoints.filter((e) => e !== on && e !== off && e.enabled);
  if (others.length > 0) {
    throw new SwapGuardError(
      input.traffic.resource,
      `unexpected enabled endpoint(s): ${others.map((e) => e.name)}`,
    );
  }
  return { profile, on, off };
}

/**
 * Makes `enable` the one enabled endpoint of the pair and `disable` disabled, over any traffic provider.
 *
 * A provider's endpoint API may have no ETag, so every write is read-check-write: before each write the profile is re-read, and the
 * next write follows from what was read. Staging is enabled before production is disabled, so this never
 * intends zero endpoints; but another writer can disable `enable` between our read and our disable, and then
 * the profile has none. Whenever a read shows zero enabled after one of our writes (or when a rollback, a
 * restore or a retried attempt finds it so), the very next write re-enables `enable`, the slot that must
 * serve, and the result says so in `restored`. Writes that would fight another writer are refused instead:
 * our enable reading back disabled, our disable reading back enabled, a third endpoint enabled.
 *
 * Idempotent: a profile already in the wanted state is left alone, a half-done swap (both enabled, as a crash
 * between the two writes leaves it) is finished.
 */
export async function swapEndpoints(
  traffic: TrafficRouter,
  input: SwapInput,
  clock: Clock,
): Promise<SwapResult> {
  const mode = input.mode ?? 'swap';
  // A first swap attempt has written nothing yet: zero enabled then is someone else's doing, not ours to undo.
  const mayHaveWritten = mode !== 'swap' || (input.attempt ?? 1) > 1;
  let last: 'none' | 'enable' | 'disable' = 'none';
  let changed = false;
  let corrections = 0;
  const restored: string[] = [];
  // The first write is what clients follow (TTL or propagation later): the cutover is measured from it.
  let writtenAt: string | undefined;
  const write = async (endpoint: EndpointState, enabled: boolean): Promise<void> => {
    writtenAt ??= clock.now().toISOString();
    await traffic.setEnabled(endpoint, enabled);
  };
  for (;;) {
    const { profile, on, off } = await readPair(traffic, input);
    const seen = describeProfile(profile);
    if (on.enabled && !off.enabled) {
      return {
        changed,
        confirmedAt: clock.now().toISOString(),
        ...(writtenAt ? { writtenAt } : {}),
        ...(restored.length ? { restored: restored.join('; ') } : {}),
      };
    }
    if (!on.enabled && !off.enabled) {
      if (last === 'none' && !mayHaveWritten) {
        throw new SwapGuardError(
          input.traffic.resource,
          `both endpoints are disabled (${seen}); expected '${input.disable}' enabled`,
        );
      }
      if (corrections >= MAX_CORRECTIONS) {
        throw new StepError({
          step: 'swap',
          resource: input.traffic.resource,
          cause: `re-enabled '${input.enable}' ${corrections} times and read back zero enabled endpoints each time (${seen}): another writer keeps disabling it`,
          transient: true,
        });
      }
      const after =
        last === 'none' ? 'found' : `read back after ${last === 'enable' ? 'enabling' : 'disabling'}`;
      restored.push(`${after} ${seen}: re-enabled ${input.enable}`);
      corrections++;
      await write(on, true);
      last = 'enable';
      changed = true;
      continue;
    }
    if (on.enabled && off.enabled) {
      if (last === 'disable') {
        throw new SwapGuardError(
          input.traffic.resource,
          `'${input.disable}' read back Enabled after it was disabled (${seen}): another writer re-enabled it`,
        );
      }
      await write(off, false);
      last = 'disable';
      changed = true;
      continue;
    }
    // `enable` disabled, `disable` enabled: the starting state of a swap or a rollback.
    if (last !== 'none') {
      throw new SwapGuardError(
        input.traffic.resource,
        `read-back shows ${seen} after ${last === 'enable' ? 'enabling' : 'disabling'}; expected ${input.enable}=Enabled: another writer changed it`,
      );
    }
    await write(on, true);
    last = 'enable';
    changed = true;
  }
}
