/**
 * Azure DevOps "build completed" service hook bodies for the local stack, shaped like the published
 * sample (docs: service-hooks/events, "Build completed"); only the fields a release uses vary.
 */

/** What varies between sample builds. */
export interface SampleBuild {
  id: number;
  number: string;
  pipeline?: string;
  branch?: string;
  commit?: string;
  result?: 'succeeded' | 'failed' | 'canceled' | 'partiallySucceeded';
}

/** A `build.complete` body for one build of the sample pipeline. */
export function buildCompleted(b: SampleBuild): Record<string, unknown> {
  const pipeline = b.pipeline ?? 'webapp-ci';
  return {
    subscriptionId: '00000000-0000-0000-0000-000000000000',
    notificationId: b.id,
    id: `4a5d99d6-1c75-4e53-91b9-${String(b.id).padStart(12, '0')}`,
    eventType: 'build.complete',
    publisherId: 'tfs',
    message: { text: `Build ${b.number} succeeded` },
    resource: {
      id: b.id,
      buildNumber: b.number,
      status: 'completed',
      result: b.result ?? 'succeeded',
      url: `https://dev.azure.com/fabrikam/webapp/_apis/build/Builds/${b.id}`,
      definition: { id: 7, name: pipeline },
      project: { id: '16dcfeeb-d8fd-495c-917b-fec46cb44fbb', name: 'webapp' },
      sourceBranch: b.branch ?? 'refs/heads/main',
      sourceVersion: b.commit ?? '6e12f6141917f66a2964af55952ee33914d2d91f',
      requestedFor: { displayName: 'Jack Fabrikam' },
    },
    resourceVersion: '2.0',
    createdDate: new Date().toISOString(),
  };
}
