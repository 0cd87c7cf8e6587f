/**
 * Property test of the swap and rollback protocol (issue 7, Proof): the real `swapEndpoints` and the real
 * retry decisions (`afterFailure`, as `switchTraffic` applies them on durable timers) against a model
 * Traffic Manager profile, with an adversarial concurrent writer, injected 429 (Retry-After), 503, lost
 * responses, outages, permanent errors and crashes between any two calls. fast-check prints the seed and
 * the shrunk counterexample on failure.
 */
import fc from 'fast-check';
import { StepError } from '../../../src/core/errors';
import type { SwapInput, SwapMode, SwapOutcome, SwapResult } from '../../../src/core/orchestration/contracts';
import type { EndpointState, ProfileState, TrafficSwitch } from '../../../src/core/ports/traffic';
import {
  afterFailure,
  ROLLBACK_RETRY,
  SWAP_DEADLINE_MS,
  SWAP_RETRY,
  type MoveRetryPolicy,
} from '../../../src/core/traffic/retry';
import { swapEndpoints } from '../../../src/core/traffic/swap';

const PROFILE = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/trafficManagerProfiles/tm';
type Slot = 'blue' | 'green';
type Fault = 'none' | '429' | '503' | 'lost' | 'outage' | 'forbidden' | 'crash-before' | 'crash-after';

/** What happens around one ARM call: another writer's change just before it, and how ARM answers it. */
interface CallEvent {
  adversary: { endpoint: Slot; enabled: boolean } | null;
  fault: Fault;
  /** Retry-After of a 429, or the length of an outage, in seconds. */
  seconds: number;
}

/** A worker dying mid-activity: Durable runs the activity again with the same input. */
class Crash extends Error {}

/** The model profile and everything the invariants need to know about the calls made to it. */
class Model {
  readonly enabled: Record<Slot, boolean>;
  now = 0;
  ended = false;
  notBefore = 0;
  outageUntil = 0;
  /** Set when one of the app's own writes left zero enabled; cleared once something enabled again. */
  zeroByApp = false;
  mustServe: Slot = 'green';
  /** The Retry-After of the attempt a swap gave up on, which the restore must wait for. */
  gaveUpNotBefore: number | undefined;
  readonly violations: string[] = [];
  readonly callTimes: number[] = [];
  private next = 0;

  constructor(
    start: Record<Slot, boolean>,
    private readonly events: CallEvent[],
  ) {
    this.enabled = { ...start };
  }

  private zero(): boolean {
    return !this.enabled.blue && !this.enabled.green;
  }

  /** One ARM call: adversary first, then the fault (if any), then `apply` (the call's effect). */
  private call(apply: () => void, isWrite: boolean): void {
    if (this.ended) this.violations.push(`a call after the release ended (t=${this.now})`);
    if (this.now < this.notBefore) {
      this.violations.push(`a call at ${this.now} ms, sooner than Retry-After asked (${this.notBefore} ms)`);
    }
    this.callTimes.push(this.now);
    const e = this.events[this.next++];
    if (e?.adversary) {
      this.enabled[e.adversary.endpoint] = e.adversary.enabled;
      if (!this.zero()) this.zeroByApp = false;
    }
    const transient = (cause: string, retryNotBefore?: string) =>
      new StepError({
        step: 'arm',
        resource: PROFILE,
        cause,
        transient: true,
        ...(retryNotBefore ? { retryNotBefore } : {}),
      });
    if (this.now < this.outageUntil) throw transient('HTTP 503 (outage)');
    switch (e?.fault ?? 'none') {
      case '429': {
        this.notBefore = this.now + e!.seconds * 1000;
        throw transient('HTTP 429', new Date(this.notBefore).toISOString());
      }
      case '503':
        throw transient('HTTP 503');
      case 'outage':
        this.outageUntil = this.now + e!.seconds * 1000;
        throw transient('HTTP 503 (outage starts)');
      case 'forbidden':
        throw new StepError({ step: 'arm', resource: PROFILE, cause: 'HTTP 403', transient: false });
      case 'crash-before':
        throw new Crash();
      case 'lost':
        apply();
        if (isWrite) this.afterWrite();
        throw transient('ECONNRESET after the write landed');
      case 'crash-after':
        apply();
        if (isWrite) this.afterWrite();
        throw new Crash();
      default:
        apply();
        if (isWrite) this.afterWrite();
    }
  }

  private afterWrite(): void {
    if (this.zero()) this.zeroByApp = true;
    else this.zeroByApp = false;
  }

  readonly traffic: TrafficSwitch = {
    readProfile: async (profileId): Promise<ProfileState> => {
      let state: ProfileState | undefined;
      this.call(() => {
        state = {
          profileId,
          endpoints: (['blue', 'green'] as const).map((name) => ({
            name,
            type: 'Microsoft.Network/trafficManagerProfiles/azureEndpoints',
            enabled: this.enabled[name],
          })),
        };
      }, false);
      return state!;
    },
    setEndpointEnabled: async (_profileId, endpoint: EndpointState, enabled: boolean) => {
      const slot = endpoint.name as Slot;
      // The app's own write while its earlier write left zero enabled must be the corrective one.
      if (this.zeroByApp && this.zero() && !(enabled && slot === this.mustServe)) {
        this.violations.push(
          `zero endpoints left by the app's write, then it wrote ${slot}=${enabled} instead of re-enabling ${this.mustServe}`,
        );
      }
      const corrective = enabled && this.zero();
      this.call(() => {
        this.enabled[slot] = enabled;
      }, true);
      if (corrective && this.zero() && !this.ended) {
        this.violations.push('zero endpoints enabled right after a corrective write');
      }
    },
  };
}

/** The activity: the protocol, with failures turned into an answer (crashes rerun it, as Durable does). */
async function activity(model: Model, input: SwapInput): Promise<SwapOutcome> {
  for (let rerun = 0; rerun < 50; rerun++) {
    try {
      const result = await swapEndpoints(model.traffic, input, { now: () => new Date(model.now) });
      return { ok: true, ...result };
    } catch (err) {
      if (err instanceof Crash) continue;
      const e = err as StepError;
      return {
        ok: false,
        error: e.message,
        transient: e.transient ?? true,
        ...(e.retryNotBefore ? { retryNotBefore: e.retryNotBefore } : {}),
      };
    }
  }
  throw new Error('the activity crashed 50 times in a row');
}

/** `switchTraffic` with a virtual clock: attempts, then waits of `afterFailure`; undefined when it gave up. */
async function move(
  model: Model,
  mode: SwapMode,
  enable: Slot,
  disable: Slot,
  policy: MoveRetryPolicy,
  deadlineMs?: number,
  notBeforeMs?: number,
): Promise<SwapResult | undefined> {
  model.mustServe = enable;
  // As switchTraffic's `notBeforeMs`: a move that follows a given-up one waits for the Retry-After it got.
  if (notBeforeMs !== undefined && notBeforeMs > model.now) model.now = notBeforeMs;
  for (let attempt = 1; attempt < 500; attempt++) {
    const outcome = await activity(model, {
      releaseId: 'r',
      profileId: PROFILE,
      enable,
      disable,
      mode,
      attempt,
    });
    if (outcome.ok) return outcome;
    const decision = afterFailure(policy, attempt, outcome, model.now, deadlineMs);
    if ('giveUp' in decision) {
      model.gaveUpNotBefore = outcome.retryNotBefore ? Date.parse(outcome.retryNotBefore) : undefined;
      return undefined;
    }
    if (decision.retryAt - model.now > Math.max(policy.capMs, model.notBefore - model.now)) {
      model.violations.push(`waited ${decision.retryAt - model.now} ms: more than the cap and Retry-After`);
    }
    model.now = decision.retryAt;
  }
  model.violations.push('no end after 500 attempts');
  return undefined;
}

const event: fc.Arbitrary<CallEvent> = fc.record({
  adversary: fc.option(
    fc.record({ endpoint: fc.constantFrom<Slot>('blue', 'green'), enabled: fc.boolean() }),
    {
      freq: 3,
    },
  ),
  fault: fc.oneof(
    { weight: 8, arbitrary: fc.constant<Fault>('none') },
    {
      weight: 1,
      arbitrary: fc.constantFrom<Fault>(
        '429',
        '503',
        'lost',
        'outage',
        'forbidden',
        'crash-before',
        'crash-after',
      ),
    },
  ),
  seconds: fc.integer({ min: 1, max: 600 }),
});

const scenario = fc.record({
  kind: fc.constantFrom('swap', 'rollback'),
  events: fc.array(event, { maxLength: 30 }),
});

const onlyOne = (m: Model, slot: Slot): boolean =>
  m.enabled[slot] && !m.enabled[slot === 'blue' ? 'green' : 'blue'];

describe('swap and rollback protocol (property)', () => {
  it('never leaves zero endpoints after a corrective write, ends with the right slot serving, never writes after the end or sooner than asked', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ kind, events }) => {
        if (kind === 'swap') {
          const m = new Model({ blue: true, green: false }, events);
          const swapped = await move(m, 'swap', 'green', 'blue', SWAP_RETRY, SWAP_DEADLINE_MS);
          // A failed swap is always followed by the restore of production, which never gives up.
          const restored =
            swapped ??
            (await move(m, 'restore', 'blue', 'green', ROLLBACK_RETRY, undefined, m.gaveUpNotBefore));
          m.ended = true;
          expect(m.violations).toEqual([]);
          expect(restored).toBeDefined();
          // The other writer acts only between calls, so the last read-back is the final state.
          expect(onlyOne(m, swapped ? 'green' : 'blue')).toBe(true);
        } else {
          const m = new Model({ blue: false, green: true }, events);
          const back = await move(m, 'rollback', 'blue', 'green', ROLLBACK_RETRY);
          m.ended = true;
          expect(m.violations).toEqual([]);
          // A decided rollback ends with the previous slot serving once ARM answers (and the writer stops).
          expect(back).toBeDefined();
          expect(onlyOne(m, 'blue')).toBe(true);
        }
      }),
      { numRuns: 4000 },
    );
  });

  it('after an outage, the rollback is back within one backoff interval (30 s) of ARM answering, unless a Retry-After asked for more', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3600 }),
        fc.array(event, { maxLength: 10 }),
        async (outageS, rest) => {
          const events: CallEvent[] = [{ adversary: null, fault: 'outage', seconds: outageS }, ...rest];
          const m = new Model({ blue: false, green: true }, events);
          await move(m, 'rollback', 'blue', 'green', ROLLBACK_RETRY);
          const recovered = m.outageUntil;
          const firstAfter = m.callTimes.find((t) => t >= recovered)!;
          expect(firstAfter - recovered).toBeLessThanOrEqual(
            Math.max(ROLLBACK_RETRY.capMs, m.notBefore - recovered),
          );
          expect(m.violations).toEqual([]);
        },
      ),
      { numRuns: 500 },
    );
  });
});
