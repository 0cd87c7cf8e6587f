/**
 * The hook flood's generator, in a process of its own (forked by `alertUnderFlood`): the loopback clients' work
 * never shares an event loop with the host, the ARM stand-in or the timing of the rollback. Takes one `FloodJob`
 * message, reports when the alert is due (`alert`) and, at the end, what the hook answered (`done`).
 */
import { deliverBuild, type HookTarget } from '../local/client';

/** One delivery: build id and number. */
export interface FloodDelivery {
  id: number;
  number: string;
}

/** What the parent sends. */
export interface FloodJob {
  hook: HookTarget;
  /** Release id prefix of the target (`webapp-b`): every answer must name the build's own release. */
  releasePrefix: string;
  /** Base of every statusUrl (`<PUBLIC_BASE_URL>/api/releases/`). */
  statusBase: string;
  deliveries: FloodDelivery[];
  concurrency: number;
  /** Index of the delivery at which the parent is told to fire the alert. */
  alertAfter: number;
}

/** What the worker reports. */
export type FloodReport =
  | { kind: 'alert' }
  | {
      kind: 'done';
      started: number;
      duplicates: number;
      failed: number;
      /** 202s whose id or statusUrl was not the build's own release. */
      wrong: number;
      floodMs: number;
    };

async function flood(job: FloodJob): Promise<FloodReport> {
  const report = { kind: 'done' as const, started: 0, duplicates: 0, failed: 0, wrong: 0, floodMs: 0 };
  let next = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < job.deliveries.length) {
      const index = next++;
      if (index === job.alertAfter) process.send!({ kind: 'alert' } satisfies FloodReport);
      const d = job.deliveries[index]!;
      const answer = await deliverBuild(job.hook, d.id, d.number).catch(() => undefined);
      if (!answer || answer.status !== 202) {
        report.failed++;
        continue;
      }
      const id = `${job.releasePrefix}${d.id}`;
      if (answer.body.id !== id || answer.body.statusUrl !== `${job.statusBase}${id}`) report.wrong++;
      if (answer.body.duplicate) report.duplicates++;
      else report.started++;
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, worker));
  report.floodMs = performance.now() - t0;
  return report;
}

process.once('message', (job: FloodJob) => {
  flood(job).then(
    (report) => process.send!(report, () => process.exit(0)),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exit(1);
    },
  );
});
