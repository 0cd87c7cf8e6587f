/**
 * The whole local stack: the fleet (instances, load balancers, artifact server), the ARM stand-in, and
 * the unchanged app on the local Functions host in a child process (so tests can `kill -9` it). The
 * app reaches "Azure" only through the settings it already has: ARM_ENDPOINT, the managed-identity
 * endpoint, NODE_EXTRA_CA_CERTS and RELEASE_TARGETS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  LOCAL_IDENTITY,
  loadLocalRbacPolicy,
  localOriginGroupId,
  startArm,
  type ArmStandIn,
  type RbacPolicy,
} from './arm';
import { stableGuid } from './arm/state';
import {
  dnsLookup,
  startDnsResponder,
  startFleet,
  trafficManagerAnswer,
  type DnsResponder,
  type Fleet,
} from './fleet';
import { startEdge, type Edge } from './fleet/edge';
import { loadLocalSettings } from './host/settings';
import { packageRoot } from '../src/adapters/scripts';
import { FLEET_DEFAULTS } from './fleet/fleet';
import { ensurePortsFree } from './ports';

/** Options of the stack; every port 0 picks a free one (tests), the defaults are the documented ones. */
export interface StackOptions {
  dataDir: string;
  hostPort?: number;
  armPort?: number;
  artifactPort?: number;
  controlPort?: number;
  /** UDP port of the DNS responder for the Traffic Manager profile's name; default 7075, 0 picks a free one. */
  dnsPort?: number;
  /** Clients of the traffic generator, each with its own DNS cache; default 10. */
  trafficClients?: number;
  /** Sets the profile's DNS TTL (seconds) at start; default: the profile keeps its own (30 s when new). */
  dnsTtlSeconds?: number;
  /** Port of the local Front Door edge; default 7076, 0 picks a free one. */
  edgePort?: number;
  /** Second octet of the fleet's loopback addresses (127.<network>.x.y), so stacks never collide. */
  network?: number;
  instancesPerSlot?: number;
  functionKey?: string;
  /** Deep-merged into the generated `webapp` target (e.g. shorter bake and approval for the demo). */
  targetOverrides?: Record<string, unknown>;
  /** Generate production traffic and post alerts when its error rate crosses the threshold. */
  trafficAndAlerts?: boolean;
  /** Where the host's output goes: inherited (npm start), or kept in memory (tests). */
  hostOutput?: 'inherit' | 'capture';
  /** Start the host again when it dies on its own (npm start), as the Functions runtime would. */
  restartHostOnCrash?: boolean;
  /**
   * Enforce the role assignments of the compiled template (`infra/main.json`) on the app's identity in the ARM
   * stand-in (default true; `LOCAL_RBAC=off` turns it off for `npm start`).
   */
  enforceRbac?: boolean;
  /**
   * What switches the `webapp` target's traffic: the seeded Traffic Manager profile (default) or the seeded Front
   * Door origin group (`LOCAL_TRAFFIC_PROVIDER=frontDoor npm start`); RBAC follows the template's variant.
   */
  trafficProvider?: 'trafficManager' | 'frontDoor';
  /**
   * Front Door write → edge delay of the ARM stand-in, ms (`LOCAL_FRONT_DOOR_PROPAGATION_MS`; default: Azure's
   * documented figure, 20 minutes).
   */
  frontDoorPropagationMs?: number;
}

/** A running stack. */
export interface Stack {
  hostUrl: string;
  functionKey: string;
  serviceHookSecret: string;
  arm: ArmStandIn;
  fleet: Fleet;
  /** The DNS responder: the profile's name resolves to its enabled endpoint, with the profile's TTL. */
  dns: DnsResponder;
  /** The Traffic Manager profile's DNS name, e.g. `tm-webapp.trafficmanager.net`. */
  dnsName: string;
  /** The local Front Door edge: routes to the origins the stand-in's edge serves (after the propagation delay). */
  edge: Edge;
  /** What switches the `webapp` target's traffic (and where the traffic generator's clients go). */
  trafficProvider: 'trafficManager' | 'frontDoor';
  /**
   * The settings the app process gets on top of local.settings(.sample).json. Read at every
   * `startHost()`, so a test may change a setting (e.g. RELEASE_TARGETS) and restart the host.
   */
  appEnv: Record<string, string>;
  /** What the host printed, when captured. */
  hostLog: string[];
  /** Process id of the running host (benchmarks read its CPU time), undefined while it is down. */
  hostPid(): number | undefined;
  /** Kills the host process with a signal (SIGKILL for crash tests) and waits for it to exit. */
  killHost(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the host again on the same port and data folder. */
  startHost(): Promise<void>;
  close(): Promise<void>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(over))
    out[k] = isObject(v) && isObject(out[k]) ? merge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/** The `webapp` release target of the local fleet, as an operator would write it. */
export function localTarget(
  fleet: Fleet,
  overrides: Record<string, unknown> = {},
  trafficProvider: 'trafficManager' | 'frontDoor' = 'trafficManager',
): Record<string, unknown> {
  const t = fleet.topology;
  const rg = `/subscriptions/${t.subscriptionId}/resourceGroups/${t.resourceGroup}`;
  return merge(
    {
      name: 'webapp',
      traffic:
        trafficProvider === 'frontDoor'
          ? { kind: 'frontDoor', originGroupId: localOriginGroupId(t) }
          : {
              kind: 'trafficManager',
              profileId: `${rg}/providers/Microsoft.Network/trafficManagerProfiles/${t.profileName}`,
            },
      slots: t.slots.map((s) => ({
        name: s.name,
        compute: {
          kind: 'vmss',
          resourceId: `${rg}/providers/Microsoft.Compute/virtualMachineScaleSets/${s.vmssName}`,
        },
        healthBaseUrl: `http://${s.endpointTarget}:${s.port}`,
      })),
      artifactUrlTemplate: `${fleet.artifactBaseUrl}/{pipeline}/{number}/app.tar.gz`,
      deploy: { scriptKind: 'linux', maxParallel: 3, maxFailures: 0, timeoutSeconds: 120 },
      health: {
        path: '/health',
        versionHeader: 'x-app-version',
        expectVersion: '{number}',
        attempts: 5,
        intervalSeconds: 1,
        timeoutSeconds: 3,
        // Each instance listens on its own loopback address, on the slot's port.
        instancePort: t.slots[0]?.port ?? 8080,
      },
      approval: { required: true, timeoutSeconds: 3600 },
      bakeSeconds: 300,
      alerts: { resourceIds: [t.appInsightsId], ruleNames: [] },
    },
    overrides,
  );
}

async function waitForHttp(url: string, child: ChildProcess, log: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`local host exited with ${child.exitCode}:\n${log.join('')}`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      if (Date.now() > deadline)
        throw new Error(`local host did not answer on ${url} within 30 s:\n${log.join('')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Starts fleet, ARM stand-in and host; `close()` stops them all. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const root = packageRoot(__dirname);
  const hostMain = join(root, 'dist', 'local', 'host', 'main.js');
  const appMain = join(root, 'dist', 'src', 'index.js');
  if (!existsSync(hostMain) || !existsSync(appMain)) {
    throw new Error(`the app is not built (${appMain} missing): run \`npm run build\` first`);
  }
  mkdirSync(options.dataDir, { recursive: true });
  const settings: NodeJS.ProcessEnv = {};
  loadLocalSettings(root, settings);
  const functionKey = options.functionKey ?? process.env.LOCAL_FUNCTION_KEY ?? 'local-dev-function-key';

  // A fixed port is needed before the app starts: approval links and statusUrl carry it.
  const hostPort = options.hostPort ?? Number(process.env.PORT ?? 7071);
  if (hostPort === 0) throw new Error('startStack: pass a concrete hostPort (tests: pick a free one first)');
  const dnsPort = options.dnsPort ?? 7075;
  const edgePort = options.edgePort ?? 7076;
  await ensurePortsFree(
    {
      app: hostPort,
      'ARM stand-in': options.armPort ?? 7072,
      'artifact server': options.artifactPort ?? FLEET_DEFAULTS.artifactPort,
      'fleet control': options.controlPort ?? FLEET_DEFAULTS.controlPort,
      'Front Door edge': edgePort,
    },
    { 'DNS responder': dnsPort },
  );

  const trafficProvider =
    options.trafficProvider ??
    (process.env.LOCAL_TRAFFIC_PROVIDER === 'frontDoor' ? 'frontDoor' : 'trafficManager');
  const envPropagation = process.env.LOCAL_FRONT_DOOR_PROPAGATION_MS;
  if (envPropagation !== undefined && !/^\d+$/.test(envPropagation)) {
    throw new Error(`LOCAL_FRONT_DOOR_PROPAGATION_MS must be a whole number of ms, not '${envPropagation}'`);
  }
  const frontDoorPropagationMs =
    options.frontDoorPropagationMs ?? (envPropagation !== undefined ? Number(envPropagation) : undefined);
  const fleet = await startFleet({
    dataDir: join(options.dataDir, 'fleet'),
    ...(options.network !== undefined ? { network: options.network } : {}),
    ...(options.instancesPerSlot !== undefined ? { instancesPerSlot: options.instancesPerSlot } : {}),
    ...(options.artifactPort !== undefined ? { artifactPort: options.artifactPort } : {}),
    ...(options.controlPort !== undefined ? { controlPort: options.controlPort } : {}),
  });
  let arm: ArmStandIn;
  try {
    const rbac: RbacPolicy | undefined =
      options.enforceRbac === false
        ? undefined
        : loadLocalRbacPolicy(
            root,
            fleet.topology,
            {
              app: LOCAL_IDENTITY.principalId,
              vm: stableGuid('local-vm-identity/principal'),
            },
            trafficProvider,
          );
    arm = await startArm({
      ...(rbac ? { rbac } : {}),
      port: options.armPort ?? 7072,
      dataDir: join(options.dataDir, 'arm'),
      topology: fleet.topology,
      executor: fleet.executor,
      ...(frontDoorPropagationMs !== undefined ? { frontDoorPropagationMs } : {}),
    });
  } catch (err) {
    await fleet.close();
    throw err;
  }
  let dns: DnsResponder | undefined;
  let dnsName: string;
  let edge: Edge;
  try {
    if (options.dnsTtlSeconds !== undefined) arm.control.setDnsTtl(options.dnsTtlSeconds);
    const dnsConfig = arm.control.profile().properties.dnsConfig as { fqdn?: string } | undefined;
    dnsName = (dnsConfig?.fqdn ?? `${fleet.topology.profileName}.trafficmanager.net`).toLowerCase();
    // Answers from the stand-in's profile as it is at each query: a swap shows in the next answer.
    dns = await startDnsResponder({
      port: dnsPort,
      answer: (name) => trafficManagerAnswer(arm.control.profile(), name),
    });
    // The stand-in's edge view already lags each write by the propagation delay: the local edge adds none.
    edge = await startEdge({
      port: edgePort,
      propagationDelayMs: 0,
      origins: () =>
        arm.control.frontDoorEdge().origins.map((o) => ({
          name: o.name,
          target: o.hostName,
          port: o.httpPort,
          enabled: o.enabledState === 'Enabled',
        })),
    });
  } catch (err) {
    await dns?.close();
    await arm.close();
    await fleet.close();
    throw err;
  }

  const hostUrl = `http://127.0.0.1:${hostPort}`;
  const appEnv: Record<string, string> = {
    ...arm.appEnv(),
    RELEASE_TARGETS: JSON.stringify([localTarget(fleet, options.targetOverrides, trafficProvider)]),
    PUBLIC_BASE_URL: hostUrl,
    LOCAL_FUNCTION_KEY: functionKey,
    // Approval links reach people only through the notifier: locally, the fleet's inbox (GET /notifications).
    ...(process.env.NOTIFY_WEBHOOK_URL
      ? {}
      : { NOTIFY_WEBHOOK_URL: `${fleet.controlUrl}/notifications`, NOTIFY_KIND: 'json' }),
    // Swaps and rollbacks record when the traffic generator's clients followed (cutoverObservedMs).
    ...(options.trafficAndAlerts && !process.env.CUTOVER_OBSERVER_URL
      ? { CUTOVER_OBSERVER_URL: `${fleet.controlUrl}/traffic/cutover` }
      : {}),
  };
  const hostLog: string[] = [];
  let child: ChildProcess | undefined;
  let stopping = false;

  const startHost = async (): Promise<void> => {
    const capture = options.hostOutput === 'capture';
    const started = spawn(
      process.execPath,
      [
        // e.g. HOST_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the host (NODE_OPTIONS refuses it).
        ...(process.env.HOST_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? []),
        hostMain,
        '--dir',
        root,
        '--port',
        String(hostPort),
        '--data-dir',
        join(options.dataDir, 'durable'),
        '--key',
        functionKey,
      ],
      {
        cwd: root,
        env: { ...process.env, ...appEnv },
        // The IPC channel lets the host notice when this process dies, even by kill -9.
        stdio: capture ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    child = started;
    if (capture) {
      started.stdout?.on('data', (d: Buffer) => hostLog.push(d.toString()));
      started.stderr?.on('data', (d: Buffer) => hostLog.push(d.toString()));
    }
    started.once('exit', (code, signal) => {
      if (stopping || child !== started || !options.restartHostOnCrash) return;
      console.error(
        `local host exited (${signal ?? code}); starting it again: every release resumes where it was`,
      );
      setTimeout(() => {
        if (!stopping && child === started) startHost().catch((err: unknown) => console.error(String(err)));
      }, 1000);
    });
    await waitForHttp(`${hostUrl}/api/releases?code=${functionKey}`, started, hostLog);
  };
  const killHost = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    child = undefined; // a deliberate stop: not restarted on exit
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill(signal);
    await exited;
  };

  try {
    await startHost();
  } catch (err) {
    await killHost('SIGKILL');
    await edge.close();
    await dns.close();
    await arm.close();
    await fleet.close();
    throw err;
  }

  if (options.trafficAndAlerts) {
    const slots = fleet.topology.slots;
    // Users reach the app through the profile's name, each keeping the answer for its TTL (Traffic Manager), or
    // through the Front Door edge, whose address never changes (the edge's x-served-by says which slot served).
    fleet.startTraffic({
      clients: options.trafficClients ?? 10,
      target: 'webapp',
      resolveProduction:
        trafficProvider === 'frontDoor'
          ? async () => ({ target: edge.host, port: edge.port })
          : dnsLookup({
              server: `${dns.host}:${dns.port}`,
              name: dnsName,
              port: (address) => slots.find((s) => s.endpointTarget === address)?.port,
            }),
    });
    fleet.startAlerts({
      webhookUrl: `${hostUrl}/api/hooks/alerts?code=${encodeURIComponent(functionKey)}`,
      onAlert: ({ payload }) => {
        const e = payload.data.essentials;
        const guid = e.alertId.split('/').pop()!;
        if (e.monitorCondition === 'Fired') {
          arm.control.addAlert({
            targetResource: fleet.topology.appInsightsId,
            rule: e.alertRule,
            alertGuid: guid,
            severity: 'Sev1',
          });
        } else {
          try {
            arm.control.resolveAlert(guid);
          } catch {
            // Already resolved or never registered: nothing to do.
          }
        }
      },
    });
  }

  return {
    hostUrl,
    functionKey,
    serviceHookSecret: String(process.env.SERVICE_HOOK_SECRET ?? settings.SERVICE_HOOK_SECRET ?? ''),
    arm,
    fleet,
    dns,
    dnsName,
    edge,
    trafficProvider,
    appEnv,
    hostLog,
    hostPid: () => child?.pid,
    killHost,
    startHost,
    async close() {
      stopping = true;
      await killHost('SIGTERM');
      await edge.close();
      await dns.close();
      await arm.close();
      await fleet.close();
    },
  };
}
