/**
 * S3 benchmarks (`npm run bench`, or only these with `npm run bench -- s3`), against the
 * Ceph RGW of scripts/ceph-rgw/start.sh in a bucket of their own, removed afterwards:
 *
 * 1. Signing: presigned PUT URLs per second from the AWS SDK's presigner against Intake's
 *    SigV4 signer (src/storage/sigv4.ts, byte-identical output), in the same process.
 * 2. A 1 GiB single PUT to the bucket through the URL Intake's `POST /v1/uploads` returns,
 *    against the same PUT with a URL the SDK presigned: Intake is not in the data path, so
 *    the ratio should be about 1. Objects are deleted (and Ceph's garbage collector run)
 *    after every run, since Ceph's memstore keeps them in RAM.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, DeleteBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { S3Storage } from '../src/storage/s3.js';
import { SigV4Presigner, sdkPresign, type PresignRequest } from '../src/storage/sigv4.js';
import type { Cleanup } from './lib/children.js';
import { createSession, startIntake } from './intake.js';
import { GIB, median, put } from './put.js';
import { benchSessions, meanOfRounds, type SessionsResult } from './sessions.js';

const run = promisify(execFile);
// dist/bench/s3.js when compiled (npm run bench), bench/s3.ts under tsx (the scale-out test).
const root = fileURLToPath(new URL(import.meta.url.endsWith('.js') ? '../../' : '../', import.meta.url));
const CEPH_DIR = process.env.CEPH_DIR ?? '/tmp/ceph';

export interface S3BenchResult {
  signing: { sdkPerSecond: number[]; intakePerSecond: number[]; ratio: number };
  put: { sizeBytes: number; sdkUrlMbPerSecond: number[]; intakeUrlMbPerSecond: number[]; ratio: number };
  /** POST /v1/uploads on S3 (baseline: the same Intake on local disk, whose URLs are plain HMACs). */
  sessions: SessionsResult;
}

export async function ceph(): Promise<Record<string, string>> {
  await run('bash', [`${root}scripts/ceph-rgw/start.sh`], { env: { ...process.env, CEPH_DIR }, timeout: 600_000 });
  const text = await fs.readFile(`${CEPH_DIR}/s3.env`, 'utf8');
  return Object.fromEntries(text.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** Deleted objects stay in Ceph's RAM until its garbage collector runs: run it now. */
export async function collectGarbage(): Promise<void> {
  await run('radosgw-admin', ['gc', 'process', '--include-all'], { env: { ...process.env, CEPH_CONF: `${CEPH_DIR}/ceph.conf` } }).catch(() => undefined);
}


/** URLs signed per second by `sign` over about `ms` milliseconds. */
async function rate(sign: (i: number) => Promise<string>, ms: number): Promise<number> {
  let n = 0;
  const started = performance.now();
  while (performance.now() - started < ms) {
    for (let i = 0; i < 100; i++) await sign(n++);
  }
  return n / ((performance.now() - started) / 1000);
}

/** The environment that points an Intake at the Ceph RGW bucket `bucket`. */
export function intakeS3Env(env: Record<string, string>, bucket: string): Record<string, string> {
  return {
    INTAKE_STORAGE: 's3',
    INTAKE_S3_BUCKET: bucket,
    INTAKE_S3_REGION: env.S3_REGION!,
    INTAKE_S3_ENDPOINT: env.S3_ENDPOINT!,
    INTAKE_S3_FORCE_PATH_STYLE: 'true',
    INTAKE_S3_ACCESS_KEY_ID: env.S3_ACCESS_KEY!,
    INTAKE_S3_SECRET_ACCESS_KEY: env.S3_SECRET_KEY!,
  };
}

/**
 * A throw-away bucket on Ceph and an S3Storage on it; the cleanup aborts open multipart
 * uploads, deletes every object and the bucket, and lets Ceph free the memory.
 */
export async function benchBucket(cleanup: Cleanup, env: Record<string, string>, prefix: string) {
  const bucket = `${prefix}-${randomBytes(4).toString('hex')}`;
  const storage = new S3Storage({
    bucket,
    region: env.S3_REGION!,
    endpoint: env.S3_ENDPOINT!,
    forcePathStyle: true,
    credentials: { accessKeyId: env.S3_ACCESS_KEY!, secretAccessKey: env.S3_SECRET_KEY! },
    publicEndpoint: null,
    verifiesChecksums: false,
    conditionalWrites: true,
  });
  const s3 = storage.clients.api;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  cleanup.add(async () => {
    for await (const mp of storage.listMultipart()) await storage.abortMultipart(mp.key, mp.multipartId);
    const keys: string[] = [];
    for await (const o of storage.list()) keys.push(o.key);
    await storage.deleteMany(keys);
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    await collectGarbage();
  });
  return { storage, s3, bucket };
}

export async function benchS3(cleanup: Cleanup, runs = 3, signingRuns = 5): Promise<S3BenchResult> {
  const env = await ceph();
  const { storage, s3, bucket } = await benchBucket(cleanup, env, 'intake-bench');

  process.stderr.write('Benchmark S3-1: presigned PUT URLs per second, AWS SDK vs Intake SigV4 signer\n');
  const signer = new SigV4Presigner(s3, bucket);
  const req = (i: number): PresignRequest => ({
    method: 'PUT',
    key: `ns_bench/upl_${i.toString(36).padStart(20, '0')}/original`,
    expiresIn: 3600,
    headers: { 'Content-Type': 'image/jpeg', 'Content-Length': String(1000 + i), 'If-None-Match': '*' },
  });
  const sdkRates: number[] = [];
  const ownRates: number[] = [];
  // Warm-up: both signers reach steady (JIT-compiled) speed before anything is measured.
  await rate((i) => sdkPresign(s3, bucket, req(i)), 3000);
  await rate((i) => signer.presign(req(i)), 500);
  for (let r = 0; r < signingRuns; r++) {
    sdkRates.push(await rate((i) => sdkPresign(s3, bucket, req(i)), 1500));
    ownRates.push(await rate((i) => signer.presign(req(i)), 1500));
    process.stderr.write(`  run ${r + 1}/${signingRuns}: SDK ${sdkRates.at(-1)!.toFixed(0)}/s, Intake ${ownRates.at(-1)!.toFixed(0)}/s\n`);
  }

  process.stderr.write('Benchmark S3-2: 1 GiB PUT to Ceph, SDK-presigned URL vs the URL Intake returns\n');
  const intake = await startIntake(cleanup, intakeS3Env(env, bucket));
  const sdkMb: number[] = [];
  const ownMb: number[] = [];
  for (let r = 0; r < runs; r++) {
    const key = `bench/sdk-${r}`;
    const sdkUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 3600 });
    const a = await put(sdkUrl, { 'content-type': 'application/octet-stream' }, GIB);
    sdkMb.push(GIB / 1e6 / a.seconds);
    await storage.delete(key);
    await collectGarbage();
    const session = await createSession(intake, 'big.mp4', 'video/mp4', GIB);
    const b = await put(session.upload_url, session.upload_method.headers, GIB);
    ownMb.push(GIB / 1e6 / b.seconds);
    await storage.deletePrefix(new URL(session.upload_url).pathname.split('/').slice(2, 4).join('/'));
    await collectGarbage();
    process.stderr.write(`  run ${r + 1}/${runs}: SDK URL ${sdkMb.at(-1)!.toFixed(0)} MB/s, Intake URL ${ownMb.at(-1)!.toFixed(0)} MB/s\n`);
  }
  process.stderr.write('Benchmark S3-3: POST /v1/uploads, Intake on local disk vs Intake on S3\n');
  const local = await startIntake(cleanup);
  // Two rounds in opposite order: on a shared machine whoever goes second meets other load.
  const a = await benchSessions({ ...local, name: 'intake-local' }, { ...intake, name: 'intake-s3' }, local.key);
  const b = await benchSessions({ ...intake, name: 'intake-s3' }, { ...local, name: 'intake-local' }, intake.key);
  const sessions = { ...a, baseline: meanOfRounds(a.baseline, b.intake), intake: meanOfRounds(a.intake, b.baseline) };
  sessions.ratio = sessions.intake.requestsPerSecond / sessions.baseline.requestsPerSecond;
  return {
    sessions,
    signing: { sdkPerSecond: sdkRates, intakePerSecond: ownRates, ratio: median(ownRates) / median(sdkRates) },
    put: { sizeBytes: GIB, sdkUrlMbPerSecond: sdkMb, intakeUrlMbPerSecond: ownMb, ratio: median(ownMb) / median(sdkMb) },
  };
}

export function s3Summary(r: S3BenchResult): string {
  const f = (v: number[]) => v.map((x) => x.toFixed(0)).join(' ');
  return [
    `Presigned PUT URLs per second (median of ${r.signing.sdkPerSecond.length} alternating runs, one core)`,
    `  AWS SDK presigner    ${median(r.signing.sdkPerSecond).toFixed(0).padStart(8)}   runs: ${f(r.signing.sdkPerSecond)}`,
    `  Intake SigV4 signer  ${median(r.signing.intakePerSecond).toFixed(0).padStart(8)}   runs: ${f(r.signing.intakePerSecond)}`,
    `  Intake / SDK         ${r.signing.ratio.toFixed(1).padStart(8)}   (goal ≥ 20)`,
    '',
    `1 GiB single PUT to Ceph RGW, MB/s (MB = 10^6 bytes)`,
    `  SDK-presigned URL    ${median(r.put.sdkUrlMbPerSecond).toFixed(0).padStart(8)}   runs: ${f(r.put.sdkUrlMbPerSecond)}`,
    `  Intake's upload_url  ${median(r.put.intakeUrlMbPerSecond).toFixed(0).padStart(8)}   runs: ${f(r.put.intakeUrlMbPerSecond)}`,
    `  Intake / SDK         ${r.put.ratio.toFixed(2).padStart(8)}   (goal ≈ 1)`,
    '',
    `POST /v1/uploads, ${r.sessions.connections} connections, 2 × ${r.sessions.seconds} s each: requests/s, p99 ms, server CPU µs/request`,
    `  Intake, local disk   ${r.sessions.baseline.requestsPerSecond.toFixed(0).padStart(8)}   ${r.sessions.baseline.p99Ms} ms   ${r.sessions.baseline.cpuMicrosPerRequest.toFixed(0)} µs`,
    `  Intake, S3           ${r.sessions.intake.requestsPerSecond.toFixed(0).padStart(8)}   ${r.sessions.intake.p99Ms} ms   ${r.sessions.intake.cpuMicrosPerRequest.toFixed(0)} µs   (non-2xx ${r.sessions.intake.non2xx})`,
    `  S3 / local           ${r.sessions.ratio.toFixed(2).padStart(8)}`,
  ].join('\n');
}
