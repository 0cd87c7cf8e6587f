import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import path from 'node:path';
import type {
  FleetInstance,
  FleetSlot,
  FleetTopology,
  RunCommandExecutor,
  RunCommandRequest,
} from '../contracts';
import type { AlertSourceOptions, LocalAlertSource } from './alerts';
import { startAlertSource } from './alerts';
import type { ArtifactServer } from './artifact-server';
import { startArtifactServer } from './artifact-server';
import type { FleetRunCommandOutcome, InstanceHostSettings } from './executor';
import { createRunCommandExecutor } from './executor';
import type { DnsResponder, DnsResponderOptions } from './dns';
import { startDnsResponder } from './dns';
import { closeServer, listen, readJson, sendJson } from './http-util';
import type { InstanceState } from './instance';
import { InstanceService } from './instance';
import type { LoadBalancer } from './load-balancer';
import { startLoadBalancer } from './load-balancer';
import { ensureInitialRelease } from './package';
import type { TrafficGenerator, TrafficOptions } from './traffic';
import { startTraffic } from './traffic';

/** Options of the local fleet; every default matches the sample target `webapp`. */
export interface FleetOptions {
  /** Where instances keep their releases (survives restarts), run command files and build marks. */
  dataDir: string;
  /** Slot (Traffic Manager endpoint) names; default `['blue', 'green']`. */
  slots?: string[];
  /** Default 3. */
  instancesPerSlot?: number;
  /** Second octet of every fleet address (`127.<network>.<slot>.<host>`); default 0. */
  network?: number;
  /** Port of every instance (each on its own address); default 8080, 0 picks free ports. */
  instancePort?: number;
  /** Port of every slot load balancer; default 8080, 0 picks free ports. */
  lbPort?: number;
  /** Artifact server on 127.0.0.1; default 7073, 0 picks a free port. */
  artifactPort?: number;
  /** Fleet control server (instance restarts) on 127.0.0.1; default 7074, 0 picks a free port. */
  controlPort?: number;
  /** Version every instance serves before its first deploy; default `1.0.0`. */
  initialVersion?: string;
  /** Default `webapp`: names the scale sets `vmss-<app>-<slot>`. */
  appName?: string;
  subscriptionId?: string;
  resourceGroup?: string;
  profileName?: string;
  appInsightsName?: string;
  /** Starts the traffic generator at once (else call `startTraffic` later). */
  traffic?: FleetTrafficOptions;
  /** Starts the alert source at once (else call `startAlerts` later); needs traffic for automatic alerts. */
  alerts?: FleetAlertOptions;
  /** Starts a DNS responder for the profile's name (the launcher supplies the answer from the profile). */
  dns?: DnsResponderOptions;
}

/** Traffic options; the fleet fills `slotOf` and `slotOfServer`. */
export type FleetTrafficOptions = Omit<TrafficOptions, 'slotOf' | 'slotOfServer'>;

/** Alert options; the fleet fills the subscription, the App Insights target and the error rate. */
export type FleetAlertOptions = Omit<
  AlertSourceOptions,
  'subscriptionId' | 'targetResourceId' | 'errorRate'
> &
  Partial<Pick<AlertSourceOptions, 'targetResourceId'>>;

/** The running local fleet. */
export interface Fleet {
  topology: FleetTopology;
  /** Runs the real deploy script on fleet instances, for the ARM stand-in. */
  executor: RunCommandExecutor & { execute(request: RunCommandRequest): Promise<FleetRunCommandOutcome> };
  /** `http://127.0.0.1:<port>/artifacts`: artifact URL template `<artifactBaseUrl>/{pipeline}/{number}/app.tar.gz`. */
  artifactBaseUrl: string;
  artifacts: ArtifactServer;
  /**
   * `http://127.0.0.1:<port>`: `POST /instances/{name}/restart`, `GET /instances`, `GET /traffic`, `POST /alerts`,
   * and the notification inbox: `POST /notifications` (the app's `NOTIFY_WEBHOOK_URL`, kind json),
   * `GET /notifications` (what arrived, oldest first).
   */
  controlUrl: string;
  /** The notifications the app posted to the inbox, oldest first (the last 500). */
  notifications(): unknown[];
  /** What the deploy script gets for an instance when the app leaves it unset. */
  hostSettings(instanceName: string): InstanceHostSettings | undefined;
  /** What each instance runs now. */
  instances(): InstanceState[];
  /** Restarts an instance's service (what its RESTART_COMMAND asks for). */
  restartInstance(name: string): Promise<InstanceState>;
  traffic?: TrafficGenerator;
  alerts?: LocalAlertSource;
  dns?: DnsResponder;
  startTraffic(options: FleetTrafficOptions): TrafficGenerator;
  startAlerts(options: FleetAlertOptions): LocalAlertSource;
  close(): Promise<void>;
}

/** Default identity of the sample target. */
export const FLEET_DEFAULTS = {
  subscriptionId: '00000000-0000-0000-0000-000000000000',
  resourceGroup: 'rg-webapp',
  profileName: 'tm-webapp',
  appInsightsName: 'appi-webapp',
  appName: 'webapp',
  slots: ['blue', 'green'],
  instancesPerSlot: 3,
  instancePort: 8080,
  lbPort: 8080,
  artifactPort: 7073,
  controlPort: 7074,
  initialVersion: '1.0.0',
} as const;

/** Address of a slot's load balancer (slot index from 0): `127.<network>.<slot+1>.1`. */
export function loadBalancerAddress(network: number, slotIndex: number): string {
  return `127.${network}.${slotIndex + 1}.1`;
}

/** Address of an instance (indexes from 0): `127.<network>.<slot+1>.<10+instance>`. */
export function instanceAddress(network: number, slotIndex: number, instanceIndex: number): string {
  return `127.${network}.${slotIndex + 1}.${10 + instanceIndex}`;
}

/**
 * Starts the local fleet: the artifact server, every instance's service (serving what its `current`
 * link points at, or the initial version on a fresh data folder), a load balancer per slot, the control
 * server the instances' restart commands call, and optionally traffic and alerts.
 */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const o = { ...FLEET_DEFAULTS, ...stripUndefined(options) };
  const network = options.network ?? 0;
  if (!Number.isInteger(network) || network < 0 || network > 255)
    throw new Error(`fleet: network ${network} is not 0..255`);
  if (o.instancesPerSlot < 1 || o.instancesPerSlot > 200)
    throw new Error('fleet: instancesPerSlot must be 1..200');
  const dataDir = path.resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });

  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  };

  try {
    const artifacts = await startArtifactServer({
      port: o.artifactPort,
      dataDir: path.join(dataDir, 'artifacts'),
    });
    closers.push(() => artifacts.close());

    const services = new Map<string, InstanceService>();
    const instanceInfo = new Map<string, FleetInstance>();
    let traffic: TrafficGenerator | undefined;
    let alerts: LocalAlertSource | undefined;

    // The stand-in for the team's chat channel: where the app's notifier posts (approval links included).
    const inbox: unknown[] = [];
    // The control server first: instance restart commands need its port.
    const control: Server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const handle = async () => {
        if (url.pathname === '/notifications' && req.method === 'POST') {
          inbox.push(await readJson(req));
          if (inbox.length > 500) inbox.splice(0, inbox.length - 500);
          return sendJson(res, 200, { received: true });
        }
        if (url.pathname === '/notifications' && req.method === 'GET') return sendJson(res, 200, inbox);
        const restart = /^\/instances\/([^/]+)\/restart$/.exec(url.pathname);
        if (restart && req.method === 'POST') {
          const name = decodeURIComponent(restart[1]);
          const service = services.get(name);
          if (!service) return sendJson(res, 404, { error: `restart: no instance '${name}'` });
          try {
            return sendJson(res, 200, await service.restart());
          } catch (err) {
            return sendJson(res, 500, { error: (err as Error).message });
          }
        }
        if (url.pathname === '/instances' && req.method === 'GET') {
          return sendJson(
            res,
            200,
            [...services.values()].map((s) => s.state()),
          );
        }
        if (url.pathname === '/traffic/cutover' && req.method === 'GET') {
          return sendJson(res, ...cutoverAnswer(url.searchParams, traffic));
        }
        if (url.pathname === '/traffic' && req.method === 'GET') {
          return traffic
            ? sendJson(res, 200, traffic.stats())
            : sendJson(res, 404, { error: 'traffic: not started' });
        }
        if (url.pathname === '/alerts' && req.method === 'POST') {
          if (!alerts) return sendJson(res, 404, { error: 'alerts: not started' });
          const body = (await readJson(req)) as { rule?: string; description?: string; severity?: string };
          return sendJson(res, 200, await alerts.fireAlert(body));
        }
        return sendJson(res, 404, { error: `fleet control: no route ${req.method} ${url.pathname}` });
      };
      handle().catch((err: Error) => sendJson(res, 400, { error: `fleet control: ${err.message}` }));
    });
    const controlPort = await listen(control, '127.0.0.1', o.controlPort);
    closers.push(() => closeServer(control));
    const controlUrl = `http://127.0.0.1:${controlPort}`;

    const slots: FleetSlot[] = o.slots.map((slot, slotIndex) => {
      const vmssName = `vmss-${o.appName}-${slot}`;
      const instances: FleetInstance[] = [];
      for (let k = 0; k < o.instancesPerSlot; k++) {
        const name = `${vmssName}_${k}`;
        const instance: FleetInstance = {
          name,
          slot,
          vmssName,
          instanceId: String(k),
          address: instanceAddress(network, slotIndex, k),
          port: o.instancePort,
          root: path.join(dataDir, 'instances', name),
        };
        instances.push(instance);
        instanceInfo.set(name, instance);
      }
      return {
        name: slot,
        vmssName,
        endpointTarget: loadBalancerAddress(network, slotIndex),
        port: o.lbPort,
        instances,
      };
    });

    const initial = { version: o.initialVersion, errorRate: 0, name: o.appName };
    const allInstances = slots.flatMap((s) => s.instances);
    for (const instance of allInstances) {
      ensureInitialRelease(instance.root, initial);
      const service = new InstanceService({
        name: instance.name,
        address: instance.address,
        port: instance.port,
        root: instance.root,
      });
      services.set(instance.name, service);
      closers.push(() => service.stop());
    }
    const taken: string[] = [];
    await Promise.all(
      allInstances.map(async (instance) => {
        try {
          const state = await services.get(instance.name)!.start();
          instance.port = state.port;
        } catch (err) {
          const message = (err as Error).message;
          // Another stack on the same addresses is a setup error: say so now, not as a confusing deploy failure.
          if (/EADDRINUSE/.test(message)) taken.push(`${instance.address}:${instance.port}`);
          // Otherwise it is like a VM whose service does not come up: the fleet runs, this instance answers nothing.
          else console.error(`fleet: instance ${instance.name} did not start: ${message}`);
        }
      }),
    );
    if (taken.length > 0) {
      throw new Error(
        `fleet: addresses already in use (${taken.join(', ')}): another local stack uses network ${network}; stop it or pick another network (npm start: LOCAL_STACK)`,
      );
    }

    for (const slot of slots) {
      const lb: LoadBalancer = await startLoadBalancer({
        address: slot.endpointTarget,
        port: slot.port,
        backends: () => slot.instances.map((i) => ({ name: i.name, address: i.address, port: i.port })),
      });
      slot.port = lb.port;
      closers.push(() => lb.close());
    }

    const hostSettings = (name: string): InstanceHostSettings | undefined => {
      const instance = instanceInfo.get(name);
      if (!instance) return undefined;
      return {
        INSTALL_ROOT: instance.root,
        HEALTH_URL: `http://${instance.address}:${instance.port}/health`,
        RESTART_COMMAND: `curl -fsS --max-time 60 -X POST ${controlUrl}/instances/${encodeURIComponent(name)}/restart`,
      };
    };
    const executor = createRunCommandExecutor({
      workDir: path.join(dataDir, 'run-commands'),
      instance: hostSettings,
    });

    const topology: FleetTopology = {
      subscriptionId: o.subscriptionId,
      resourceGroup: o.resourceGroup,
      profileName: o.profileName,
      appInsightsId:
        `/subscriptions/${o.subscriptionId}/resourceGroups/${o.resourceGroup}` +
        `/providers/Microsoft.Insights/components/${o.appInsightsName}`,
      slots,
    };
    const slotOf = (target: string) => slots.find((s) => s.endpointTarget === target)?.name;
    // The load balancers name the instance that answered (`x-served-by`): its slot is where the request landed.
    const slotOfServer = (server: string) => instanceInfo.get(server)?.slot;

    const fleet: Fleet = {
      topology,
      executor,
      artifactBaseUrl: artifacts.baseUrl,
      artifacts,
      controlUrl,
      notifications: () => [...inbox],
      hostSettings,
      instances: () => [...services.values()].map((s) => s.state()),
      restartInstance: async (name) => {
        const service = services.get(name);
        if (!service) throw new Error(`restart: no instance '${name}'`);
        return service.restart();
      },
      startTraffic(trafficOptions) {
        if (traffic) throw new Error('traffic: already started');
        const started = startTraffic({ ...trafficOptions, slotOf, slotOfServer });
        traffic = started;
        fleet.traffic = started;
        closers.push(() => started.close());
        return started;
      },
      startAlerts(alertOptions) {
        if (alerts) throw new Error('alerts: already started');
        const started = startAlertSource({
          ...alertOptions,
          subscriptionId: o.subscriptionId,
          targetResourceId: alertOptions.targetResourceId ?? topology.appInsightsId,
          errorRate: () => (traffic ? traffic.window() : { requests: 0, errors: 0, errorRate: 0 }),
        });
        alerts = started;
        fleet.alerts = started;
        closers.push(() => started.close());
        return started;
      },
      close: closeAll,
    };
    if (options.dns) {
      const dns = await startDnsResponder(options.dns);
      fleet.dns = dns;
      closers.push(() => dns.close());
    }
    if (options.traffic) fleet.startTraffic(options.traffic);
    if (options.alerts) fleet.startAlerts(options.alerts);
    return fleet;
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/**
 * `GET /traffic/cutover?target=&slot=&since=&until=` (ISO 8601 times): when the generator's requests reached the
 * slot after the write, as the app's cutover observer asks it. 400 names a missing or bad parameter.
 */
export function cutoverAnswer(
  params: URLSearchParams,
  traffic: TrafficGenerator | undefined,
): [number, unknown] {
  const slot = params.get('slot');
  const target = params.get('target');
  const since = Date.parse(params.get('since') ?? '');
  const untilText = params.get('until');
  const until = untilText === null ? undefined : Date.parse(untilText);
  if (!slot) return [400, { error: 'traffic/cutover: slot is required' }];
  if (!target) return [400, { error: 'traffic/cutover: target is required' }];
  if (Number.isNaN(since)) return [400, { error: 'traffic/cutover: since must be an ISO 8601 time' }];
  if (until !== undefined && Number.isNaN(until)) {
    return [400, { error: 'traffic/cutover: until must be an ISO 8601 time' }];
  }
  if (!traffic) return [200, { state: 'not-measured', reason: 'the local traffic generator is not running' }];
  if (target !== traffic.target) {
    return [
      200,
      {
        state: 'not-measured',
        reason: `the local traffic generator sends traffic to ${traffic.target} only`,
      },
    ];
  }
  const answer = traffic.cutover({ slot, since, ...(until !== undefined ? { until } : {}) });
  return [
    200,
    answer.state === 'reached'
      ? { state: 'reached', reachedAt: new Date(answer.reachedAt).toISOString(), requests: answer.requests }
      : answer,
  ];
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
