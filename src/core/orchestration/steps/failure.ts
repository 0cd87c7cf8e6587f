/** A step that cannot go on, with the resource it was working on; the release ends Failed with it. */
export class StepFailure extends Error {
  constructor(
    readonly step: string,
    readonly resource: string,
    readonly causeText: string,
    /** Epoch ms before which ARM asked not to be called (Retry-After): whatever follows must wait for it. */
    readonly retryNotBefore?: number,
  ) {
    super(`${step} failed on ${resource}: ${causeText}`);
    this.name = 'StepFailure';
  }
}
