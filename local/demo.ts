/**
 * `npm run demo`: a scripted story on a fresh local stack, with a live timeline. A good build is
 * deployed to staging, verified, approved through its link, swapped, baked and succeeds; then a bad
 * build is released, production errors rise, the local alert source posts an Azure Monitor alert and
 * the app swaps traffic back on its own. Bake and approval are shortened so it ends in under a minute.
 */
import type { ReleaseView } from '../src/core/domain';
import { approvalLinks, approveByLink, getRelease, liveSlot, runOnFreshStack, sendBuild } from './client';
import type { Stack } from './stack';

const t0 = Date.now();
const stamp = (): string => `+${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s`;
const say = (line: string): void => console.log(`${stamp()}  ${line}`);

async function hook(stack: Stack, id: number, number: string): Promise<string> {
  const release = await sendBuild(stack, id, number);
  say(`service hook for build ${number} accepted: release ${release}`);
  return release;
}

/** Timeline steps already printed, by release and step start. */
const printed = new Set<string>();

/** Polls the release, printing each timeline step as it completes, until `until` holds. */
async function follow(stack: Stack, id: string, until: (v: ReleaseView) => boolean): Promise<ReleaseView> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const body = await getRelease(stack, id);
    if (body) {
      for (const step of body.timeline) {
        const key = `${id}:${step.step}@${step.startedAt}`;
        if (step.endedAt && !printed.has(key)) {
          printed.add(key);
          const ms = step.durationMs ?? 0;
          say(
            `  ${step.step.padEnd(15)} ${step.outcome?.padEnd(8) ?? ''} ${(ms / 1000).toFixed(2).padStart(7)}s  ${step.detail ?? ''}`,
          );
        }
      }
      if (until(body)) return body;
    }
    if (Date.now() > deadline)
      throw new Error(`release ${id} did not get there in time: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function approve(stack: Stack, view: ReleaseView): Promise<void> {
  const { approveUrl } = await approvalLinks(stack, view);
  const page = await fetch(approveUrl);
  say(
    `GET on the approval link shows a page (HTTP ${page.status}, ${page.headers.get('content-type')}) and decides nothing`,
  );
  const res = await approveByLink(stack, view, 'demo@fabrikam.com', 'looks good on staging');
  say(`POST on the approval link: HTTP ${res.status}, approved by demo@fabrikam.com`);
}

say('starting the local stack (fleet, ARM stand-in, app) on free ports ...');
runOnFreshStack(
  'demo',
  {
    network: 77,
    targetOverrides: { bakeSeconds: 10, approval: { timeoutSeconds: 120 }, health: { intervalSeconds: 1 } },
  },
  async (stack) => {
    say(`stack up at ${stack.hostUrl}; traffic is on ${liveSlot(stack)}`);

    say('--- 1. a good build');
    const good = await hook(stack, 1001, '2.0.1001');
    let view = await follow(stack, good, (v) => v.phase === 'awaiting-approval');
    say(`deployed to ${view.stagingSlot} and verified; awaiting approval until ${view.approval?.expiresAt}`);
    await approve(stack, view);
    view = await follow(stack, good, (v) => v.phase === 'done');
    say(`release ${good}: ${view.status}; traffic is on ${liveSlot(stack)}`);

    say('--- 2. a bad build (answers 50% of requests with 500, but passes its health check)');
    const bad = await hook(stack, 1002, '2.0.1002-bad');
    view = await follow(stack, bad, (v) => v.phase === 'awaiting-approval');
    await approve(stack, view);
    view = await follow(stack, bad, (v) => v.phase === 'done');
    const rb = view.rollback;
    say(
      `release ${bad}: ${view.status} (${rb?.trigger}: ${rb?.alert?.rule ?? ''}); traffic is on ${liveSlot(stack)}`,
    );
    if (rb?.reactionMs !== undefined) {
      say(
        `alert received -> traffic back on ${view.liveSlot}: ${rb.reactionMs} ms (from the alert's fire time: ${rb.latencyMs} ms)`,
      );
    }
    say(`demo finished in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  },
);
