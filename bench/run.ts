/**
 * `npm run bench`: the list benchmark, the latency one (`npm run bench -- N`: N releases), then the cutover
 * clients see per traffic provider (bench/cutover.ts);
 * `npm run bench -- --scale [options]`: the scale benchmark alone (bench/scale.ts).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const args = process.argv.slice(2);

function run(file: string, argv: string[]): void {
  const done = spawnSync(process.execPath, [join(__dirname, file), ...argv], { stdio: 'inherit' });
  if (done.status !== 0) process.exit(done.status ?? 1);
}

if (args.includes('--scale')) {
  run('scale.js', args);
} else {
  run('list.js', []);
  run('latency.js', args);
  run('cutover.js', []);
}
