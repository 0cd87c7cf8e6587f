import { expandTemplate, expandUrlTemplate } from '../config';
import { parameterRule, ruleProblem } from '../contract';
import type { BuildInfo, TargetConfig } from '../domain';
import type { Problem } from '../errors';

/** The version the deployed build must report: the target's `expectVersion` template over the build. */
export function expectedVersion(target: TargetConfig, build: BuildInfo): string {
  return expandTemplate(target.health.expectVersion, build);
}

/**
 * Parameters of the deploy script (see scripts/deploy-linux.sh): the target's own parameters, plus the
 * package URL, the version to expect and the header that carries it, which the app always decides.
 */
export function deployParameters(target: TargetConfig, build: BuildInfo): Record<string, string> {
  return {
    ...target.deploy.parameters,
    ARTIFACT_URL: expandUrlTemplate(target.artifactUrlTemplate, build),
    VERSION: expectedVersion(target, build),
    ...(target.health.versionHeader ? { HEALTH_VERSION_HEADER: target.health.versionHeader } : {}),
  };
}

/** The parameters an app derives from a build, with the target setting that shapes each. */
const DERIVED = [
  { name: 'ARTIFACT_URL', setting: 'artifactUrlTemplate' },
  { name: 'VERSION', setting: 'health.expectVersion' },
] as const;

/**
 * What is wrong with the parameters a build would give the target's deploy script: each value derived
 * from the build, checked against the script's rule in scripts/contract.json (so that a build the hook
 * accepts is never refused by the script with exit 2 on every instance). Throws the ValidationError of
 * a template the build cannot fill.
 */
export function deployParameterProblems(target: TargetConfig, build: BuildInfo): Problem[] {
  const parameters = deployParameters(target, build);
  const problems: Problem[] = [];
  for (const { name, setting } of DERIVED) {
    const problem = ruleProblem(parameterRule(name, target.deploy.scriptKind), parameters[name] ?? '');
    if (problem !== undefined) {
      problems.push({ path: `${name} (from the target's ${setting})`, message: problem });
    }
  }
  return problems;
}
