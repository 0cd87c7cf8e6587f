/** CPU time of another process, for benchmarks that run the host as a child. */
import { readFileSync } from 'node:fs';

/** CPU ms (user + system) a process has used so far, from /proc (Linux). */
export function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after "pid (comm) ", in clock ticks (100/s).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}
