/** Test harness for the ARM stand-in: a small topology, a fake executor, and a started stand-in in a temp dir. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import type {
  FleetTopology,
  RunCommandExecutor,
  RunCommandOutcome,
  RunCommandRequest,
} from '../../../local/contracts';
import type { ArmStandIn, RbacPolicy } from '../../../local/arm';
import { startArm } from '../../../local/arm';
import type { AzureClientOptions } from '../../../src/adapters/azure/clients';
import { createAzureClients } from '../../../src/adapters/azure/clients';

export const SUB = '00000000-0000-0000-0000-000000000000';
export const RG = 'rg-webapp';
export const RG_ID = `/subscriptions/${SUB}/resourceGroups/${RG}`;
export const PROFILE_ID = `${RG_ID}/providers/Microsoft.Network/trafficManagerProfiles/tm-webapp`;
/** The Front Door origin group the stand-in seeds for the test topology (origins blue and green). */
export const ORIGIN_GROUP_ID = `${RG_ID}/providers/Microsoft.Cdn/profiles/afd-tm-webapp/originGroups/slots`;
export const APPI_ID = `${RG_ID}/providers/Microsoft.Insights/components/appi-webapp`;
export const vmssId = (slot: string): string =>
  `${RG_ID}/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-webapp-${slot}`;

/** Builds a topology: slots blue and green by default, `instances` each, on made-up loopback addresses. */
export function buildTopology(options: { slots?: string[]; instances?: number } = {}): FleetTopology {
  const slots = options.slots ?? ['blue', 'green'];
  const count = options.instances ?? 2;
  return {
    subscriptionId: SUB,
    resourceGroup: RG,
    profileName: 'tm-webapp',
    appInsightsId: APPI_ID,
    slots: slots.map((name, s) => ({
      name,
      vmssName: `vmss-webapp-${name}`,
      endpointTarget: `127.0.${10 + s}.1`,
      port: 8080,
      instances: Array.from({ length: count }, (_, i) => ({
        name: `vmss-webapp-${name}_${i}`,
        slot: name,
        vmssName: `vmss-webapp-${name}`,
        instanceId: String(i),
        address: `127.0.${10 + s}.${10 + i}`,
        port: 8080,
        root: `/tmp/fleet/${name}/${i}`,
      })),
    })),
  };
}

/** A fake executor: records every call, answers per instance, and can hold executions until released. */
export class FakeExecutor implements RunCommandExecutor {
  readonly calls: RunCommandRequest[] = [];
  private outcomes = new Map<string, Partial<RunCommandOutcome>>();
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  /** Sets what an instance's executions return (default exit 0 with a short stdout). */
  answer(instanceName: string, outcome: Partial<RunCommandOutcome>): void {
    this.outcomes.set(instanceName, outcome);
  }

  /** Holds every execution until `release()`; lets tests observe the Running state. */
  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  async execute(request: RunCommandRequest): Promise<RunCommandOutcome> {
    this.calls.push(request);
    const startedAt = new Date().toISOString();
    if (this.gate) await this.gate;
    const o = this.outcomes.get(request.instanceName) ?? {};
    return {
      exitCode: o.exitCode ?? 0,
      stdout: o.stdout ?? `deployed on ${request.instanceName}`,
      stderr: o.stderr ?? '',
      startedAt,
      endedAt: new Date().toISOString(),
    };
  }
}

/** A credential that hands out a fixed token (the stand-in checks there is one, not what it says). */
export const fakeCredential: TokenCredential = {
  getToken: async () => ({ token: 'test-token', expiresOnTimestamp: Date.now() + 3.6e6 }),
};

/** A started stand-in with its temp data dir and fake executor. */
export interface Harness {
  arm: ArmStandIn;
  executor: FakeExecutor;
  dataDir: string;
  topology: FleetTopology;
  stop(options?: { keepData?: boolean }): Promise<void>;
}

/** Starts a stand-in on a free port in a fresh temp dir (or a given one, to test restarts). */
export async function startHarness(
  options: {
    dataDir?: string;
    topology?: FleetTopology;
    executor?: FakeExecutor;
    alertReadScopes?: string[];
    rbac?: RbacPolicy;
    frontDoorPropagationMs?: number;
  } = {},
): Promise<Harness> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'arm-stand-in-'));
  const executor = options.executor ?? new FakeExecutor();
  const topology = options.topology ?? buildTopology();
  const arm = await startArm({
    port: 0,
    dataDir,
    topology,
    executor,
    ...(options.alertReadScopes ? { alertReadScopes: options.alertReadScopes } : {}),
    ...(options.rbac ? { rbac: options.rbac } : {}),
    ...(options.frontDoorPropagationMs !== undefined
      ? { frontDoorPropagationMs: options.frontDoorPropagationMs }
      : {}),
  });
  return {
    arm,
    executor,
    dataDir,
    topology,
    stop: async ({ keepData } = {}) => {
      await arm.close();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Clients for tests. Jest cannot set NODE_EXTRA_CA_CERTS for its own process (Node reads it at start-up only),
 * so the stand-in's certificate goes in through the pipeline's `tlsOptions.ca`, the app's own client option.
 */
export function testClients(arm: ArmStandIn, options: AzureClientOptions = {}) {
  return createAzureClients({
    armEndpoint: arm.url,
    credential: fakeCredential,
    clientOptions: {
      tlsOptions: { ca: arm.caPem },
      retryOptions: { maxRetries: 3, retryDelayInMs: 20, maxRetryDelayInMs: 100 },
      lroPollIntervalMs: 20,
      ...options,
    },
  });
}

/** JSON as read from the wire; the tests assert its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type WireJson = any;

/** Raw HTTPS JSON request to the stand-in (for control and for REST shapes the SDK hides). */
export async function rawRequest(
  arm: ArmStandIn,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { Authorization: 'Bearer raw' },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: WireJson }> {
  const https = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${arm.url}${path}`,
      { method, ca: arm.caPem, headers: { 'Content-Type': 'application/json', ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text ? JSON.parse(text) : undefined,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** A bearer token of the app's managed identity, from the stand-in's identity endpoint. */
export async function managedIdentityToken(arm: ArmStandIn): Promise<string> {
  const res = await rawRequest(
    arm,
    'GET',
    `/msi/token?api-version=2019-08-01&resource=${encodeURIComponent(arm.url)}`,
    undefined,
    {
      'X-IDENTITY-HEADER': arm.identity.header,
    },
  );
  if (res.status !== 200) throw new Error(`token: ${res.status} ${JSON.stringify(res.body)}`);
  return String(res.body.access_token);
}
