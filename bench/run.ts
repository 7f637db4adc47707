/**
 * `npm run bench`: starts a raw sink, a bare Fastify and the real Intake as child
 * processes on loopback, runs both benchmarks, prints a summary and writes
 * bench/results/latest.json. Exits 1 if a benchmark could not run; unmet goals are
 * reported, not fatal. Every child and temp folder is removed on the way out.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cleanup, startServer } from './lib/children.js';
import { benchHostile, hostileGoals, hostileSummary } from './hostile.js';
import { benchWebhookFlood, floodGoal, floodSummary } from './webhook-flood.js';
import { startIntake } from './intake.js';
import { benchPut } from './put.js';
import { benchWaysIn, waysInSummary } from './tus-import.js';
import { buildReport, putGoals, putTable, summary, writeJson } from './report.js';
import { benchS3, s3Summary } from './s3.js';
import { benchSessionPath, benchSessions, sessionPathSummary, startInsertHmac } from './sessions.js';
import { benchPipeline, pipelineSummary } from './pipeline.js';
import { benchMultipart, multipartSummary } from './multipart.js';
import { benchMultipartS3, multipartS3Summary } from './multipart-s3.js';
import { benchRateLimits, rateLimitSummary } from './rate-limits.js';
import { benchSdk, sdkSummary } from './sdk.js';
import { benchFootprint, footprintSummary } from './footprint.js';
import { benchDelivery, deliverySummary } from './delivery.js';
import { benchScaleSessions, scaleSessionsSummary } from './scale/sessions.js';
import { benchIttybit, ittybitSummary } from './ittybit.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
// run.js lives in dist/bench/; results go next to the sources, in bench/results/.
const RESULTS = here('../../bench/results/latest.json');
const MULTIPART_RESULTS = here('../../bench/results/multipart.json');
const PUT_RESULTS = here('../../bench/results/put.json');

/**
 * `npm run bench -- multipart [--gib N]` runs only the resumable benchmark (default 1 GiB,
 * 8 parts, 3 runs); plain `npm run bench` runs everything, that one at 1 GiB.
 */
async function multipartOnly(cleanup: Cleanup, gib: number): Promise<void> {
  const loadBefore = os.loadavg()[0]!;
  const sinkDir = await cleanup.tempDir('intake-bench-sink-');
  const sink = await startServer(cleanup, 'sink', here('./servers/sink.js'), [sinkDir]);
  const intake = await startIntake(cleanup);
  process.stderr.write(`Benchmark 4: ${gib} GiB in 8 parallel parts, raw sink vs Intake part URLs\n`);
  const result = await benchMultipart(sink, sinkDir, intake, { size: gib * 1024 ** 3, parts: 8, runs: 3 });
  process.stdout.write(`\nLoad average (1 min): ${loadBefore.toFixed(2)} before, ${os.loadavg()[0]!.toFixed(2)} after\n${multipartSummary(result)}\n`);
  await writeJson({ finishedAt: new Date().toISOString(), load: { before: loadBefore, after: os.loadavg()[0]! }, multipart: result } as never, MULTIPART_RESULTS);
}

/**
 * `npm run bench -- put [--gib N]`: benchmark 1 alone, with tus-node-server as a peer: raw
 * sink, Intake and @tus/server, 3 alternating runs each after the settle time.
 */
async function putOnly(cleanup: Cleanup, gib: number): Promise<void> {
  const loadBefore = os.loadavg()[0]!;
  const sinkDir = await cleanup.tempDir('intake-bench-sink-');
  const tusDir = await cleanup.tempDir('intake-bench-tus-');
  const sink = await startServer(cleanup, 'sink', here('./servers/sink.js'), [sinkDir]);
  const tus = await startServer(cleanup, 'tus', here('./servers/tus.js'), [tusDir]);
  const intake = await startIntake(cleanup);
  process.stderr.write(`Benchmark 1: ${gib} GiB PUT with curl, raw sink vs Intake signed URL vs @tus/server\n`);
  const result = await benchPut(sink, sinkDir, intake, 3, gib * 1024 ** 3, { server: tus, dir: tusDir });
  const goals = putGoals(result).map((g) => `  [${g.met ? 'PASS' : 'FAIL'}] ${g.name}: ${g.actual} (goal ${g.target})`);
  process.stdout.write(`\nLoad average (1 min): ${loadBefore.toFixed(2)} before, ${os.loadavg()[0]!.toFixed(2)} after\n${putTable(result)}\n\nGoals\n${goals.join('\n')}\n`);
  await writeJson({ finishedAt: new Date().toISOString(), load: { before: loadBefore, after: os.loadavg()[0]! }, put: result } as never, PUT_RESULTS);
}

/** `npm run bench -- multipart --s3 [--gib N]`: the resumable upload against Ceph RGW. */
async function multipartS3Only(cleanup: Cleanup, gib: number): Promise<void> {
  const loadBefore = os.loadavg()[0]!;
  process.stderr.write(`Benchmark 4 (S3): ${gib} GiB in 8 parallel parts to Ceph RGW, SDK multipart upload vs an Intake resumable session\n`);
  const result = await benchMultipartS3(cleanup, { size: gib * 1024 ** 3, parts: 8, runs: 3 });
  process.stdout.write(`\nLoad average (1 min): ${loadBefore.toFixed(2)} before, ${os.loadavg()[0]!.toFixed(2)} after\n${multipartS3Summary(result)}\n`);
}

const S3_RESULTS = here('../../bench/results/s3-latest.json');

/** `npm run bench -- s3` runs only the S3 benchmarks (they need Ceph, started on demand). */
async function s3Only(cleanup: Cleanup): Promise<void> {
  const result = await benchS3(cleanup);
  process.stdout.write(`\n${s3Summary(result)}\n`);
  await fs.mkdir(path.dirname(S3_RESULTS), { recursive: true });
  await fs.writeFile(S3_RESULTS, `${JSON.stringify({ finishedAt: new Date().toISOString(), load: os.loadavg(), ...result }, null, 2)}\n`);
  process.stdout.write(`\nWrote ${S3_RESULTS}\n`);
}

/**
 * `npm run bench -- hostile`: only the hostile-load benchmark (2–4 minutes), on its own
 * Intake, then the webhook flood on another. `npm run bench -- hostile flood`: the flood only.
 */
async function hostileOnly(cleanup: Cleanup): Promise<void> {
  const loadBefore = os.loadavg()[0]!;
  const floodOnly = process.argv.includes('flood');
  let hostile = null;
  if (!floodOnly) {
    const intake = await startIntake(cleanup);
    process.stderr.write('Benchmark 3: sessions and a 100 MB PUT, calm vs under hostile load\n');
    hostile = await benchHostile(intake);
  }
  process.stderr.write('Webhook flood: another namespace\'s delivery while one namespace\'s 40 hooks hang\n');
  const flood = await benchWebhookFlood(cleanup);
  const goals = [...(hostile ? hostileGoals(hostile) : []), floodGoal(flood)];
  process.stdout.write(`\nLoad average (1 min): ${loadBefore.toFixed(2)} before, ${os.loadavg()[0]!.toFixed(2)} after\n${hostile ? `${hostileSummary(hostile)}\n` : ''}${floodSummary(flood)}\n\nGoals\n`);
  process.stdout.write(goals.map((g) => `  [${g.met ? 'PASS' : 'FAIL'}] ${g.name}: ${g.actual} (goal ${g.target})`).join('\n') + '\n');
}

async function main(cleanup: Cleanup): Promise<void> {
  if (process.argv[2] === 'footprint') {
    process.stdout.write(`\n${footprintSummary(await benchFootprint(cleanup))}\n`);
    return;
  }
  if (process.argv[2] === 'delivery') {
    process.stdout.write(`\nLoad average (1 min): ${os.loadavg()[0]!.toFixed(2)}\n${deliverySummary(await benchDelivery(cleanup))}\n`);
    return;
  }
  if (process.argv.includes('hostile')) return hostileOnly(cleanup);
  // `npm run bench -- pipeline` runs only benchmark 5 (minutes of transcoding on its own).
  if (process.argv[2] === 'pipeline') {
    const intake = await startIntake(cleanup);
    process.stderr.write('Benchmark 5: processing pipeline vs the same ffmpeg commands\n');
    const pipeline = await benchPipeline(cleanup, intake);
    process.stdout.write(`\n${pipelineSummary(pipeline)}\n`);
    await writeJson({ finishedAt: new Date().toISOString(), load: os.loadavg()[0], pipeline } as never, RESULTS.replace('latest.json', 'pipeline.json'));
    return;
  }
  const loadBefore = os.loadavg()[0]!;
  const sinkDir = await cleanup.tempDir('intake-bench-sink-');
  const sink = await startServer(cleanup, 'sink', here('./servers/sink.js'), [sinkDir]);
  const hello = await startServer(cleanup, 'fastify', here('./servers/hello.js'), []);
  const insertHmac = await startInsertHmac(cleanup);
  const tusDir = await cleanup.tempDir('intake-bench-tus-');
  const tus = await startServer(cleanup, 'tus', here('./servers/tus.js'), [tusDir]);
  const intake = await startIntake(cleanup);

  process.stderr.write('Benchmark 1: 1 GiB PUT with curl, raw sink vs Intake signed URL vs @tus/server\n');
  const put = await benchPut(sink, sinkDir, intake, 3, 1024 ** 3, { server: tus, dir: tusDir });
  process.stderr.write('Benchmark 2: POST /v1/uploads, bare Fastify vs Intake\n');
  const sessions = await benchSessions(hello, intake, null, insertHmac);
  process.stderr.write('Benchmark 3: sessions and a 100 MB PUT, calm vs under hostile load\n');
  const hostile = await benchHostile(intake);

  process.stderr.write('Benchmark 4: 1 GiB in 8 parallel parts, raw sink vs Intake part URLs\n');
  // On its own Intake, as `npm run bench -- multipart` runs it: its peak RSS is the
  // resumable path's, not the heap the 80,000 sessions of benchmarks 2 and 3 left behind.
  const multipart = await benchMultipart(sink, sinkDir, await startIntake(cleanup), { size: 1024 ** 3, parts: 8, runs: 3 });
  process.stderr.write('Benchmark 5: processing pipeline vs the same ffmpeg commands\n');
  const pipeline = await benchPipeline(cleanup, intake);
  process.stderr.write('Benchmark 6: 1 GiB, ittybit single-URL chunks vs native resumable parts (curl)\n');
  const ittybit = await benchIttybit(cleanup, await startIntake(cleanup), { size: 1024 ** 3, runs: 4 });

  const report = buildReport(put, sessions, loadBefore, hostile);
  process.stdout.write(`\n${summary(report)}\n\n${multipartSummary(multipart)}\n\n${pipelineSummary(pipeline)}\n\n${ittybitSummary(ittybit)}\n`);
  await writeJson({ finishedAt: report.finishedAt, multipart } as never, MULTIPART_RESULTS);
  await writeJson(report, RESULTS);
  process.stdout.write(`\nWrote ${RESULTS}\n`);
  await s3Only(cleanup);
}

const cleanup = new Cleanup();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: cleaning up\n`);
    void cleanup.run().finally(() => process.exit(130));
  });
}
try {
  const args = process.argv.slice(2);
  const gib = Number(/--gib=?(\d+(?:\.\d+)?)/.exec(args.slice(1).join('='))?.[1] ?? 1);
  if (args[0] === 'put') await putOnly(cleanup, gib);
  else if (args[0] === 'ittybit') {
    // `npm run bench -- ittybit [--gib N]`: benchmark 6 alone.
    const loadBefore = os.loadavg()[0]!;
    const result = await benchIttybit(cleanup, await startIntake(cleanup), { size: Math.round(gib * 1024 ** 3), runs: 4 });
    process.stdout.write(`\nLoad average (1 min): ${loadBefore.toFixed(2)} before, ${os.loadavg()[0]!.toFixed(2)} after\n${ittybitSummary(result)}\n`);
  }
  else if (args[0] === 'tus') {
    // `npm run bench -- tus [--mib N] [--import-mib M]` (default 1024 and 200): tus vs @tus/server, import vs curl -o.
    const mib = Number(/--mib=?(\d+)/.exec(args.slice(1).join('='))?.[1] ?? 1024);
    const importMib = Number(/--import-mib=?(\d+)/.exec(args.slice(1).join('='))?.[1] ?? 200);
    const loadBefore = os.loadavg()[0]!;
    const result = await benchWaysIn(cleanup, mib * 2 ** 20, 3, importMib * 2 ** 20);
    process.stdout.write(`\nLoad average (1 min): ${loadBefore.toFixed(2)} before, ${os.loadavg()[0]!.toFixed(2)} after\n${waysInSummary(result)}\n`);
  }
  else if (args[0] === 'multipart') {
    if (args.includes('--s3')) await multipartS3Only(cleanup, gib);
    else await multipartOnly(cleanup, gib);
  } else if (args[0] === 'sessions') {
    const loadBefore = os.loadavg()[0]!;
    const before = /--before=?(\S+)/.exec(args.slice(1).join('='))?.[1];
    const result = await benchSessionPath(cleanup, before);
    process.stdout.write(`\nLoad average (1 min): ${loadBefore.toFixed(2)} before, ${os.loadavg()[0]!.toFixed(2)} after\n${sessionPathSummary(result)}\n`);
  } else if (args[0] === 'ratelimit') {
    const loadBefore = os.loadavg()[0]!;
    const result = await benchRateLimits(cleanup);
    process.stdout.write(`\nLoad average (1 min): ${loadBefore.toFixed(2)} before, ${os.loadavg()[0]!.toFixed(2)} after\n${rateLimitSummary(result)}\n`);
  } else if (args[0] === 'sdk') {
    // `npm run bench -- sdk [--mib N]`: the SDK's Node upload against a minimal client (default 512 MiB).
    const mib = Number(/--mib=?(\d+)/.exec(args.slice(1).join('='))?.[1] ?? 512);
    const loadBefore = os.loadavg()[0]!;
    const result = await benchSdk(cleanup, { sizeMiB: mib, partMiB: Math.max(5, mib / 8), parallel: 4, runs: 3 });
    process.stdout.write(`\nLoad average (1 min): ${loadBefore.toFixed(2)} before, ${os.loadavg()[0]!.toFixed(2)} after\n${sdkSummary(result)}\n`);
  } else if (args[0] === 'scale') {
    const loadBefore = os.loadavg()[0]!;
    const result = await benchScaleSessions(cleanup, os.availableParallelism());
    process.stdout.write(`\nLoad average (1 min): ${loadBefore.toFixed(2)} before, ${os.loadavg()[0]!.toFixed(2)} after\n${scaleSessionsSummary(result)}\n`);
  } else if (args.includes('s3')) await s3Only(cleanup);
  else await main(cleanup);
} catch (err) {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
} finally {
  await cleanup.run();
}
