import type { InstanceRef, RunResult, SlotCompute } from '../domain';

/** A script run on one instance through a managed run command. */
export interface RunCommandSpec {
  /** Run command name: derived from the release, so a retried activity finds the earlier run. */
  runName: string;
  scriptKind: 'linux' | 'windows';
  script: string;
  parameters: Record<string, string>;
  timeoutSeconds: number;
}

/** One of this app's run commands found on an instance. */
export interface RunCommandInfo {
  name: string;
  /** When its script started (ISO 8601), when the instance view says so. */
  startedAt?: string;
}

/** The deployer: lists a slot's instances, runs the deploy script on one of them, and cleans up old runs. */
export interface Deployer {
  listInstances(compute: SlotCompute): Promise<InstanceRef[]>;
  /** Runs the command, or returns the result of an earlier run of the same name; idempotent. */
  run(instance: InstanceRef, spec: RunCommandSpec): Promise<RunResult>;
  /** This app's run commands (named `deploy-...`) on the instance. */
  listRuns(instance: InstanceRef): Promise<RunCommandInfo[]>;
  /**
   * Deletes this app's run commands (named `deploy-...`) on the instance except those named in `keep`
   * (case-insensitive, as ARM names are); returns how many it deleted. Idempotent: one already gone counts as done.
   */
  prune(instance: InstanceRef, keep: string[]): Promise<number>;
}

/** Prefix of every run command this app creates; nothing else on an instance is ever deleted. */
export const RUN_NAME_PREFIX = 'deploy-';

/** True for a run command name this app created. */
export function isAppRunName(name: string): boolean {
  return name.toLowerCase().startsWith(RUN_NAME_PREFIX);
}

/**
 * The run to keep beside the current one (the previous release's): the other app run that started last,
 * or, when start times are unknown, the one whose name sorts last.
 */
export function previousRun(runs: RunCommandInfo[], current: string): string | undefined {
  const others = runs.filter((r) => isAppRunName(r.name) && r.name.toLowerCase() !== current.toLowerCase());
  const sorted = [...others].sort(
    (a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? '') || a.name.localeCompare(b.name),
  );
  return sorted.at(-1)?.name;
}
