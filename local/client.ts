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
  body: { id?: string; duplicate?: boolean; behind?: string };
}

/** Delivers a `build.complete` service hook for build `id` / `number`, as Azure DevOps does. */
export async function deliverBuild(stack: Stack, id: number, number: string): Promise<HookAnswer> {
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
export function liveSlot(stack: Stack): string {
  return stack.arm.control
    .profile()
    .properties.endpoints.filter((e) => e.properties.endpointStatus === 'Enabled')
    .map((e) => e.name)
    .join(',');
}

/** POSTs an approve link with a JSON body, as a script would. */
export async function approveByLink(
  view: ReleaseView,
  approver: string,
  comment?: string,
): Promise<Response> {
  const link = view.approval?.approveUrl;
  if (!link) throw new Error(`release ${view.id} has no approve link (phase ${view.phase})`);
  return fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ approver, ...(comment ? { comment } : {}) }),
  });
}

/**
 * Runs `story` on a fresh stack (temporary data folder, free ports, traffic and alerts on), then stops
 * it and removes the folder; on failure prints what the host logged. For scripts run from the shell.
 */
export function runOnFreshStack(
  name: string,
  options: Pick<StackOptions, 'network' | 'targetOverrides' | 'instancesPerSlot'>,
  story: (stack: Stack) => Promise<void>,
): void {
  runOnStack(name, options, story).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}

/** Starts a stack in a fresh data folder, runs `story` on it, then stops it and removes the folder. */
export async function runOnStack(
  name: string,
  options: Pick<StackOptions, 'network' | 'targetOverrides' | 'instancesPerSlot'>,
  story: (stack: Stack) => Promise<void>,
): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), `bluegreen-${name}-`));
  try {
    const stack = await startStack({
      ...options,
      dataDir,
      hostPort: await freePort(),
      armPort: 0,
      artifactPort: 0,
      controlPort: 0,
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
