import type { InstanceStatus } from '../../../src/core/api/client';
import { releaseView } from '../../../src/core/api/views';
import { aReleaseView } from '../../builders/release';
import { aBuild, aTarget } from '../../builders/target';

function instance(overrides: Partial<InstanceStatus>): InstanceStatus {
  return {
    instanceId: 'web-prod-b1234',
    name: 'Release',
    runtimeStatus: 'Running',
    createdTime: '2024-05-01T10:00:00.000Z',
    lastUpdatedTime: '2024-05-01T10:05:00.000Z',
    ...overrides,
  };
}

describe('releaseView', () => {
  it('shows a release that has not published a status yet as Running/queued, from its input', () => {
    const view = releaseView(
      instance({ input: { releaseId: 'web-prod-b1234', build: aBuild(), target: aTarget() } }),
    );
    expect(view).toMatchObject({
      id: 'web-prod-b1234',
      target: 'web-prod',
      status: 'Running',
      phase: 'queued',
    });
  });

  it('prefers the output of a finished release over its last custom status', () => {
    const view = releaseView(
      instance({
        runtimeStatus: 'Completed',
        customStatus: aReleaseView({ phase: 'baking' }),
        output: aReleaseView({ status: 'Succeeded', phase: 'done' }),
      }),
    );
    expect(view).toMatchObject({ status: 'Succeeded', phase: 'done' });
  });

  it('shows a terminated release as Failed, with the reason and the phase it was in', () => {
    const view = releaseView(
      instance({
        runtimeStatus: 'Terminated',
        customStatus: aReleaseView(),
        output: 'stuck, terminated by ops',
      }),
    );
    expect(view).toMatchObject({
      status: 'Failed',
      phase: 'done',
      error: {
        step: 'awaiting-approval',
        resource: 'orchestration web-prod-b1234',
        message: 'terminated: stuck, terminated by ops',
      },
    });
  });

  it('merges a successful manual rollback: RolledBack, live slot back, latency and a timeline step', () => {
    const succeeded = instance({
      runtimeStatus: 'Completed',
      output: aReleaseView({ status: 'Succeeded', phase: 'done', liveSlot: 'green', approval: {} }),
    });
    const manual = instance({
      instanceId: 'web-prod-b1234-rollback',
      name: 'ManualRollback',
      runtimeStatus: 'Completed',
      output: {
        releaseId: 'web-prod-b1234',
        ok: true,
        requestedBy: 'carol',
        requestedAt: '2024-05-01T11:00:00.000Z',
        trafficBackAt: '2024-05-01T11:00:00.250Z',
      },
    });
    const view = releaseView(succeeded, manual);
    expect(view).toMatchObject({
      status: 'RolledBack',
      liveSlot: 'blue',
      rollback: { trigger: 'manual', requestedBy: 'carol', latencyMs: 250 },
    });
    expect(view.timeline.at(-1)).toMatchObject({ step: 'manual-rollback', outcome: 'ok', durationMs: 250 });
  });

  it('keeps a release Succeeded when its manual rollback failed, and shows why', () => {
    const view = releaseView(
      instance({ runtimeStatus: 'Completed', output: aReleaseView({ status: 'Succeeded', phase: 'done' }) }),
      instance({
        name: 'ManualRollback',
        runtimeStatus: 'Completed',
        output: {
          releaseId: 'x',
          ok: false,
          requestedBy: 'carol',
          requestedAt: '2024-05-01T11:00:00.000Z',
          error: 'swap refused',
        },
      }),
    );
    expect(view.status).toBe('Succeeded');
    expect(view.timeline.at(-1)).toMatchObject({
      step: 'manual-rollback',
      outcome: 'failed',
      detail: 'swap refused',
    });
  });
});
