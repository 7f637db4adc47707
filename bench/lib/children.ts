/**
 * Servers under test run as child processes so their memory and CPU can be read from
 * /proc on their own, and so the load generator never shares an event loop with them.
 * Everything started here is registered with a Cleanup and torn down even on failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** Undo actions, run last-in first-out; each runs once even if cleanup is called twice. */
export class Cleanup {
  private readonly actions: Array<() => Promise<void>> = [];

  add(action: () => Promise<void>): void {
    this.actions.push(action);
  }

  async run(): Promise<void> {
    while (this.actions.length) {
      const action = this.actions.pop()!;
      await action().catch((err: unknown) => process.stderr.write(`cleanup: ${String(err)}\n`));
    }
  }

  async tempDir(prefix: string): Promise<string> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
    this.add(() => fs.rm(dir, { recursive: true, force: true }));
    return dir;
  }
}

export interface Server {
  name: string;
  pid: number;
  url: string;
  /** Stops it now (SIGTERM, then SIGKILL after 5 s); cleanup would otherwise do it at the end. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;

/**
 * Spawns `node script args…` and resolves once it prints an http://host:port URL, which
 * every server here does when it is listening. Output is kept for the error message.
 */
export async function startServer(
  cleanup: Cleanup,
  name: string,
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  nodeFlags: string[] = [],
): Promise<Server> {
  const child = spawn(process.execPath, [...nodeFlags, script, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  cleanup.add(() => stop(child));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in time:\n${output}`)), READY_TIMEOUT_MS);
    let ready = false;
    // After start-up, anything a server prints is a warning (Intake logs at warn level):
    // keep it visible, it may explain a bad number.
    const echo = (chunk: Buffer) => process.stderr.write(`[${name}] ${chunk.toString()}`);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (ready) return echo(chunk);
      output += chunk.toString();
      const match = /(http:\/\/[\d.]+:\d+)/.exec(output);
      if (!match?.[1]) return;
      ready = true;
      clearTimeout(timer);
      resolve({ name, pid: child.pid!, url: match[1], stop: () => stop(child) });
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      echo(chunk);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited early (code ${code}, signal ${signal}):\n${output}`));
    });
  });
}

/** SIGTERM, then SIGKILL if the child has not exited within 5 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * A size field of /proc/<pid>/status, in bytes. Reads of /proc here are synchronous: they
 * are served from kernel memory in microseconds, and the hostile benchmark samples them
 * every 100 ms from its load generator, where the promise API's overhead showed.
 */
function procStatus(pid: number, field: string): number {
  const text = fsSync.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  if (!match?.[1]) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** Peak resident set size (VmHWM) in bytes since start or since the last resetPeakRss. */
export async function peakRss(pid: number): Promise<number> {
  return procStatus(pid, 'VmHWM');
}

/**
 * Writing 5 to clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0), so a peak can be
 * attributed to one phase instead of to start-up or an earlier benchmark. Returns the
 * current RSS, the floor that phase starts from.
 */
export async function resetPeakRss(pid: number): Promise<number> {
  await fs.writeFile(`/proc/${pid}/clear_refs`, '5');
  return procStatus(pid, 'VmRSS');
}

const TICKS_PER_SECOND = 100; // USER_HZ; 100 on every mainstream Linux build.

/** Fields of /proc/<pid>/stat after the parenthesised command name (field 3 onwards), or null once it has exited. */
function statFields(pid: number): string[] | null {
  let stat: string;
  try {
    stat = fsSync.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * The process's direct children: the pids each of its threads forked, from
 * /proc/<pid>/task/<tid>/children (Linux ≥ 3.5 with CONFIG_PROC_CHILDREN, as on every
 * mainstream kernel), or null where that file does not exist.
 */
function childrenOf(pid: number): number[] | null {
  let tids: string[];
  try {
    tids = fsSync.readdirSync(`/proc/${pid}/task`);
  } catch {
    return []; // exited
  }
  const out: number[] = [];
  for (const tid of tids) {
    let text: string;
    try {
      text = fsSync.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && tid === String(pid) && fsSync.existsSync(`/proc/${pid}/task/${tid}`)) return null;
      continue; // that thread or the process ended
    }
    for (const child of text.split(' ')) if (child.trim()) out.push(Number(child));
  }
  return out;
}

/**
 * The process's children, grandchildren …: Intake's image decoders, ffprobe, ffmpeg.
 * Walks the tree down from `pid`, reading a few small /proc files: the hostile benchmark
 * samples this every 100 ms while it measures, and stat-ing every process on the machine
 * through the promise API instead cost its load generator 16% of a core.
 * Falls back to that scan where the kernel has no children files.
 */
export async function descendants(pid: number): Promise<number[]> {
  const direct = childrenOf(pid);
  if (direct === null) return descendantsByScan(pid);
  const out: number[] = [];
  const walk = (children: number[]) => {
    for (const child of children) {
      out.push(child);
      walk(childrenOf(child) ?? []);
    }
  };
  walk(direct);
  return out;
}

async function descendantsByScan(pid: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const name of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const fields = statFields(Number(name));
    if (fields) parents.set(Number(name), Number(fields[1]));
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of parents) if (parent === p) {
      out.push(child);
      walk(child);
    }
  };
  walk(pid);
  return out;
}

/** User + system CPU seconds the process and its live descendants have used so far. */
export async function cpuSeconds(pid: number): Promise<number> {
  let total = 0;
  for (const p of [pid, ...(await descendants(pid))]) {
    // utime and stime are fields 14 and 15.
    const fields = statFields(p);
    if (fields) total += (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  }
  return total;
}

/** Summed peak RSS (VmHWM) of the live descendants, each since start or the last resetPeakRssTree. */
export async function descendantsPeakRss(pid: number): Promise<number> {
  let total = 0;
  for (const p of await descendants(pid)) total += (await peakRss(p).catch(() => 0));
  return total;
}

/** Current RSS of the process and all its live descendants. */
export async function treeRss(pid: number): Promise<number> {
  return procStatus(pid, 'VmRSS') + (await descendantsRss(pid));
}

/** Summed current RSS of the live descendants. */
export async function descendantsRss(pid: number): Promise<number> {
  let total = 0;
  for (const p of await descendants(pid)) {
    try {
      total += procStatus(p, 'VmRSS');
    } catch {
      // exited since it was listed
    }
  }
  return total;
}

/** resetPeakRss for the process and each live descendant; returns the process's own RSS. */
export async function resetPeakRssTree(pid: number): Promise<number> {
  for (const p of await descendants(pid)) await resetPeakRss(p).catch(() => null);
  return resetPeakRss(pid);
}

/** User + system CPU seconds of the process alone (not its children). */
export function ownCpuSeconds(pid: number): number {
  const fields = statFields(pid);
  if (!fields) throw new Error(`process ${pid} is gone`);
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** CPU seconds every core of the machine has spent busy (not idle or waiting on I/O), from /proc/stat. */
export function machineBusySeconds(): number {
  const line = fsSync.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  // cpu user nice system idle iowait irq softirq steal …
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / TICKS_PER_SECOND;
}
