/** Templates over build fields: artifact URLs, expected versions and deploy parameters. */
import type { BuildInfo } from '../domain';
import { ValidationError } from '../errors';
import { shortBranch } from '../payloads/devops';

/** Placeholders a template may use, and what each expands to. */
export const TEMPLATE_PLACEHOLDERS = {
  id: 'build or run id, e.g. 2727068',
  number: 'build number / run name, e.g. 20221202.1',
  pipeline: 'pipeline (definition) name',
  commit: 'source commit (sourceVersion)',
  branch: 'branch name without refs/heads/, e.g. main',
} as const;

/** A placeholder name. */
export type Placeholder = keyof typeof TEMPLATE_PLACEHOLDERS;

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** Every `{name}` used in a template, in order of appearance (duplicates kept once). */
export function templatePlaceholders(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1] as string))];
}

/** Placeholders in a template that are not known ones. */
export function unknownPlaceholders(template: string): string[] {
  return templatePlaceholders(template).filter((name) => !(name in TEMPLATE_PLACEHOLDERS));
}

/** Options of expandTemplate. */
export interface ExpandOptions {
  /** URL-encode every value (use for templates that produce URLs or URL parts). */
  encode?: boolean;
}

function valueOf(build: BuildInfo, name: Placeholder): string | undefined {
  switch (name) {
    case 'id':
      return build.id;
    case 'number':
      return build.number;
    case 'pipeline':
      return build.pipeline;
    case 'commit':
      return build.commit;
    case 'branch':
      return build.branch === undefined ? undefined : shortBranch(build.branch);
  }
}

/**
 * Expands `{id}`, `{number}`, `{pipeline}`, `{commit}` and `{branch}` from a build. Throws a
 * ValidationError when the template uses an unknown placeholder or one the build has no value for
 * (a `{commit}` template with a build that names no commit must not produce a wrong URL).
 */
export function expandTemplate(template: string, build: BuildInfo, options: ExpandOptions = {}): string {
  const problems: { path: string; message: string }[] = [];
  for (const name of templatePlaceholders(template)) {
    if (!(name in TEMPLATE_PLACEHOLDERS)) {
      problems.push({ path: `{${name}}`, message: 'unknown placeholder' });
    } else if (valueOf(build, name as Placeholder) === undefined) {
      problems.push({ path: `{${name}}`, message: `build ${build.id} has no ${name}` });
    }
  }
  if (problems.length > 0) throw new ValidationError(problems, `template "${template}"`);
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const value = valueOf(build, name as Placeholder) as string;
    return options.encode ? encodeURIComponent(value) : value;
  });
}

/** expandTemplate with every value URL-encoded: for artifact URLs. */
export function expandUrlTemplate(template: string, build: BuildInfo): string {
  return expandTemplate(template, build, { encode: true });
}
