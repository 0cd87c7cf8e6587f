import {
  matchesFilters,
  parseDevOpsEvent,
  shortBranch,
  type HookOutcome,
} from '../../../src/core/payloads/devops';
import { ValidationError } from '../../../src/core/errors';
import { aBuild } from '../../builders/target';
import {
  FIXTURES,
  aBuildCompletePayload,
  aRunStateChangedPayload,
  loadFixture,
} from '../../builders/payloads';

function problemsOf(body: unknown): string[] {
  try {
    parseDevOpsEvent(body);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected a ValidationError');
}

function ignoredReason(outcome: HookOutcome): string {
  if (outcome.kind !== 'ignored') throw new Error(`expected ignored, got ${JSON.stringify(outcome)}`);
  return outcome.reason;
}

describe('parseDevOpsEvent on the published samples', () => {
  it('releases the build.complete sample with every BuildInfo field read from it', () => {
    expect(parseDevOpsEvent(loadFixture(FIXTURES.buildComplete))).toEqual({
      kind: 'release',
      build: {
        id: '2727068',
        number: '20221202.1',
        pipeline: 'MainRepo (1)',
        pipelineId: '4658',
        branch: 'refs/heads/main',
        commit: '6e12f6141917f66a2964af55952ee33914d2d91f',
        project: 'FabrikamFiberChat',
        requestedBy: 'Jack Fabrikam',
        requestedByUniqueName: 'jack@FabrikamFiber.com',
        url: 'https://dev.azure.com/FabrikamFiber/16dcfeeb-d8fd-495c-917b-fec46cb44fbb/_build/results?buildId=2727068',
        source: 'build.complete',
      },
    });
  });

  it('releases the run-state-changed sample (completed + succeeded)', () => {
    expect(parseDevOpsEvent(loadFixture(FIXTURES.runStateChanged))).toEqual({
      kind: 'release',
      build: {
        id: '11',
        number: '11',
        pipeline: 'TEST-CI',
        pipelineId: '11',
        url: 'https://codedev.ms/org/863d0a5b-3c91-4bf3-8ad7-7f33736b7f4c/_build/results?buildId=11',
        source: 'run-state-changed',
      },
    });
  });

  it('ignores the deployment-completed sample, which names no build artifact', () => {
    expect(ignoredReason(parseDevOpsEvent(loadFixture(FIXTURES.deploymentCompleted)))).toMatch(
      /no Build artifact/,
    );
  });
});

describe('build.complete outcomes', () => {
  it.each(['failed', 'partiallySucceeded', 'canceled'])('ignores result %s', (result) => {
    const sample = loadFixture(FIXTURES.buildComplete);
    (sample.resource as Record<string, unknown>).result = result;
    expect(ignoredReason(parseDevOpsEvent(sample))).toBe(
      `build 20221202.1 result is "${result}"; only succeeded builds release`,
    );
  });

  it('ignores a build still in progress (no result yet)', () => {
    const body = aBuildCompletePayload({ status: 'inProgress', result: undefined });
    expect(ignoredReason(parseDevOpsEvent(body))).toMatch(/status is "inProgress"/);
  });

  it('accepts the 2015-era resource version 1.0, where status carries the result', () => {
    const body = aBuildCompletePayload({ status: 'succeeded', result: undefined });
    expect(parseDevOpsEvent(body).kind).toBe('release');
  });

  it('matches result case-insensitively', () => {
    expect(parseDevOpsEvent(aBuildCompletePayload({ status: 'Completed', result: 'Succeeded' })).kind).toBe(
      'release',
    );
  });

  it('falls back to resource.url and requestedBy when _links and requestedFor are absent', () => {
    const body = aBuildCompletePayload({
      requestedFor: undefined,
      requestedBy: { displayName: 'Build Service' },
    });
    const outcome = parseDevOpsEvent(body);
    expect(outcome).toMatchObject({
      kind: 'release',
      build: {
        url: 'https://dev.azure.com/fabrikam/web/_apis/build/Builds/1234',
        requestedBy: 'Build Service',
      },
    });
  });
});

describe('build.complete validation', () => {
  it('names every missing field of the sample at once', () => {
    const sample = loadFixture(FIXTURES.buildComplete);
    const resource = sample.resource as Record<string, unknown>;
    delete resource.id;
    delete resource.buildNumber;
    delete resource.definition;
    delete resource.result;
    expect(problemsOf(sample)).toEqual([
      'resource.id: required',
      'resource.buildNumber: required',
      'resource.definition.name: required',
      'resource.result: required when resource.status is "completed"',
    ]);
  });

  it('names ill-typed fields', () => {
    const body = aBuildCompletePayload({
      id: { n: 1 },
      buildNumber: 7,
      definition: { name: '' },
      sourceBranch: 5,
    });
    expect(problemsOf(body)).toEqual([
      'resource.id: expected a non-negative integer or an id of [A-Za-z0-9._-] (at most 64), got object',
      'resource.buildNumber: expected a string, got number',
      'resource.definition.name: must not be empty',
      'resource.sourceBranch: expected a string, got number',
    ]);
  });

  it('requires resource to be an object', () => {
    expect(problemsOf({ eventType: 'build.complete', resource: [] })).toContain(
      'resource: expected an object, got array',
    );
  });

  it('accepts a string build id', () => {
    expect(parseDevOpsEvent(aBuildCompletePayload({ id: '99' }))).toMatchObject({ build: { id: '99' } });
  });

  it.each(['a/b', '../x', 'x?y', 'x#y', 'a\\b', 'tab\tid', ' 12', 'x'.repeat(65), -3, 1.5])(
    'refuses the build id %j, which would end up in instance ids and URLs',
    (id) => {
      expect(problemsOf(aBuildCompletePayload({ id }))).toEqual([
        expect.stringMatching(/^resource\.id: expected a non-negative integer or an id of \[A-Za-z0-9\._-\]/),
      ]);
    },
  );
});

describe('run-state-changed', () => {
  it('reads branch and commit from resources.repositories.self when present', () => {
    expect(parseDevOpsEvent(aRunStateChangedPayload())).toMatchObject({
      kind: 'release',
      build: {
        id: '1234',
        number: '20240501.3',
        pipeline: 'web-ci',
        pipelineId: '42',
        branch: 'refs/heads/main',
        commit: 'abc123',
      },
    });
  });

  it('ignores runs in progress', () => {
    expect(
      ignoredReason(parseDevOpsEvent(aRunStateChangedPayload({ state: 'inProgress', result: undefined }))),
    ).toBe('run 20240501.3 is inProgress; only completed runs release');
  });

  it.each(['failed', 'canceled', 'partiallySucceeded'])('ignores completed runs with result %s', (result) => {
    expect(ignoredReason(parseDevOpsEvent(aRunStateChangedPayload({ result })))).toMatch(`"${result}"`);
  });

  it('uses resource.run.pipeline when resource.pipeline is absent', () => {
    const body = aRunStateChangedPayload({ pipeline: { id: 7, name: 'from-run' } });
    delete (body.resource as Record<string, unknown>).pipeline;
    expect(parseDevOpsEvent(body)).toMatchObject({ build: { pipeline: 'from-run', pipelineId: '7' } });
  });

  it('names missing run fields of the sample', () => {
    const sample = loadFixture(FIXTURES.runStateChanged);
    const resource = sample.resource as Record<string, Record<string, unknown>>;
    delete resource.run!.id;
    delete resource.run!.state;
    delete resource.pipeline!.name;
    expect(problemsOf(sample)).toEqual([
      'resource.run.id: required',
      'resource.run.state: required',
      'resource.pipeline.name: required',
    ]);
  });

  it('requires resource.run', () => {
    expect(problemsOf({ eventType: 'ms.vss-pipelines.run-state-changed-event', resource: {} })).toEqual(
      expect.arrayContaining(['resource.run: required', 'resource.run.id: required']),
    );
  });
});

describe('deployment-completed', () => {
  function withArtifacts(
    status = 'succeeded',
    artifacts: unknown[] = [primaryBuild()],
  ): Record<string, unknown> {
    const sample = loadFixture(FIXTURES.deploymentCompleted);
    const resource = sample.resource as Record<string, Record<string, unknown>>;
    resource.environment!.status = status;
    resource.deployment = { release: { id: 1, name: 'Release-1', artifacts } };
    return sample;
  }
  function primaryBuild(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      type: 'Build',
      alias: '_web-ci',
      isPrimary: true,
      definitionReference: {
        definition: { id: '42', name: 'web-ci' },
        version: { id: '1234', name: '20240501.3' },
        branch: { id: 'refs/heads/main', name: 'refs/heads/main' },
        sourceVersion: { id: 'abc123' },
        project: { id: 'p', name: 'Fabrikam' },
        ...extra,
      },
    };
  }

  it('takes the primary Build artifact', () => {
    const other = { type: 'Git', isPrimary: false, definitionReference: {} };
    expect(parseDevOpsEvent(withArtifacts('succeeded', [other, primaryBuild()]))).toEqual({
      kind: 'release',
      build: {
        id: '1234',
        number: '20240501.3',
        pipeline: 'web-ci',
        pipelineId: '42',
        branch: 'refs/heads/main',
        commit: 'abc123',
        project: 'Fabrikam',
        source: 'deployment-completed',
      },
    });
  });

  it('reads artifact keys in either case, as the docs publish both', () => {
    const artifact = {
      type: 'Build',
      isPrimary: true,
      definitionReference: {
        Definition: { id: '1', name: 'Fabrikam.CI' },
        Version: { id: '9', name: 'ci.9' },
      },
    };
    expect(parseDevOpsEvent(withArtifacts('succeeded', [artifact]))).toMatchObject({
      build: { id: '9', number: 'ci.9', pipeline: 'Fabrikam.CI' },
    });
  });

  it.each(['rejected', 'canceled', 'partiallySucceeded'])('ignores deployments that ended %s', (status) => {
    expect(ignoredReason(parseDevOpsEvent(withArtifacts(status)))).toMatch(`environment Dev is "${status}"`);
  });

  it('names the missing build version fields of the artifact', () => {
    const body = withArtifacts('succeeded', [primaryBuild({ version: { id: null } })]);
    expect(problemsOf(body)).toEqual([
      'resource.deployment.release.artifacts[0].definitionReference.version.id: required',
      'resource.deployment.release.artifacts[0].definitionReference.version.name: required',
    ]);
  });

  it('requires the environment status', () => {
    const sample = loadFixture(FIXTURES.deploymentCompleted);
    delete (sample.resource as Record<string, Record<string, unknown>>).environment!.status;
    expect(problemsOf(sample)).toEqual(['resource.environment.status: required']);
  });
});

describe('envelope', () => {
  it('ignores unknown event types with the list of supported ones', () => {
    expect(ignoredReason(parseDevOpsEvent({ eventType: 'git.push', resource: {} }))).toMatch(
      /unsupported eventType "git.push".*build.complete/,
    );
  });

  it.each([
    [null, '(body): expected a JSON object'],
    [[], '(body): expected a JSON object'],
    ['text', '(body): expected a JSON object'],
    [{}, 'eventType: required'],
    [{ eventType: 3 }, 'eventType: expected a string, got number'],
  ])('rejects %j', (body, problem) => {
    expect(problemsOf(body)).toEqual([problem]);
  });

  it('puts every problem into the error message', () => {
    expect(() => parseDevOpsEvent({ eventType: 'build.complete', resource: {} })).toThrow(
      /invalid build.complete payload: resource.id: required; resource.buildNumber: required/,
    );
  });
});

describe('matchesFilters', () => {
  it('lets everything through without filters', () => {
    expect(matchesFilters(aBuild(), {})).toEqual({ ok: true });
    expect(matchesFilters(aBuild(), { pipelines: [], branches: [] })).toEqual({ ok: true });
  });

  it('matches pipeline names case-insensitively, with * wildcards, or by id', () => {
    expect(matchesFilters(aBuild(), { pipelines: ['WEB-CI'] })).toEqual({ ok: true });
    expect(matchesFilters(aBuild(), { pipelines: ['web-*'] })).toEqual({ ok: true });
    expect(matchesFilters(aBuild(), { pipelines: ['42'] })).toEqual({ ok: true });
    expect(matchesFilters(aBuild({ pipeline: 'a.b' }), { pipelines: ['a?b'] })).toMatchObject({ ok: false });
  });

  it('explains a pipeline mismatch', () => {
    expect(matchesFilters(aBuild(), { pipelines: ['api-ci', '7'] })).toEqual({
      ok: false,
      reason: 'pipeline "web-ci" (id 42) is not in filters.pipelines [api-ci, 7]',
    });
  });

  it('matches branches with or without refs/heads/', () => {
    expect(matchesFilters(aBuild({ branch: 'refs/heads/main' }), { branches: ['main'] })).toEqual({
      ok: true,
    });
    expect(matchesFilters(aBuild({ branch: 'refs/heads/main' }), { branches: ['refs/heads/main'] })).toEqual({
      ok: true,
    });
    expect(matchesFilters(aBuild({ branch: 'main' }), { branches: ['refs/heads/main'] })).toEqual({
      ok: true,
    });
    expect(
      matchesFilters(aBuild({ branch: 'refs/heads/release/2024.05' }), { branches: ['release/*'] }),
    ).toEqual({
      ok: true,
    });
    expect(matchesFilters(aBuild({ branch: 'refs/tags/v1' }), { branches: ['refs/tags/*'] })).toEqual({
      ok: true,
    });
  });

  it('treats branches case-sensitively, as Git does', () => {
    expect(matchesFilters(aBuild({ branch: 'refs/heads/Main' }), { branches: ['main'] })).toEqual({
      ok: false,
      reason: 'branch "refs/heads/Main" is not in filters.branches [main]',
    });
  });

  it('refuses a build without a branch when branches are filtered', () => {
    expect(matchesFilters(aBuild({ branch: undefined }), { branches: ['main'] })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/names no branch/),
    });
  });

  it('needs both filters to pass', () => {
    expect(matchesFilters(aBuild(), { pipelines: ['web-ci'], branches: ['develop'] })).toMatchObject({
      ok: false,
    });
  });

  it('shortens refs/heads/ only', () => {
    expect(shortBranch('refs/heads/feature/x')).toBe('feature/x');
    expect(shortBranch('refs/pull/1/merge')).toBe('refs/pull/1/merge');
  });
});
