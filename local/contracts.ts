/** Contracts between the pieces of the local stack: the ARM stand-in, the fleet and the launcher. */

/** One run command the ARM stand-in asks the fleet to execute on an instance. */
export interface RunCommandRequest {
  /** ARM ID of the VM or scale-set VM the command runs on. */
  resourceId: string;
  /** Fleet instance name, e.g. `vmss-webapp-blue_0`. */
  instanceName: string;
  /** Managed run command name (derived from the release by the app). */
  runName: string;
  /** The script text the app sent (`source.script`). */
  script: string;
  /** The run command's `parameters` (name/value pairs), passed to the script as environment variables. */
  parameters: Record<string, string>;
  timeoutSeconds: number;
}

/** What a run command produced on the instance. */
export interface RunCommandOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
  startedAt: string;
  endedAt: string;
}

/** Executes run commands for the ARM stand-in (the fleet runs the real deploy script; tests use fakes). */
export interface RunCommandExecutor {
  execute(request: RunCommandRequest): Promise<RunCommandOutcome>;
}

/** One instance of the local fleet: a real small HTTP server on its own loopback address. */
export interface FleetInstance {
  /** `<vmssName>_<instanceId>`, as ARM names scale-set VMs. */
  name: string;
  slot: string;
  vmssName: string;
  instanceId: string;
  address: string;
  port: number;
  /** Install root of this instance (the deploy script's `INSTALL_ROOT`). */
  root: string;
}

/** One slot of the local fleet: a scale set and the address that reaches it (its endpoint target). */
export interface FleetSlot {
  name: string;
  vmssName: string;
  /** Loopback address of the slot's load balancer: the Traffic Manager endpoint target. */
  endpointTarget: string;
  port: number;
  instances: FleetInstance[];
}

/** The fleet's shape, which the ARM stand-in is seeded from. */
export interface FleetTopology {
  subscriptionId: string;
  resourceGroup: string;
  profileName: string;
  appInsightsId: string;
  slots: FleetSlot[];
}
