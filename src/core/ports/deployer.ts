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

/** The deployer: lists a slot's instances and runs the deploy script on one of them. */
export interface Deployer {
  listInstances(compute: SlotCompute): Promise<InstanceRef[]>;
  /** Runs the command, or returns the result of an earlier run of the same name; idempotent. */
  run(instance: InstanceRef, spec: RunCommandSpec): Promise<RunResult>;
}
