import type { OrchestrationContext, Task } from 'durable-functions';
import { Events } from '../../names';
import { resultOf, waitForEvent, type TypedTask } from '../calls';
import type { NewerBuildEvent } from '../contracts';

/**
 * The release's waits for a newer build. durable-functions hands a raised event to the newest open waiter, and a
 * waiter that lost its `Task.any` stays open: a `NewerBuild` arriving while the release waits for something else
 * (an activity between two races) lands in the last one. So every wait is made here, and `arrived()` looks at all.
 */
export class NewerBuildWatch {
  private readonly waits: TypedTask<NewerBuildEvent>[] = [];

  constructor(private readonly ctx: OrchestrationContext) {}

  /** A fresh wait for `NewerBuild`, to race in a new `Task.any` (never re-use one in a new compound). */
  wait(): Task {
    const task = waitForEvent(this.ctx, Events.NewerBuild);
    this.waits.push(task);
    return task;
  }

  /** The newer build that reached any wait so far, if one did. */
  arrived(): NewerBuildEvent | undefined {
    const done = this.waits.find((t) => t.isCompleted);
    return done ? resultOf(done) : undefined;
  }
}
