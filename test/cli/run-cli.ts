/**
 * The `intake` binary as a child process, and a loopback relay that slows uploads down and
 * counts the bytes it carries, so a test can interrupt an upload half-way and see what a
 * re-run sends. The compiled run spawns dist/src/main/cli.js; from source, the CLI is bundled
 * once per test file by esbuild (its packages stay in node_modules): the same code, starting
 * in a fraction of tsx's time, so a file of a dozen CLI runs stays fast on a busy machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { build } from 'esbuild';
import { CLI, compiled } from '../helpers/entry.js';
import { eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { png } from '../helpers/media.js';

let bundled: Promise<string> | undefined;

function cliEntry(): Promise<string> {
  if (compiled) return Promise.resolve(CLI.at(-1)!);
  bundled ??= (async () => {
    const outdir = path.resolve('node_modules', '.cache', 'intake-cli-test', String(process.pid));
    process.on('exit', () => fsSync.rmSync(outdir, { recursive: true, force: true }));
    await build({ entryPoints: ['src/main/cli.ts'], bundle: true, platform: 'node', format: 'esm', packages: 'external', splitting: true, outdir, logLevel: 'warning' });
    return path.join(outdir, 'cli.js');
  })();
  return bundled;
}

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

export async function spawnCli(args: string[], env: Record<string, string | undefined>): Promise<CliProcess> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('INTAKE_')));
  const child = spawn(process.execPath, [await cliEntry(), ...args], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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

export async function runCli(args: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  return (await spawnCli(args, env)).done;
}

/** Relays loopback TCP to `targetPort`, client to server at most `bytesPerSecond`, counting what it relays upstream. */
export async function slowRelay(port: number, targetPort: number, bytesPerSecond: number): Promise<{ upstreamBytes(): number; settled(): Promise<void>; close(): Promise<void> }> {
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
    /**
     * Resolves once no connection is open: everything a client that went away had already
     * sent has been passed on and answered (as a network delivers what left a dead process's
     * socket before its end).
     */
    settled: async () => {
      await eventually(async () => open.size === 0, 15_000, 'the relay to pass on what its clients sent and close');
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `cli(...args)` runs a client command against `url` with `key` and asserts it ended with 0; `json(...args)` adds --json and parses stdout. */
export function clientOf(url: string, key: string) {
  const cli = async (...args: string[]): Promise<CliRun> => {
    const res = await runCli(args, { INTAKE_URL: url, INTAKE_API_KEY: key });
    if (res.code !== 0) throw new Error(`intake ${args.join(' ')} exited ${res.code}: ${res.stderr}`);
    return res;
  };
  const json = async (...args: string[]) => JSON.parse((await cli(...args, '--json')).stdout);
  return { cli, json };
}

/** A real Intake and a namespace key for the tests of one describe(): started before them, closed after. */
export function intakeForTests(env: Record<string, string> = {}): { intake: TestIntake; key: string } {
  const t = {} as { intake: TestIntake; key: string };
  before(async () => {
    t.intake = await startIntake(env);
    t.key = (await t.intake.tenant()).key;
  });
  after(() => t.intake.close());
  return t;
}

/** A PNG uploaded through the API (session, PUT, complete): an image asset, ready at once. */
export async function uploadedImage(intake: TestIntake, key: string): Promise<{ uploadId: string; assetId: string; bytes: Buffer }> {
  const bytes = await png(32, 24);
  const s = await intake.api('POST', '/v1/uploads', { key, json: { filename: 'p.png', content_type: 'image/png', file_size: bytes.length } });
  await fetch(s.body.data.upload_url, { method: 'PUT', headers: s.body.data.upload_method.headers, body: bytes });
  const done = await intake.api('POST', `/v1/uploads/${s.body.data.upload_id}/complete`, { key });
  if (done.status !== 200) throw new Error(`complete: ${JSON.stringify(done.body)}`);
  return { uploadId: s.body.data.upload_id, assetId: done.body.data.asset.id, bytes };
}
