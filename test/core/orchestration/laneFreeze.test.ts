/** The lane's freeze decisions, pure (`apply`): what it queues, starts, tells and drops while frozen. */
import type { BuildRequest, FreezeRequest, LaneState } from '../../../src/core/orchestration/contracts';
import { apply } from '../../../src/core/orchestration/lane';
import { aBuild, aTarget } from '../../builders/target';

const now = new Date('2026-01-01T09:00:00.000Z');
const build = (n: number): BuildRequest => ({
  releaseId: `web-prod-b${n}`,
  build: aBuild({ id: String(n) }),
  target: aTarget(),
  receivedAt: now.toISOString(),
});
const request = (action: 'freeze' | 'unfreeze', extra: Partial<FreezeRequest> = {}): FreezeRequest => ({
  requestId: `${action}-1`,
  action,
  by: 'ops@contoso.com',
  authenticated: true,
  requestedAt: now.toISOString(),
  ...(action === 'freeze' ? { reason: 'incident' } : {}),
  ...extra,
});
const idle: LaneState = { target: 'web-prod', recent: [] };
const frozen = (state: LaneState, extra: Partial<FreezeRequest> = {}): LaneState =>
  apply(state, { kind: 'freeze', request: request('freeze', extra) }, now);

describe('the lane while frozen', () => {
  it('starts nothing: builds queue (newest kept, the replaced ones wait to end Superseded by it)', () => {
    let s = frozen(idle);
    s = apply(s, { kind: 'build', request: build(101) }, now);
    s = apply(s, { kind: 'build', request: build(102) }, now);
    expect(s.running).toBeUndefined();
    expect(s.effects?.start).toBeUndefined();
    expect(s.queued?.releaseId).toBe('web-prod-b102');
    expect(s.waiting).toEqual(['web-prod-b101']);
  });

  it('an unfreeze starts the newest queued build, superseding the ones it replaced', () => {
    let s = frozen(idle);
    s = apply(s, { kind: 'build', request: build(101) }, now);
    s = apply(s, { kind: 'build', request: build(102) }, now);
    s = apply(s, { kind: 'freeze', request: request('unfreeze', { requestId: 'u-1' }) }, now);
    expect(s.frozen).toBeUndefined();
    expect(s.lastFreeze).toMatchObject({ reason: 'incident', endedBy: 'ops@contoso.com' });
    expect(s.freezeApplied).toEqual({ requestId: 'u-1', changed: true });
    expect(s.running).toEqual({ kind: 'release', instanceId: 'web-prod-b102' });
    expect(s.effects?.start?.map((x) => x.instanceId)).toEqual(['web-prod-b102']);
    expect(s.effects?.supersede).toMatchObject({ releaseIds: ['web-prod-b101'], by: 'web-prod-b102' });
  });

  it('a release that ends while frozen starts nothing; an unfreeze then tells a running release', () => {
    let s = apply(idle, { kind: 'build', request: build(101) }, now);
    s = frozen({ ...s, effects: undefined });
    s = apply(s, { kind: 'build', request: build(102) }, now);
    s = apply(s, { kind: 'ended', ended: { instanceId: 'web-prod-b101' } }, now);
    expect(s.running).toBeUndefined();
    expect(s.queued?.releaseId).toBe('web-prod-b102');

    let r = apply(idle, { kind: 'build', request: build(201) }, now);
    r = frozen({ ...r, effects: undefined });
    r = apply(r, { kind: 'freeze', request: request('unfreeze') }, now);
    expect(r.effects?.unfrozen).toBe('web-prod-b201');
  });

  it('ends at its end time, not before', () => {
    const until = '2026-01-01T10:00:00.000Z';
    const s = frozen(idle, { until });
    expect(
      apply(s, { kind: 'freeze-due', at: new Date('2026-01-01T09:59:59.999Z') }, now).frozen,
    ).toBeDefined();
    const due = apply(s, { kind: 'freeze-due', at: new Date(until) }, now);
    expect(due.frozen).toBeUndefined();
    expect(due.lastFreeze).toMatchObject({ endedBy: 'schedule', endedAt: until, until });
  });

  it('a manual rollback of the last succeeded release runs even with a build queued by the freeze', () => {
    const last = {
      releaseId: 'web-prod-b100',
      previousSlot: 'blue',
      liveSlot: 'green',
      traffic: aTarget().traffic,
    };
    let s = frozen({ ...idle, lastSucceeded: last });
    s = apply(s, { kind: 'build', request: build(101) }, now);
    s = apply(
      s,
      {
        kind: 'rollback',
        request: { releaseId: 'web-prod-b100', requestedBy: 'ops', requestedAt: now.toISOString() },
      },
      now,
    );
    expect(s.running).toMatchObject({ kind: 'rollback', releaseId: 'web-prod-b100' });
    expect(s.queued?.releaseId).toBe('web-prod-b101');
  });

  it('an unfreeze of a target that is not frozen changes nothing but says so', () => {
    const s = apply(idle, { kind: 'freeze', request: request('unfreeze') }, now);
    expect(s).toEqual({ ...idle, freezeApplied: { requestId: 'unfreeze-1', changed: false } });
  });
});
