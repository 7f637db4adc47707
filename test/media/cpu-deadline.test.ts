/**
 * media/cpu-deadline.ts on real processes: a media job's deadline counts the CPU time it
 * used, not the time it waited for a CPU, and the wall clock still ends one that blocks.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { cpuDeadline, processCpuMs } from '../../src/media/cpu-deadline.js';
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
after(() => {
  for (const c of spawned) c.kill('SIGKILL');
});

describe('media job deadlines', () => {
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
