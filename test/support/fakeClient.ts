import type { InstanceStatus, ReleaseClient } from '../../src/core/api/client';
import type { ReleasePhase, TargetFreeze } from '../../src/core/domain';
import { Orchestrations } from '../../src/core/names';
import { aReleaseView } from '../builders/release';

/** An in-memory Durable client: instances by id, and every event raised. */
export class FakeClient implements ReleaseClient {
  readonly instances = new Map<string, InstanceStatus>();
  readonly raised: { id: string; event: string; data?: unknown }[] = [];
  failNextStartOf?: string;
  /** Keep each event's data in `raised` too. */
  keepData = false;

  put(instanceId: string, name: string, runtimeStatus = 'Running', customStatus?: unknown): void {
    this.instances.set(instanceId, {
      instanceId,
      name,
      runtimeStatus,
      customStatus,
      createdTime: '',
      lastUpdatedTime: '',
    });
  }
  async get(id: string) {
    await Promise.resolve(); // answers arrive later, as over HTTP: concurrent deliveries interleave
    return this.instances.get(id);
  }
  async query() {
    return { instances: [...this.instances.values()] };
  }
  async purge(id: string) {
    return this.instances.delete(id);
  }
  async start(orchestration: string, id: string, input: unknown) {
    await Promise.resolve();
    if (this.failNextStartOf === orchestration) {
      this.failNextStartOf = undefined;
      throw new Error('HTTP 503 storage unavailable');
    }
    if (this.instances.get(id)?.runtimeStatus === 'Running') throw new Error('HTTP 409');
    this.put(id, orchestration, 'Running', undefined);
    this.instances.get(id)!.input = input;
  }
  async raise(id: string, event: string, data?: unknown) {
    await Promise.resolve();
    this.raised.push({ id, event, ...(this.keepData ? { data } : {}) });
  }
  /** The lane as it looks while running `current` (and frozen by `frozen`, when given). */
  laneRunning(current: string | null, frozen?: TargetFreeze): void {
    this.put('lane-web-prod', Orchestrations.Lane, 'Running', {
      target: 'web-prod',
      current,
      lastSucceeded: null,
      ...(frozen ? { frozen } : {}),
    });
  }
  releaseIn(id: string, phase: ReleasePhase, runtimeStatus = 'Running'): void {
    this.put(id, Orchestrations.Release, runtimeStatus, aReleaseView({ id, phase }));
  }
}
