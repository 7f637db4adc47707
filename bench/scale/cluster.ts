/**
 * A scaled-out Intake on one machine, started the way an operator starts one: N API
 * processes (`intake serve`, INTAKE_WORKERS=0) and M workers (`intake worker`) as child
 * processes, each with its own data folder, sharing only a PostgreSQL database of their
 * own, a Redis key prefix of their own and a Ceph RGW bucket of their own — all three
 * removed on cleanup. Processes can be SIGKILLed and restarted (an API on its old port);
 * CPU seconds per role are read from /proc, killed processes included.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createPostgresDatabase } from '../../test/helpers/databases.js';
import type { Cleanup } from '../lib/children.js';
import { freePort } from '../intake.js';
import { benchBucket, ceph } from '../s3.js';
import type { S3Storage } from '../../src/storage/s3.js';

const ADMIN_KEY = 'scale-admin-key-0123456789abcdef';
const SIGNING_SECRET = 'scale-signing-secret-0123456789abcdef0123456789';
const REDIS_URL = process.env.INTAKE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
// Compiled (npm run scale-test) this is dist/bench/scale/cluster.js next to dist/src; under
// tsx (npm test) the TypeScript sources run as they are.
const COMPILED = import.meta.url.endsWith('.js');
const CLI = fileURLToPath(new URL(`../../src/main/cli.${COMPILED ? 'js' : 'ts'}`, import.meta.url));
const NODE_ARGS = COMPILED ? [CLI] : ['--import', 'tsx', CLI];
const READY_MS = 60_000;

export type Role = 'api' | 'worker';

export interface Member {
  role: Role;
  index: number;
  /** API processes only. */
  url: string | null;
  child: ChildProcess;
}

const TICKS_PER_SECOND = 100;

/** User + system CPU seconds of a process and of the children it waited for (ffmpeg, image decoders). */
async function cpuWithChildren(pid: number): Promise<number> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (!stat) return 0;
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICKS_PER_SECOND;
}

export class Cluster {
  readonly adminKey = ADMIN_KEY;
  readonly members: Member[] = [];
  /** CPU seconds of processes that have exited (read just before they were killed or stopped). */
  private readonly spentCpu: Record<Role, number> = { api: 0, worker: 0 };
  private readonly ports: number[] = [];

  private constructor(
    private readonly cleanup: Cleanup,
    readonly env: Record<string, string>,
    readonly databaseUrl: string,
    readonly redisPrefix: string,
    readonly bucket: { storage: S3Storage; bucket: string },
    private readonly quiet: boolean,
  ) {}

  /** Creates the database, Redis prefix and bucket; starts nothing yet. */
  static async create(cleanup: Cleanup, opts: { quiet?: boolean; extraEnv?: Record<string, string> } = {}): Promise<Cluster> {
    const s3 = await ceph();
    const bucket = await benchBucket(cleanup, s3, 'intake-scale');
    const db = await createPostgresDatabase();
    cleanup.add(() => db.drop());
    const prefix = `intake-scale-${randomBytes(4).toString('hex')}`;
    cleanup.add(() => clearRedisPrefix(prefix));
    const env: Record<string, string> = {
      INTAKE_DATABASE_URL: db.url,
      INTAKE_REDIS_URL: REDIS_URL,
      INTAKE_REDIS_PREFIX: prefix,
      INTAKE_STORAGE: 's3',
      INTAKE_S3_BUCKET: bucket.bucket,
      INTAKE_S3_REGION: s3.S3_REGION!,
      INTAKE_S3_ENDPOINT: s3.S3_ENDPOINT!,
      INTAKE_S3_FORCE_PATH_STYLE: 'true',
      INTAKE_S3_ACCESS_KEY_ID: s3.S3_ACCESS_KEY!,
      INTAKE_S3_SECRET_ACCESS_KEY: s3.S3_SECRET_KEY!,
      INTAKE_ADMIN_KEY: ADMIN_KEY,
      INTAKE_SIGNING_SECRET: SIGNING_SECRET,
      INTAKE_LOG_LEVEL: 'error',
      INTAKE_RATE_LIMIT_PER_MINUTE: '100000000',
      INTAKE_ADDRESS_RATE_LIMIT_PER_MINUTE: '100000000',
      ...opts.extraEnv,
    };
    return new Cluster(cleanup, env, db.url, prefix, bucket, opts.quiet ?? false);
  }

  apis(): Member[] {
    return this.members.filter((m) => m.role === 'api');
  }

  /** Starts API process `index` (on its old port when restarted) or worker `index`. */
  async start(role: Role, index: number): Promise<Member> {
    const env: Record<string, string> = { ...this.env, INTAKE_DATA_DIR: await this.cleanup.tempDir(`intake-scale-${role}${index}-`) };
    let url: string | null = null;
    if (role === 'api') {
      this.ports[index] ??= await freePort();
      url = `http://127.0.0.1:${this.ports[index]}`;
      Object.assign(env, { INTAKE_WORKERS: '0', INTAKE_HOST: '127.0.0.1', INTAKE_PORT: String(this.ports[index]) });
    }
    // NODE_NO_WARNINGS: the AWS SDK's notice about future Node versions, once per process and restart.
    const child = spawn(process.execPath, [...NODE_ARGS, role === 'api' ? 'serve' : 'worker'], { env: { ...process.env, NODE_NO_WARNINGS: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const member: Member = { role, index, url, child };
    this.cleanup.add(() => this.stop(member, 'SIGTERM'));
    await this.ready(member);
    this.members.push(member);
    return member;
  }

  private ready(m: Member): Promise<void> {
    const name = `${m.role}${m.index}`;
    let out = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start in time:\n${out}`)), READY_MS);
      let up = false;
      m.child.stdout!.on('data', (d: Buffer) => {
        // Once up, stdout carries only the error-level log lines: worth seeing.
        if (up && !this.quiet) process.stderr.write(`[${name}] ${d.toString()}`);
        out += d.toString();
        if (!up && /listening on|worker running/.test(out)) {
          up = true;
          clearTimeout(timer);
          resolve();
        }
      });
      m.child.stderr!.on('data', (d: Buffer) => {
        out += d.toString();
        if (!this.quiet) process.stderr.write(`[${name}] ${d.toString()}`);
      });
      m.child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited early (${code ?? signal}):\n${out}`));
      });
    });
  }

  /** SIGKILL (a crash: no drain, no goodbye) or SIGTERM (a clean stop); resolves once it has exited. */
  async stop(m: Member, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    if (m.child.exitCode !== null || m.child.signalCode !== null) return;
    const i = this.members.indexOf(m);
    if (i >= 0) this.members.splice(i, 1);
    this.spentCpu[m.role] += await cpuWithChildren(m.child.pid!);
    const exited = new Promise<void>((resolve) => m.child.once('exit', () => resolve()));
    m.child.kill(signal);
    const force = setTimeout(() => m.child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(force);
  }

  /** Deletes every key under this cluster's Redis prefix: what a Redis restart without persistence (or a FLUSHALL) does to it. */
  flushRedis(): Promise<void> {
    return clearRedisPrefix(this.redisPrefix);
  }

  /**
   * What Redis holds for each BullMQ job (`queue`, job id): whether it is queued at all, and
   * when a worker last began it (BullMQ's `processedOn`, epoch ms; null: not begun).
   */
  async jobStates(jobs: Array<{ queue: string; id: string }>): Promise<Map<string, { queued: boolean; processedOn: number | null }>> {
    const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await r.connect();
    try {
      const pipe = r.pipeline();
      for (const j of jobs) pipe.hmget(`${this.redisPrefix}:${j.queue}:${j.id}`, 'timestamp', 'processedOn');
      const answers = (await pipe.exec()) ?? [];
      return new Map(jobs.map((j, i) => {
        const [ts, processedOn] = (answers[i]?.[1] as Array<string | null> | undefined) ?? [null, null];
        return [j.id, { queued: ts !== null, processedOn: processedOn ? Number(processedOn) : null }];
      }));
    } finally {
      r.disconnect();
    }
  }

  /** CPU seconds used so far by every process of each role, those already gone included. */
  async cpu(): Promise<Record<Role, number>> {
    const out = { ...this.spentCpu };
    for (const m of this.members) out[m.role] += await cpuWithChildren(m.child.pid!);
    return out;
  }

  /** PostgreSQL's own counters for this database: commits, rows inserted, updated, read. */
  async databaseCounters(): Promise<{ xact_commit: number; tup_inserted: number; tup_updated: number; tup_fetched: number }> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      // The statistics collector publishes with a delay; this forces a fresh snapshot.
      await client.query('SELECT pg_stat_clear_snapshot()');
      const { rows } = await client.query('SELECT xact_commit, tup_inserted, tup_updated, tup_fetched FROM pg_stat_database WHERE datname = current_database()');
      const row = rows[0] as Record<string, string>;
      return { xact_commit: Number(row.xact_commit), tup_inserted: Number(row.tup_inserted), tup_updated: Number(row.tup_updated), tup_fetched: Number(row.tup_fetched) };
    } finally {
      await client.end();
    }
  }

  /** A namespace and an API key for it, made through the first API process. */
  async tenant(name: string): Promise<{ namespaceId: string; key: string }> {
    const base = this.apis()[0]!.url!;
    const post = async (route: string, json: unknown) => {
      const res = await fetch(base + route, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(json) });
      const body = (await res.json()) as { data: Record<string, string> };
      if (!res.ok) throw new Error(`POST ${route}: ${res.status} ${JSON.stringify(body)}`);
      return body.data;
    };
    const ns = await post('/v1/namespaces', { name });
    const key = await post('/v1/keys', { namespace_id: ns.id, name });
    return { namespaceId: ns.id!, key: key.secret! };
  }
}

async function clearRedisPrefix(prefix: string): Promise<void> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  try {
    for await (const keys of r.scanStream({ match: `${prefix}:*`, count: 500 }) as AsyncIterable<string[]>) if (keys.length) await r.del(...keys);
  } finally {
    r.disconnect();
  }
}
