/**
 * Deadlines in CPU time for media child processes. They run at the lowest priority
 * (`nice 19`), so on a busy machine they wait for the CPU: a wall-clock deadline would
 * kill a decode for waiting, while the CPU it used says how hard the image really is.
 */
import fs from 'node:fs';

/** On the clock, a media job gets this many times its CPU deadline: enough to wait its turn at nice 19, not forever. */
const WALL_FACTOR = 5;

/** User + system CPU of a process in ms from /proc, or undefined where there is no /proc or no such process. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/**
 * Calls `expire` once `pid` has used `cpuMs` of CPU, or `wallMs` has passed whatever it
 * used (a job that waits or blocks still ends). Where /proc cannot be read, the CPU check
 * never fires and the wall clock decides.
 */
export function cpuDeadline(pid: number | undefined, cpuMs: number, wallMs: number, expire: () => void): () => void {
  const start = pid === undefined ? undefined : processCpuMs(pid);
  const wall = setTimeout(expire, wallMs);
  const poll =
    start === undefined
      ? undefined
      : setInterval(() => {
          const now = processCpuMs(pid!);
          if (now !== undefined && now - start >= cpuMs) expire();
        }, Math.min(250, Math.max(10, cpuMs / 4)));
  return () => {
    clearTimeout(wall);
    clearInterval(poll);
  };
}

/** cpuDeadline for a media job: `cpuMs` of CPU, or WALL_FACTOR times that on the clock. */
export function mediaJobDeadline(pid: number | undefined, cpuMs: number, expire: () => void): () => void {
  return cpuDeadline(pid, cpuMs, WALL_FACTOR * cpuMs, expire);
}
