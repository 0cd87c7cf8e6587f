/**
 * Property test of the swap and rollback protocol (issue 7, Proof): the real `swapEndpoints` and the real
 * retry decisions (`afterFailure`, as `switchTraffic` applies them on durable timers) against a model
 * traffic provider, with an adversarial concurrent writer, injected 429 (Retry-After), 503, lost
 * responses, outages, permanent errors and crashes between any two calls. fast-check prints the seed and
 * the shrunk counterexample on failure. It runs for each provider: a Traffic Manager profile (the model is the
 * port), and a Front Door origin group behind the real Front Door adapter (src/adapters/frontDoor) over a model
 * of @azure/arm-cdn, whose failures are the SDK's RestErrors, so the adapter's error mapping (transient,
 * Retry-After) is under test too.
 */
import fc from 'fast-check';
import type { AFDOrigin } from '@azure/arm-cdn';
import type { AzureClients } from '../../../src/adapters/azure/clients';
import { createFrontDoorSwitch } from '../../../src/adapters/frontDoor';
import { StepError } from '../../../src/core/errors';
import type { SwapInput, SwapMode, SwapOutcome, SwapResult } from '../../../src/core/orchestration/contracts';
import { bindSwitch, type ProfileState, type TrafficSwitch } from '../../../src/adapters/traffic/router';
import type { EndpointState } from '../../../src/core/ports/traffic';
import {
  afterFailure,
  ROLLBACK_RETRY,
  SWAP_DEADLINE_MS,
  SWAP_RETRY,
  type MoveRetryPolicy,
} from '../../../src/core/traffic/retry';
import { swapEndpoints } from '../../../src/core/traffic/swap';

type Provider = 'trafficManager' | 'frontDoor';
const PROFILES: Record<Provider, string> = {
  trafficManager: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/trafficManagerProfiles/tm',
  frontDoor: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Cdn/profiles/afd/originGroups/slots',
};
const PROFILE = PROFILES.trafficManager;

/** An ARM failure in the model: its HTTP status (or network code) and Retry-After. */
class ModelFault extends Error {
  constructor(
    readonly transient: boolean,
    readonly status: number | undefined,
    readonly code: string | undefined,
    readonly retryAfterSeconds?: number,
  ) {
    super(code ?? `HTTP ${status}`);
  }
}
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
    if (this.now < this.outageUntil) throw new ModelFault(true, 503, undefined);
    switch (e?.fault ?? 'none') {
      case '429': {
        this.notBefore = this.now + e!.seconds * 1000;
        throw new ModelFault(true, 429, undefined, e!.seconds);
      }
      case '503':
        throw new ModelFault(true, 503, undefined);
      case 'outage':
        this.outageUntil = this.now + e!.seconds * 1000;
        throw new ModelFault(true, 503, undefined);
      case 'forbidden':
        throw new ModelFault(false, 403, 'AuthorizationFailed');
      case 'crash-before':
        throw new Crash();
      case 'lost':
        apply();
        if (isWrite) this.afterWrite();
        throw new ModelFault(true, undefined, 'ECONNRESET');
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

  /** One ARM read of the two slots' enabled states. */
  read(): Record<Slot, boolean> {
    let state: Record<Slot, boolean> | undefined;
    this.call(() => {
      state = { ...this.enabled };
    }, false);
    return state!;
  }

  /** One ARM write of a slot's enabled state, checking the corrective-write invariants around it. */
  write(slot: Slot, enabled: boolean): void {
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
  }

  /** Traffic Manager: the model is the port itself; its failures are the adapter's StepErrors. */
  private readonly trafficManager: TrafficSwitch = {
    readProfile: async (profileId): Promise<ProfileState> => {
      const state = asStepError(() => this.read());
      return {
        profileId,
        endpoints: (['blue', 'green'] as const).map((name) => ({
          name,
          type: 'Microsoft.Network/trafficManagerProfiles/azureEndpoints',
          enabled: state[name],
        })),
      };
    },
    setEndpointEnabled: async (_profileId, endpoint: EndpointState, enabled: boolean) => {
      asStepError(() => this.write(endpoint.name as Slot, enabled));
    },
  };

  /** Front Door: the real adapter over a model `CdnManagementClient` whose failures are RestErrors. */
  private readonly frontDoor: TrafficSwitch = createFrontDoorSwitch(fakeCdnClients(this));

  traffic(provider: Provider): TrafficSwitch {
    return provider === 'frontDoor' ? this.frontDoor : this.trafficManager;
  }
}

/** What the Traffic Manager adapter throws for a model failure. */
function asStepError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof ModelFault)) throw err;
    const retryNotBefore =
      err.retryAfterSeconds !== undefined
        ? new Date(Date.now() + err.retryAfterSeconds * 1000).toISOString()
        : undefined;
    throw new StepError({
      step: 'arm',
      resource: PROFILE,
      cause: err.message,
      transient: err.transient,
      ...(retryNotBefore ? { retryNotBefore } : {}),
    });
  }
}

/** What @azure/core-rest-pipeline throws for a model failure: a RestError with status, code and headers. */
function asRestError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof ModelFault)) throw err;
    const headers = new Map<string, string>();
    if (err.retryAfterSeconds !== undefined) headers.set('retry-after', String(err.retryAfterSeconds));
    throw Object.assign(new Error(err.message), {
      name: 'RestError',
      ...(err.status !== undefined ? { statusCode: err.status } : {}),
      ...(err.code !== undefined ? { code: err.code } : {}),
      ...(err.status !== undefined
        ? { response: { status: err.status, headers: { get: (h: string) => headers.get(h) } } }
        : {}),
    });
  }
}

/** The slice of `AzureClients` the Front Door adapter uses, over the model. */
function fakeCdnClients(model: Model): AzureClients {
  const origin = (name: Slot, enabled: boolean): AFDOrigin => ({
    name,
    enabledState: enabled ? 'Enabled' : 'Disabled',
    hostName: `${name}.example`,
  });
  const afdOrigins = {
    listByOriginGroup: () => ({
      async *[Symbol.asyncIterator]() {
        const state = asRestError(() => model.read());
        yield origin('blue', state.blue);
        yield origin('green', state.green);
      },
    }),
    beginUpdateAndWait: async (
      _rg: string,
      _profile: string,
      _group: string,
      name: string,
      update: { enabledState?: string },
    ): Promise<AFDOrigin> => {
      asRestError(() => model.write(name as Slot, update.enabledState === 'Enabled'));
      return origin(name as Slot, update.enabledState === 'Enabled');
    },
  };
  return { lroPollIntervalMs: 0, cdn: () => ({ afdOrigins }) } as unknown as AzureClients;
}

/** The activity: the protocol, with failures turned into an answer (crashes rerun it, as Durable does). */
async function activity(model: Model, provider: Provider, input: SwapInput): Promise<SwapOutcome> {
  for (let rerun = 0; rerun < 50; rerun++) {
    try {
      const router = bindSwitch(model.traffic(provider), input.traffic.resource, input.traffic);
      const result = await swapEndpoints(router, input, { now: () => new Date(model.now) });
      return { ok: true, ...result };
    } catch (err) {
      // A crash is the worker dying, however the adapter wrapped it.
      if (err instanceof Crash || (err instanceof StepError && err.cause instanceof Crash)) continue;
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
  provider: Provider,
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
    const outcome = await activity(model, provider, {
      releaseId: 'r',
      traffic: { kind: provider, resource: PROFILES[provider] },
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

describe.each<Provider>(['trafficManager', 'frontDoor'])(
  'swap and rollback protocol (property, %s)',
  (provider) => {
    // The adapters compute Retry-After instants from the clock: the model's virtual one.
    let clock: jest.SpyInstance<number, []>;
    let current: Model | undefined;
    beforeEach(() => {
      clock = jest.spyOn(Date, 'now').mockImplementation(() => current?.now ?? 0);
    });
    afterEach(() => {
      clock.mockRestore();
      current = undefined;
    });
    const model = (start: Record<Slot, boolean>, events: CallEvent[]): Model =>
      (current = new Model(start, events));

    it('never leaves zero endpoints after a corrective write, ends with the right slot serving, never writes after the end or sooner than asked', async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async ({ kind, events }) => {
          if (kind === 'swap') {
            const m = model({ blue: true, green: false }, events);
            const swapped = await move(m, provider, 'swap', 'green', 'blue', SWAP_RETRY, SWAP_DEADLINE_MS);
            // A failed swap is always followed by the restore of production, which never gives up.
            const restored =
              swapped ??
              (await move(
                m,
                provider,
                'restore',
                'blue',
                'green',
                ROLLBACK_RETRY,
                undefined,
                m.gaveUpNotBefore,
              ));
            m.ended = true;
            expect(m.violations).toEqual([]);
            expect(restored).toBeDefined();
            // The other writer acts only between calls, so the last read-back is the final state.
            expect(onlyOne(m, swapped ? 'green' : 'blue')).toBe(true);
          } else {
            const m = model({ blue: false, green: true }, events);
            const back = await move(m, provider, 'rollback', 'blue', 'green', ROLLBACK_RETRY);
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
            const m = model({ blue: false, green: true }, events);
            await move(m, provider, 'rollback', 'blue', 'green', ROLLBACK_RETRY);
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
  },
);
