/**
 * Background media work yields to requests. Image decoders and renderers already run at
 * the lowest priority (`nice 19`), but priority only orders work on a busy CPU: on a small
 * machine they still take the other core, and measured here any process busy on the other
 * core cost the API a fifth of its sessions per second, at `nice 19` or SCHED_IDLE alike
 * (docs/BENCHMARKS.md, "Hostile load"). So while the foreground is busy, the governor lets
 * the media processes it tracks run only `dutyMs` of every `periodMs` between them, one
 * process per period in turn (SIGCONT, then SIGSTOP; 50 ms of every 500 by default): a
 * decode takes longer, requests do not wait. When the foreground is quiet they all run
 * freely.
 *
 * "Busy" is the CPU the foreground processes used in the last period: the API process (all
 * its threads) plus any others `foreground()` names (the byte receiver), against
 * `busyCpu` of one core. A slow-loris crowd costs no CPU and throttles nothing.
 *
 * Deadlines of governed jobs count the CPU time the job used (cpuDeadline), not the wall
 * clock, so a job held back is not killed for it.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';

export interface GovernorOptions {
  periodMs: number;
  /** How long of each period media processes may run while the foreground is busy. */
  dutyMs: number;
  /** Foreground CPU, as a fraction of one core, above which media work is held back. */
  busyCpu: number;
  /** Other foreground process ids (the byte receiver), read each period. */
  foreground?: () => Array<number | undefined>;
}

/**
 * Half a second: media processes held back run in bursts of `dutyMs` every period. Periods
 * of 100 ms cost the API more (20 signals a second per process, and as many context
 * switches): 0.70–0.77 of calm sessions/s under the hostile bench, against 0.79–0.80.
 */
export const PERIOD_MS = 500;
const DEFAULTS: GovernorOptions = { periodMs: PERIOD_MS, dutyMs: PERIOD_MS / 10, busyCpu: 0.5 };

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

export class MediaGovernor {
  private readonly opts: GovernorOptions;
  private readonly pids = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private stopTimer: NodeJS.Timeout | undefined;
  private lastSelf = process.cpuUsage();
  private lastOthers = new Map<number, number>();
  private lastAt = performance.now();
  private held = false;
  private readonly onExit = () => this.release();
  /** Periods in which media work was held back (for tests and metrics). */
  throttledPeriods = 0;

  constructor(opts: Partial<GovernorOptions> = {}) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.opts.periodMs);
    this.timer.unref();
    // Whatever happens to this process, never leave a child stopped behind it.
    process.on('exit', this.onExit);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    process.off('exit', this.onExit);
    this.release();
  }

  /** Governs a child process until it exits (or `untrack`). */
  track(child: ChildProcess): void {
    const pid = child.pid;
    if (pid === undefined) return;
    this.pids.add(pid);
    // Gone: forget it without a signal (its pid may soon be another process's).
    child.once('exit', () => this.pids.delete(pid));
    // A child that starts while the others are held waits for the next period like them.
    if (this.held) signal(pid, 'SIGSTOP');
  }

  untrack(pid: number | undefined): void {
    if (pid === undefined || !this.pids.delete(pid)) return;
    // It may be stopped; a SIGKILL works on a stopped process, but anything else needs it running.
    signal(pid, 'SIGCONT');
  }

  /** Foreground CPU used since the last call, as a fraction of one core. */
  private foregroundCpu(): number {
    const now = performance.now();
    const elapsed = Math.max(1, now - this.lastAt);
    this.lastAt = now;
    const self = process.cpuUsage();
    let ms = (self.user - this.lastSelf.user + self.system - this.lastSelf.system) / 1000;
    this.lastSelf = self;
    const seen = new Map<number, number>();
    for (const pid of this.opts.foreground?.() ?? []) {
      if (pid === undefined) continue;
      const cpu = processCpuMs(pid);
      if (cpu === undefined) continue;
      seen.set(pid, cpu);
      const before = this.lastOthers.get(pid);
      if (before !== undefined) ms += Math.max(0, cpu - before);
    }
    this.lastOthers = seen;
    return ms / elapsed;
  }

  private tick(): void {
    const busy = this.foregroundCpu() >= this.opts.busyCpu;
    clearTimeout(this.stopTimer);
    if (!busy || this.pids.size === 0) {
      this.release();
      return;
    }
    this.throttledPeriods++;
    // One process per period, in turn: media work as a whole gets `dutyMs`, however many
    // processes there are (a decode and a rendition at once would otherwise take twice that).
    const pids = [...this.pids];
    const turn = pids[this.throttledPeriods % pids.length]!;
    for (const pid of pids) if (pid !== turn) signal(pid, 'SIGSTOP');
    this.held = true;
    signal(turn, 'SIGCONT');
    this.stopTimer = setTimeout(() => signal(turn, 'SIGSTOP'), this.opts.dutyMs);
    this.stopTimer.unref();
  }

  private release(): void {
    clearTimeout(this.stopTimer);
    if (!this.held) return;
    this.held = false;
    for (const pid of this.pids) signal(pid, 'SIGCONT');
  }
}

function signal(pid: number, sig: 'SIGSTOP' | 'SIGCONT'): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * Calls `expire` once `pid` has used `cpuMs` of CPU, or `wallMs` has passed whatever it
 * used (a job held back by the governor, or one blocked, still ends). Where /proc cannot
 * be read, the CPU check never fires and the wall clock decides.
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

/** On the clock, a job a governor may hold back gets this many times its CPU deadline. */
const HELD_BACK_WALL_FACTOR = 5;

/** cpuDeadline for a media job: its wall-clock backstop allows for `governor` holding it back, if there is one. */
export function mediaJobDeadline(pid: number | undefined, cpuMs: number, governor: MediaGovernor | undefined, expire: () => void): () => void {
  return cpuDeadline(pid, cpuMs, governor ? HELD_BACK_WALL_FACTOR * cpuMs : cpuMs, expire);
}
