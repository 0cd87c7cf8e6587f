import type { OrchestrationContext, Task } from 'durable-functions';
import { Events } from '../../names';
import { resultOf, waitForEvent, type TypedTask } from '../calls';
import type { CancelRequest, NewerBuildEvent } from '../contracts';

/** Why a release stops before its swap: a newer build of the target, or an operator's cancel. */
export type StopReason =
  { kind: 'newer'; newer: NewerBuildEvent } | { kind: 'cancel'; cancel: CancelRequest };

/**
 * The release's waits for what stops it before its swap: a newer build, and (releases created at 3.3 or later) a
 * cancel request. durable-functions hands a raised event to the newest open waiter, and a waiter that lost its
 * `Task.any` stays open: an event arriving while the release waits for something else (an activity between two
 * races) lands in the last one. So every wait is made here, and `arrived()` / `cancelled()` look at all of them.
 */
export class NewerBuildWatch {
  private readonly newer: TypedTask<NewerBuildEvent>[] = [];
  private readonly cancels: TypedTask<CancelRequest>[] = [];

  /**
   * `cancellable`: whether this release was created at 3.3 or later (a version gate: older ones replay without the
   * cancel waits, and without checking for an early stop before the approval wait).
   */
  constructor(
    private readonly ctx: OrchestrationContext,
    readonly cancellable = false,
  ) {}

  /** Fresh waits, to race in a new `Task.any` (never re-use one in a new compound). */
  waits(): Task[] {
    const newer = waitForEvent(this.ctx, Events.NewerBuild);
    this.newer.push(newer);
    if (!this.cancellable) return [newer];
    const cancel = waitForEvent(this.ctx, Events.CancelRequested);
    this.cancels.push(cancel);
    return [newer, cancel];
  }

  /** The newer build that reached any wait so far, if one did. */
  arrived(): NewerBuildEvent | undefined {
    const done = this.newer.find((t) => t.isCompleted);
    return done ? resultOf(done) : undefined;
  }

  /** The cancel request that reached any wait so far, if one did. */
  cancelled(): CancelRequest | undefined {
    const done = this.cancels.find((t) => t.isCompleted);
    return done ? resultOf(done) : undefined;
  }

  /** What stops the release, if anything has arrived: a person's cancel wins over a newer build. */
  stop(): StopReason | undefined {
    const cancel = this.cancelled();
    if (cancel) return { kind: 'cancel', cancel };
    const newer = this.arrived();
    return newer ? { kind: 'newer', newer } : undefined;
  }
}
