/**
 * `npm run bench -- sdk`: the SDK's Node upload (`uploadFile`, parts from file range
 * streams) against the least a client can do over the same server and parts (`plain`), and
 * with the SHA-256 read added (`sdk-hash`). Each client is its own process: wall time (create
 * to complete), client CPU and client peak RSS. Runs alternate; medians are reported.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Cleanup } from './lib/children.js';
import { startIntake } from './intake.js';
import { median } from './put.js';

const run = promisify(execFile);
const CLIENT = fileURLToPath(new URL('./clients/upload-client.js', import.meta.url));
const MODES = ['plain', 'sdk', 'sdk-hash'] as const;
type Mode = (typeof MODES)[number];
const MiB = 1024 * 1024;

interface Sample {
  seconds: number;
  cpuSeconds: number;
  maxRssBytes: number;
}

export interface SdkBenchResult {
  sizeBytes: number;
  partSize: number;
  parallel: number;
  runs: number;
  medians: Record<Mode, Sample>;
  all: Record<Mode, Sample[]>;
}

/** A text file (so the joined object verifies as text/plain), written in 1 MiB chunks. */
async function textFile(dir: string, size: number): Promise<string> {
  const file = path.join(dir, 'bench.txt');
  const handle = await fs.open(file, 'w');
  const chunk = Buffer.alloc(MiB, 'intake sdk bench line of text\n');
  for (let written = 0; written < size; written += MiB) await handle.write(chunk, 0, Math.min(MiB, size - written));
  await handle.close();
  return file;
}

export async function benchSdk(cleanup: Cleanup, opts: { sizeMiB: number; partMiB: number; parallel: number; runs: number }): Promise<SdkBenchResult> {
  const intake = await startIntake(cleanup);
  const file = await textFile(await cleanup.tempDir('intake-bench-sdk-'), opts.sizeMiB * MiB);
  const all: Record<Mode, Sample[]> = { plain: [], sdk: [], 'sdk-hash': [] };
  for (let r = 0; r < opts.runs; r++) {
    for (const mode of MODES) {
      const { stdout } = await run(process.execPath, [CLIENT, mode, intake.url, intake.key, file, String(opts.partMiB * MiB), String(opts.parallel)], { maxBuffer: 1 << 20 });
      const sample = JSON.parse(stdout.trim()) as Sample & { assetId: string };
      all[mode].push(sample);
      // Delete the asset: the next run stores the same content again instead of sharing it.
      await fetch(`${intake.url}/v1/assets/${sample.assetId}`, { method: 'DELETE', headers: { authorization: `Bearer ${intake.key}` } });
      process.stderr.write(`  run ${r + 1}/${opts.runs} ${mode}: ${sample.seconds.toFixed(2)} s, client CPU ${sample.cpuSeconds.toFixed(2)} s, client peak RSS ${(sample.maxRssBytes / 1e6).toFixed(0)} MB\n`);
    }
  }
  const med = (samples: Sample[]): Sample => ({
    seconds: median(samples.map((s) => s.seconds)),
    cpuSeconds: median(samples.map((s) => s.cpuSeconds)),
    maxRssBytes: median(samples.map((s) => s.maxRssBytes)),
  });
  return { sizeBytes: opts.sizeMiB * MiB, partSize: opts.partMiB * MiB, parallel: opts.parallel, runs: opts.runs, all, medians: { plain: med(all.plain), sdk: med(all.sdk), 'sdk-hash': med(all['sdk-hash']) } };
}

export function sdkSummary(r: SdkBenchResult): string {
  const m = r.medians;
  const row = (mode: Mode) =>
    `  ${mode.padEnd(9)} ${m[mode].seconds.toFixed(2).padStart(6)} s (×${(m[mode].seconds / m.plain.seconds).toFixed(2)})   client CPU ${m[mode].cpuSeconds.toFixed(2).padStart(5)} s   client peak RSS ${(m[mode].maxRssBytes / 1e6).toFixed(0).padStart(4)} MB`;
  return [
    `SDK upload of ${r.sizeBytes / MiB} MiB in ${r.partSize / MiB} MiB parts, ${r.parallel} in parallel, create to complete: median of ${r.runs} alternating runs`,
    ...MODES.map(row),
  ].join('\n');
}
