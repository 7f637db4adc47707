/**
 * The `intake` binary as a child process (through tsx, as a user's shell runs it), and a
 * loopback relay that slows uploads down and counts the bytes it carries, so a test can
 * interrupt an upload half-way and see what a re-run sends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  /** Resolves with the output once the process exits. */
  done: Promise<CliRun>;
  /** Resolves once stderr matches. */
  waitForStderr(test: (stderr: string) => boolean, timeoutMs?: number): Promise<void>;
}

/** A fresh state directory per test, so paused sessions of one test never resume in another. */
export async function stateDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'intake-cli-state-'));
}

export function spawnCli(args: string[], env: Record<string, string | undefined>): CliProcess {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('INTAKE_')));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main/cli.ts', ...args], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const watchers = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const w of watchers) w();
  });
  const done = new Promise<CliRun>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return {
    child,
    done,
    waitForStderr(test, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`stderr never matched; it was:\n${stderr}`)), timeoutMs);
        const check = () => {
          if (!test(stderr)) return;
          clearTimeout(timer);
          watchers.delete(check);
          resolve();
        };
        watchers.add(check);
        void done.then(() => {
          if (watchers.has(check)) reject(new Error(`the CLI exited before stderr matched:\n${stderr}`));
        });
        check();
      });
    },
  };
}

export function runCli(args: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  return spawnCli(args, env).done;
}

/** Relays loopback TCP to `targetPort`, client to server at most `bytesPerSecond`, counting what it relays upstream. */
export async function slowRelay(port: number, targetPort: number, bytesPerSecond: number): Promise<{ upstreamBytes(): number; close(): Promise<void> }> {
  let upstreamBytes = 0;
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => (s === client ? upstream : client).destroy());
    }
    upstream.pipe(client);
    // Each chunk waits for its share of time before it goes on: a steady, slow upload.
    client.on('data', (chunk: Buffer) => {
      client.pause();
      upstreamBytes += chunk.length;
      setTimeout(() => {
        if (!upstream.destroyed) upstream.write(chunk);
        client.resume();
      }, (chunk.length / bytesPerSecond) * 1000);
    });
    client.on('end', () => upstream.end());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    upstreamBytes: () => upstreamBytes,
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
