/**
 * Azure DevOps service hook payloads: which builds release, as the service-hook docs publish them.
 *
 * - `build.complete` (classic and YAML builds): `resource` is the Build REST resource.
 * - `ms.vss-pipelines.run-state-changed-event`: `resource.run` is the pipeline run, `resource.pipeline` the pipeline.
 * - `ms.vss-release.deployment-completed-event`: the build is the release's primary `Build` artifact
 *   (`resource.deployment.release.artifacts[]`, `definitionReference.version` = the build). The published
 *   sample carries no artifact at all; such a delivery cannot say which build to deploy, so it is ignored
 *   with a reason rather than rejected.
 *
 * `BuildInfo.branch` keeps the full ref as sent (`refs/heads/main`); filters match either form.
 */
import { buildFieldRule, ruleProblem, type BuildField } from '../contract';
import type { BuildFilters, BuildInfo } from '../domain';
import { ValidationError } from '../errors';
import { FieldReader, at, isObject, type JsonObject } from './fields';

/** The event types this app understands. */
export const DevOpsEventTypes = {
  BuildComplete: 'build.complete',
  RunStateChanged: 'ms.vss-pipelines.run-state-changed-event',
  DeploymentCompleted: 'ms.vss-release.deployment-completed-event',
} as const;

/** What a service hook delivery means: a build to release, or a reason to ignore it. */
export type HookOutcome = { kind: 'release'; build: BuildInfo } | { kind: 'ignored'; reason: string };

/** Result of matching a build against a target's filters. */
export type FilterMatch = { ok: true } | { ok: false; reason: string };

/**
 * Parses a service hook body. Returns `release` only for a completed, succeeded build/run/deployment;
 * `ignored` for other results, in-progress states and unknown event types; throws ValidationError naming
 * every missing or ill-typed field the decision needs.
 */
export function parseDevOpsEvent(body: unknown): HookOutcome {
  if (!isObject(body)) {
    throw new ValidationError(
      [{ path: '(body)', message: 'expected a JSON object' }],
      'service hook payload',
    );
  }
  const reader = new FieldReader(body);
  const eventType = reader.string('eventType');
  reader.throwIfProblems('service hook payload');
  switch (eventType) {
    case DevOpsEventTypes.BuildComplete:
      return parseBuildComplete(body);
    case DevOpsEventTypes.RunStateChanged:
      return parseRunStateChanged(body);
    case DevOpsEventTypes.DeploymentCompleted:
      return parseDeploymentCompleted(body);
    default:
      return {
        kind: 'ignored',
        reason: `unsupported eventType "${eventType}" (expected one of ${Object.values(DevOpsEventTypes).join(', ')})`,
      };
  }
}

function same(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b.toLowerCase();
}

function parseBuildComplete(body: JsonObject): HookOutcome {
  const r = new FieldReader(body);
  r.object('resource');
  const id = r.id('resource.id');
  const number = r.string('resource.buildNumber');
  const pipeline = r.string('resource.definition.name');
  const pipelineId = r.optionalId('resource.definition.id');
  const status = r.string('resource.status');
  const result = r.optionalString('resource.result');
  const branch = r.optionalString('resource.sourceBranch');
  const commit = r.optionalString('resource.sourceVersion');
  const projectPath = at(body, 'resource.project.name')
    ? 'resource.project.name'
    : 'resource.definition.project.name';
  const project = r.optionalString(projectPath);
  const requestedByPath = at(body, 'resource.requestedFor.displayName')
    ? 'resource.requestedFor.displayName'
    : 'resource.requestedBy.displayName';
  const requestedBy = r.optionalString(requestedByPath);
  const uniqueNamePath = requestedByPath.replace(/displayName$/, 'uniqueName');
  const requestedByUniqueName = r.optionalString(uniqueNamePath);
  const urlPath = at(body, 'resource._links.web.href') ? 'resource._links.web.href' : 'resource.url';
  const url = r.optionalString(urlPath);
  if (same(status, 'completed') && result === undefined) {
    r.problem('resource.result', 'required when resource.status is "completed"');
  }
  r.throwIfProblems('build.complete payload');

  // Resource version 2.0: status "completed" + result. The 2015-era XAML samples (resource version 1.0)
  // put the result in status itself ("succeeded").
  const succeeded = same(status, 'completed') ? same(result, 'succeeded') : same(status, 'succeeded');
  if (!succeeded) {
    const what = same(status, 'completed') ? `result is "${result}"` : `status is "${status}"`;
    return { kind: 'ignored', reason: `build ${number} ${what}; only succeeded builds release` };
  }
  return released(
    {
      id: id as string,
      number: number as string,
      pipeline: pipeline as string,
      pipelineId,
      branch,
      commit,
      project,
      requestedBy,
      requestedByUniqueName,
      url,
      source: 'build.complete',
    },
    {
      id: 'resource.id',
      number: 'resource.buildNumber',
      pipeline: 'resource.definition.name',
      pipelineId: 'resource.definition.id',
      branch: 'resource.sourceBranch',
      commit: 'resource.sourceVersion',
      project: projectPath,
      requestedBy: requestedByPath,
      requestedByUniqueName: uniqueNamePath,
      url: urlPath,
    },
  );
}

function parseRunStateChanged(body: JsonObject): HookOutcome {
  const r = new FieldReader(body);
  r.object('resource');
  r.object('resource.run');
  const id = r.id('resource.run.id');
  const number = r.string('resource.run.name');
  const state = r.string('resource.run.state');
  const result = r.optionalString('resource.run.result');
  // The pipeline sits at resource.pipeline; resource.run.pipeline repeats it.
  const pipelinePath =
    at(body, 'resource.pipeline') !== undefined ? 'resource.pipeline' : 'resource.run.pipeline';
  const pipeline = r.string(`${pipelinePath}.name`);
  const pipelineId = r.optionalId(`${pipelinePath}.id`);
  // Not in the published sample, present in real deliveries of YAML runs.
  const branch = r.optionalString('resource.run.resources.repositories.self.refName');
  const commit = r.optionalString('resource.run.resources.repositories.self.version');
  const project = r.optionalString('resource.project.name');
  const urlPath = at(body, 'resource.run._links.web.href')
    ? 'resource.run._links.web.href'
    : 'resource.run.url';
  const url = r.optionalString(urlPath);
  if (same(state, 'completed') && result === undefined) {
    r.problem('resource.run.result', 'required when resource.run.state is "completed"');
  }
  r.throwIfProblems('run-state-changed payload');

  if (!same(state, 'completed')) {
    return { kind: 'ignored', reason: `run ${number} is ${state}; only completed runs release` };
  }
  if (!same(result, 'succeeded')) {
    return { kind: 'ignored', reason: `run ${number} result is "${result}"; only succeeded runs release` };
  }
  return released(
    {
      id: id as string,
      number: number as string,
      pipeline: pipeline as string,
      pipelineId,
      branch,
      commit,
      project,
      url,
      source: 'run-state-changed',
    },
    {
      id: 'resource.run.id',
      number: 'resource.run.name',
      pipeline: `${pipelinePath}.name`,
      pipelineId: `${pipelinePath}.id`,
      branch: 'resource.run.resources.repositories.self.refName',
      commit: 'resource.run.resources.repositories.self.version',
      project: 'resource.project.name',
      url: urlPath,
    },
  );
}

/** Reads a key case-insensitively: release artifacts are published with both `definition` and `Definition`. */
function ci(obj: unknown, key: string): unknown {
  if (!isObject(obj)) return undefined;
  if (key in obj) return obj[key];
  const found = Object.keys(obj).find((k) => k.toLowerCase() === key.toLowerCase());
  return found === undefined ? undefined : obj[found];
}

function findArtifacts(body: JsonObject): { path: string; list: unknown[] } | undefined {
  for (const path of [
    'resource.deployment.release.artifacts',
    'resource.release.artifacts',
    'resource.environment.release.artifacts',
  ]) {
    const list = at(body, path);
    if (Array.isArray(list)) return { path, list };
  }
  return undefined;
}

function parseDeploymentCompleted(body: JsonObject): HookOutcome {
  const r = new FieldReader(body);
  r.object('resource');
  r.object('resource.environment');
  const envName = r.optionalString('resource.environment.name') ?? '(unnamed)';
  const status = r.string('resource.environment.status');
  r.throwIfProblems('deployment-completed payload');

  if (!same(status, 'succeeded')) {
    return {
      kind: 'ignored',
      reason: `deployment to environment ${envName} is "${status}"; only succeeded deployments release`,
    };
  }
  const artifacts = findArtifacts(body);
  const builds = (artifacts?.list ?? [])
    .map((artifact, index) => ({ artifact, index }))
    .filter(({ artifact }) => isObject(artifact) && String(ci(artifact, 'type')).toLowerCase() === 'build');
  const chosen = builds.find(({ artifact }) => ci(artifact, 'isPrimary') === true) ?? builds[0];
  if (!artifacts || !chosen) {
    return {
      kind: 'ignored',
      reason:
        'deployment-completed event carries no Build artifact, so it does not say which build to deploy; ' +
        'subscribe to build.complete or run-state-changed instead',
    };
  }
  const base = `${artifacts.path}[${chosen.index}].definitionReference`;
  const ref = ci(chosen.artifact, 'definitionReference');
  const field = (name: string, sub: 'id' | 'name'): { path: string; value: unknown } => ({
    path: `${base}.${name}.${sub}`,
    value: ci(ci(ref, name), sub),
  });
  const problems: { path: string; message: string }[] = [];
  const need = (f: { path: string; value: unknown }): string | undefined => {
    const v = f.value;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    if (typeof v === 'string' && v.trim() !== '') return v;
    problems.push({
      path: f.path,
      message: v === undefined || v === null ? 'required' : 'expected a string',
    });
    return undefined;
  };
  const optional = (f: { path: string; value: unknown }): string | undefined =>
    typeof f.value === 'string' && f.value !== ''
      ? f.value
      : typeof f.value === 'number'
        ? String(f.value)
        : undefined;

  const id = need(field('version', 'id'));
  const number = need(field('version', 'name'));
  const pipeline = need(field('definition', 'name'));
  if (problems.length > 0) throw new ValidationError(problems, 'deployment-completed payload');
  return released(
    {
      id: id as string,
      number: number as string,
      pipeline: pipeline as string,
      pipelineId: optional(field('definition', 'id')),
      branch: optional(field('branch', 'id')) ?? optional(field('branch', 'name')),
      commit: optional(field('sourceVersion', 'id')),
      project: optional(field('project', 'name')),
      requestedBy: optional(field('requestedFor', 'name')),
      source: 'deployment-completed',
    },
    {
      id: field('version', 'id').path,
      number: field('version', 'name').path,
      pipeline: field('definition', 'name').path,
      pipelineId: field('definition', 'id').path,
      branch:
        optional(field('branch', 'id')) === undefined
          ? field('branch', 'name').path
          : field('branch', 'id').path,
      commit: field('sourceVersion', 'id').path,
      project: field('project', 'name').path,
      requestedBy: field('requestedFor', 'name').path,
    },
  );
}

/** Where each build field was read in the payload, to name it in a 400. */
type FieldPaths = Partial<Record<BuildField, string>>;

/**
 * The outcome of a build that releases, without the fields the payload did not carry. Every field is
 * checked against its rule in scripts/contract.json first (the build number is the scripts' VERSION by
 * default, ids and numbers become file names and URL parts, the rest is shown in the status): a
 * violation throws a ValidationError naming the payload field and the rule, so nothing starts.
 */
function released(build: BuildInfo, paths: FieldPaths): HookOutcome {
  const problems: { path: string; message: string }[] = [];
  for (const field of BUILD_FIELDS) {
    const value = build[field];
    if (value === undefined) continue;
    const problem = ruleProblem(buildFieldRule(field), value);
    if (problem !== undefined) problems.push({ path: paths[field] ?? field, message: problem });
  }
  if (problems.length > 0) throw new ValidationError(problems, `${build.source} payload`);
  const present = Object.fromEntries(Object.entries(build).filter(([, v]) => v !== undefined));
  return { kind: 'release', build: present as unknown as BuildInfo };
}

/** The BuildInfo fields the contract has rules for. */
const BUILD_FIELDS: readonly BuildField[] = [
  'id',
  'number',
  'pipeline',
  'pipelineId',
  'branch',
  'commit',
  'project',
  'requestedBy',
  'requestedByUniqueName',
  'url',
];

const HEADS = 'refs/heads/';

/** A branch without its `refs/heads/` prefix (`refs/heads/main` → `main`); other refs are kept whole. */
export function shortBranch(branch: string): string {
  return branch.startsWith(HEADS) ? branch.slice(HEADS.length) : branch;
}

/** Matches `value` against a pattern where `*` stands for any run of characters. */
export function globMatch(pattern: string, value: string, caseInsensitive: boolean): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, caseInsensitive ? 'i' : '').test(value);
}

/**
 * Checks a build against a target's filters. Pipelines match by name (case-insensitive, `*` wildcards)
 * or by exact definition/pipeline id; branches match with or without `refs/heads/` (case-sensitive, as
 * Git refs are; `*` wildcards). An absent or empty filter list lets everything through.
 */
export function matchesFilters(build: BuildInfo, filters: BuildFilters): FilterMatch {
  const pipelines = filters.pipelines ?? [];
  if (pipelines.length > 0) {
    const hit = pipelines.some(
      (p) => globMatch(p, build.pipeline, true) || (build.pipelineId !== undefined && p === build.pipelineId),
    );
    if (!hit) {
      const id = build.pipelineId === undefined ? '' : ` (id ${build.pipelineId})`;
      return {
        ok: false,
        reason: `pipeline "${build.pipeline}"${id} is not in filters.pipelines [${pipelines.join(', ')}]`,
      };
    }
  }
  const branches = filters.branches ?? [];
  if (branches.length > 0) {
    if (build.branch === undefined) {
      return {
        ok: false,
        reason: `build ${build.number} names no branch, and the target filters on branches`,
      };
    }
    const actual = shortBranch(build.branch);
    const hit = branches.some(
      (b) => globMatch(shortBranch(b), actual, false) || globMatch(b, build.branch as string, false),
    );
    if (!hit) {
      return {
        ok: false,
        reason: `branch "${build.branch}" is not in filters.branches [${branches.join(', ')}]`,
      };
    }
  }
  return { ok: true };
}
