/**
 * media/cpu-governor.ts on real processes: media children are held back (stopped for most
 * of each period) only while the foreground uses CPU, run freely otherwise, and are never
 * left stopped; job deadlines count CPU time, not time spent held back.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { after, describe, it } from 'node:test';
import { cpuDeadline, MediaGovernor, processCpuMs } from '../../src/media/cpu-governor.js';
import { eventually } from '../helpers/intake.js';

const spawned: ChildProcess[] = [];
function busy(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  spawned.push(child);
  return child;
}
function idle(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  spawned.push(child);
  return child;
}
/** The one-letter state in /proc/<pid>/stat: R running, S sleeping, T stopped… */
function state(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

after(() => {
  for (const c of spawned) c.kill('SIGKILL');
});

describe('media CPU governor', () => {
  it('holds a media process back while the foreground is busy, and lets it go when the foreground rests', async () => {
    const foreground = busy();
    const media = busy();
    // A tenth of a core: a busy loop gets that even on a loaded machine (a CI run beside it), a stopped one none.
    const governor = new MediaGovernor({ periodMs: 50, dutyMs: 10, busyCpu: 0.1, foreground: () => [foreground.pid] });
    governor.start();
    governor.track(media);
    try {
      await eventually(async () => state(media.pid!) === 'T', 10_000, 'the media process to be stopped while the foreground is busy');
      assert.ok(governor.throttledPeriods > 0);
      // The foreground stops working: the media process runs again and stays running.
      foreground.kill('SIGSTOP');
      // Quiet: no period held anything back over the last few.
      await eventually(async () => {
        const periods = governor.throttledPeriods;
        await new Promise((r) => setTimeout(r, 200));
        return governor.throttledPeriods === periods && state(media.pid!) !== 'T';
      }, 10_000, 'the media process to run freely');
      const seen = new Set<string>();
      const until = Date.now() + 500;
      while (Date.now() < until) {
        seen.add(state(media.pid!));
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(seen.has('T'), false, 'never stopped while the foreground rests');
      foreground.kill('SIGCONT');
      await eventually(async () => state(media.pid!) === 'T', 10_000, 'held back again once the foreground is busy');
    } finally {
      governor.stop();
    }
    // Stopping the governor lets every process it held run.
    await eventually(async () => state(media.pid!) !== 'T', 5_000, 'the media process running after stop()');
  });

  it('never leaves a process stopped: untrack continues it, and a process tracked while others are held waits like them', async () => {
    const foreground = busy();
    // Any foreground CPU counts as busy here: with three busy loops on a loaded machine the
    // foreground could get under half a core and look idle, releasing everything.
    const governor = new MediaGovernor({ periodMs: 50, dutyMs: 5, busyCpu: 0.02, foreground: () => [foreground.pid] });
    const first = busy();
    governor.start();
    governor.track(first);
    try {
      await eventually(async () => state(first.pid!) === 'T', 10_000, 'held back');
      const late = busy();
      // Tracked while held: stopped at once, or continued with the others at the next period.
      governor.track(late);
      await eventually(async () => state(late.pid!) === 'T', 10_000, 'the late process held back too');
      governor.untrack(first.pid);
      await eventually(async () => state(first.pid!) !== 'T', 5_000, 'an untracked process runs');
      late.kill('SIGKILL');
      await eventually(async () => late.exitCode !== null || late.signalCode !== null, 5_000, 'a stopped process can still be killed');
    } finally {
      governor.stop();
    }
  });

  it('takes turns while the foreground is busy: two media processes never run at once, and both get runs', async () => {
    const foreground = busy();
    const a = busy();
    const b = busy();
    // Any foreground CPU counts as busy here, so a loaded machine (a CI run beside it) cannot make it look idle.
    const governor = new MediaGovernor({ periodMs: 60, dutyMs: 30, busyCpu: 0.02, foreground: () => [foreground.pid] });
    governor.start();
    governor.track(a);
    governor.track(b);
    try {
      await eventually(async () => governor.throttledPeriods >= 2, 10_000, 'the governor to hold media work back');
      const cpuBefore = [processCpuMs(a.pid!)!, processCpuMs(b.pid!)!];
      let both = 0;
      let samples = 0;
      const until = Date.now() + 1500;
      while (Date.now() < until) {
        if (state(a.pid!) !== 'T' && state(b.pid!) !== 'T') both++;
        samples++;
        await new Promise((r) => setTimeout(r, 5));
      }
      // A signal takes effect a moment after it is sent: allow the odd sample at a hand-over.
      assert.ok(both / samples < 0.15, `both running in ${both} of ${samples} samples`);
      assert.ok(processCpuMs(a.pid!)! > cpuBefore[0]!, 'the first got CPU');
      assert.ok(processCpuMs(b.pid!)! > cpuBefore[1]!, 'the second got CPU');
    } finally {
      governor.stop();
    }
  });

  it('deadlines count CPU time: a process that only waits is not expired by the CPU budget, a busy one is', async () => {
    const waiting = idle();
    const working = busy();
    await eventually(async () => processCpuMs(waiting.pid!) !== undefined && processCpuMs(working.pid!) !== undefined, 5_000, 'both started');
    let waitingExpired = false;
    let workingExpired = false;
    const clearWaiting = cpuDeadline(waiting.pid, 200, 60_000, () => (waitingExpired = true));
    const clearWorking = cpuDeadline(working.pid, 200, 60_000, () => (workingExpired = true));
    try {
      await eventually(async () => workingExpired, 10_000, 'the busy process to use 200 ms of CPU');
      assert.equal(waitingExpired, false, 'an idle process used no CPU budget');
    } finally {
      clearWaiting();
      clearWorking();
    }
    // With no /proc to read (no such process), the wall clock decides.
    let wallExpired = false;
    const clearWall = cpuDeadline(2 ** 22 + 12345, 10, 50, () => (wallExpired = true));
    await eventually(async () => wallExpired, 5_000, 'the wall-clock deadline');
    clearWall();
  });
});
