/** Small HTTP helpers over a running local stack, shared by the demo and the benchmark. */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReleaseView } from '../src/core/domain';
import { buildCompleted } from './samples';
import { startStack, type Stack, type StackOptions } from './stack';

/** A free TCP port on 127.0.0.1 (the stack's host port must be known before the app starts). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** What the service hook answered. */
export interface HookAnswer {
  status: number;
  body: { id?: string; statusUrl?: string; duplicate?: boolean; behind?: string };
}

/** Where a service hook goes: the host and its secrets (a stack, or what a flood generator process is given). */
export type HookTarget = Pick<Stack, 'hostUrl' | 'functionKey' | 'serviceHookSecret'>;

/** Delivers a `build.complete` service hook for build `id` / `number`, as Azure DevOps does. */
export async function deliverBuild(stack: HookTarget, id: number, number: string): Promise<HookAnswer> {
  const auth = Buffer.from(`devops:${stack.serviceHookSecret}`).toString('base64');
  const res = await fetch(
    `${stack.hostUrl}/api/hooks/devops/webapp?code=${encodeURIComponent(stack.functionKey)}`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${auth}` },
      body: JSON.stringify(buildCompleted({ id, number })),
    },
  );
  return { status: res.status, body: (await res.json()) as HookAnswer['body'] };
}

/** Delivers a `build.complete` service hook for build `id` / `number`; returns the release id. */
export async function sendBuild(stack: Stack, id: number, number: string): Promise<string> {
  const { status, body } = await deliverBuild(stack, id, number);
  if (status !== 202 || !body.id) throw new Error(`service hook answered ${status}: ${JSON.stringify(body)}`);
  return body.id;
}

/** The release's status document, or undefined while it does not exist. */
export async function getRelease(stack: Stack, id: string): Promise<ReleaseView | undefined> {
  const res = await fetch(
    `${stack.hostUrl}/api/releases/${encodeURIComponent(id)}?code=${encodeURIComponent(stack.functionKey)}`,
  );
  return res.status === 200 ? ((await res.json()) as ReleaseView) : undefined;
}

/** The enabled endpoint(s) of the stand-in's profile, as a comma list: what serves traffic. */
export function liveSlot(stack: Pick<Stack, 'arm'>): string {
  return stack.arm.control
    .profile()
    .properties.endpoints.filter((e) => e.properties.endpointStatus === 'Enabled')
    .map((e) => e.name)
    .join(',');
}

/** The approval round an approval link belongs to (its token's payload; the signature is the app's business). */
export function linkRound(link: string): string | undefined {
  try {
    const token = new URL(link).searchParams.get('token') ?? '';
    const payload = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as {
      n?: unknown;
    };
    return typeof payload.n === 'string' ? payload.n : undefined;
  } catch {
    return undefined;
  }
}

/** The approve/reject links of a notification in the fleet's inbox. */
interface NotifiedLinks {
  approveUrl: string;
  rejectUrl: string;
}

/**
 * The links the app's notifier sent for the release's current approval round, from the fleet's notification inbox
 * (the status API never shows them). Waits for the notification, which follows the status by one activity.
 */
export async function approvalLinks(
  stack: Pick<Stack, 'fleet'>,
  view: ReleaseView,
  waitMs = 15_000,
): Promise<NotifiedLinks> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const found = (
      stack.fleet.notifications() as { kind?: string; release?: Partial<NotifiedLinks> & { id?: string } }[]
    )
      .filter(
        (n) =>
          n.kind === 'awaiting-approval' &&
          n.release?.id === view.id &&
          n.release.approveUrl &&
          n.release.rejectUrl,
      )
      .map((n) => n.release as NotifiedLinks)
      .reverse()
      .find((l) => view.approval?.round === undefined || linkRound(l.approveUrl) === view.approval.round);
    if (found) return found;
    if (Date.now() > deadline) {
      throw new Error(
        `no awaiting-approval notification for ${view.id} round ${view.approval?.round} arrived`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** POSTs the approve link the notifier sent, with a JSON body, as a script would. */
export async function approveByLink(
  stack: Pick<Stack, 'fleet'>,
  view: ReleaseView,
  approver: string,
  comment?: string,
): Promise<Response> {
  const { approveUrl } = await approvalLinks(stack, view);
  return fetch(approveUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ approver, ...(comment ? { comment } : {}) }),
  });
}

/** What a scripted story may choose of its stack; the rest (fresh folder, free ports, traffic and alerts on) is fixed. */
export type StoryStackOptions = Pick<
  StackOptions,
  | 'network'
  | 'targetOverrides'
  | 'instancesPerSlot'
  | 'dnsTtlSeconds'
  | 'trafficProvider'
  | 'frontDoorPropagationMs'
  | 'enforceRbac'
>;

/**
 * Runs `story` on a fresh stack (temporary data folder, free ports, traffic and alerts on), then stops
 * it and removes the folder; on failure prints what the host logged. For scripts run from the shell.
 */
export function runOnFreshStack(
  name: string,
  options: StoryStackOptions,
  story: (stack: Stack) => Promise<void>,
): void {
  runOnStack(name, options, story).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}

/**
 * Starts a stack in a fresh data folder, runs `story` on it, then stops it and removes the folder. The profile's
 * DNS TTL is 5 s unless given: scripted stories do not wait half a minute for the clients to follow each move.
 */
export async function runOnStack(
  name: string,
  options: StoryStackOptions,
  story: (stack: Stack) => Promise<void>,
): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), `bluegreen-${name}-`));
  try {
    const stack = await startStack({
      dnsTtlSeconds: 5,
      ...options,
      dataDir,
      hostPort: await freePort(),
      armPort: 0,
      artifactPort: 0,
      controlPort: 0,
      dnsPort: 0,
      edgePort: 0,
      trafficAndAlerts: true,
      hostOutput: 'capture',
    });
    try {
      await story(stack);
    } catch (err) {
      console.error(stack.hostLog.join(''));
      throw err;
    } finally {
      await stack.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
