import type { BuildInfo, TargetConfig } from '../domain';
import { expandTemplate, expandUrlTemplate } from '../config';

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
