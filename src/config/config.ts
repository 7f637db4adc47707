/**
 * The one reader of process.env. CONFIG below is the table of every setting: its variable,
 * what it accepts, its default and its documentation, in groups. The Config type, the
 * validation (`loadConfig`: every bad variable reported at once, never the first only) and
 * the documentation (docs.ts: the README's table, `intake serve --help`) all come from it.
 * Only node:os and node:path here: `intake --help` loads this.
 */
import os from 'node:os';
import path from 'node:path';
import {
  bool,
  command,
  folder,
  group,
  httpUrl,
  int,
  map,
  oneOf,
  optionalHttpUrl,
  optionalInt,
  optionalText,
  Reader,
  text,
  variable,
  when,
  type Env,
  type ValueOf,
} from './settings.js';

export const MIB = 1024 * 1024;

export const MEDIA_KINDS = ['image', 'video', 'audio', 'document'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];

/** 5 TiB, in MiB: the largest file limit. */
const MAX_FILE_MB = 5 * 1024 * 1024;
const RATE_MAX = 100_000_000;
const DEFAULT_LADDER: readonly number[] = Object.freeze([1080, 720, 480, 360]);

// Settings other settings' defaults are computed from.
const host = text({ env: 'INTAKE_HOST', default: '127.0.0.1', doc: 'address to bind (`0.0.0.0` for all interfaces)' });
const port = int({ env: 'INTAKE_PORT', default: 3000, min: 0, max: 65535, doc: 'port to listen on' });
const dataDir = folder({ env: 'INTAKE_DATA_DIR', default: './data', doc: 'SQLite database, stored objects (local storage), generated secrets; relative to the working folder' });
const storageDriver = oneOf({ env: 'INTAKE_STORAGE', values: ['local', 's3'], default: 'local', doc: '`s3` to keep objects in an S3-compatible bucket ([docs/S3.md](docs/S3.md))' });

const kindLimit = (kind: MediaKind) =>
  optionalInt({ env: `INTAKE_MAX_${kind.toUpperCase()}_MB`, min: 1, max: MAX_FILE_MB, unit: 'MiB', scale: MIB, shown: 'none', doc: `largest ${kind} file (namespaces can set tighter limits)` });

const s3 = map(
  group(
    {
      bucket: text({
        env: 'INTAKE_S3_BUCKET',
        default: '',
        shown: '',
        accepts: 'bucket name',
        doc: 'the bucket (it must exist; Intake never creates or configures it)',
        // S3's bucket naming rules (3-63 lowercase letters, digits, dots, hyphens).
        check: (v) => (/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v) ? null : 'INTAKE_S3_BUCKET must be a bucket name (3-63 lowercase letters, digits, dots, hyphens)'),
      }),
      region: text({ env: 'INTAKE_S3_REGION', default: 'us-east-1', doc: 'the bucket\'s region (`auto` for R2)' }),
      /** Null for AWS itself. */
      endpoint: optionalHttpUrl({ env: 'INTAKE_S3_ENDPOINT', shown: 'empty (AWS)', doc: 'the store\'s URL (R2, MinIO, Ceph, …)' }),
      forcePathStyle: bool({ env: 'INTAKE_S3_FORCE_PATH_STYLE', default: false, doc: '`host/bucket/key` URLs instead of `bucket.host/key` (MinIO, Ceph)' }),
      /** Both null: the SDK's default credential chain (env, profile, instance role). */
      accessKeyId: optionalText({ env: 'INTAKE_S3_ACCESS_KEY_ID', shown: 'the SDK\'s default chain', doc: 'static credentials, with `INTAKE_S3_SECRET_ACCESS_KEY`' }),
      secretAccessKey: optionalText({ env: 'INTAKE_S3_SECRET_ACCESS_KEY', shown: 'the SDK\'s default chain', doc: 'static credentials, with `INTAKE_S3_ACCESS_KEY_ID`' }),
      /** The host browsers use, when it differs from `endpoint`. */
      publicEndpoint: optionalHttpUrl({ env: 'INTAKE_S3_PUBLIC_ENDPOINT', shown: '`INTAKE_S3_ENDPOINT`', doc: 'the URL browsers use, when it differs from Intake\'s' }),
      /** The store honours `If-None-Match: *` on PUT (AWS, R2, Ceph, MinIO). */
      conditionalWrites: bool({ env: 'INTAKE_S3_CONDITIONAL_WRITES', default: true, doc: 'sign `If-None-Match: *` into upload URLs (the store refuses a second PUT)' }),
      /** The store verifies `x-amz-checksum-sha256` on PUT (AWS; not Ceph 16). */
      verifiesChecksums: bool({
        env: 'INTAKE_S3_VERIFIES_CHECKSUMS',
        default: false,
        doc: 'the store verifies `x-amz-checksum-sha256` (AWS S3): sign it when `file_hash` is given and trust the store\'s SHA-256',
      }),
    },
    { title: 'S3 storage', note: 'Read only when `INTAKE_STORAGE=s3`; [docs/S3.md](docs/S3.md) has each provider\'s values.' },
  ),
  (v, reader) => {
    if ((v.accessKeyId === null) !== (v.secretAccessKey === null)) {
      reader.problem('INTAKE_S3_ACCESS_KEY_ID and INTAKE_S3_SECRET_ACCESS_KEY go together (or leave both unset for the default credential chain)');
    }
    return v;
  },
);

/** "1080,720,480,360": distinct even heights from 2 to 4320, kept largest first. */
const videoLadder = variable(
  { env: 'INTAKE_VIDEO_LADDER', accepts: 'even heights 2–4320, comma-separated', default: '`1080,720,480,360`', doc: 'rendition heights; a video never gets one above its own height' },
  (raw, reader): readonly number[] => {
    if (raw === undefined || raw.trim() === '') return DEFAULT_LADDER;
    const heights = raw.split(',').map((h) => Number(h.trim()));
    if (heights.some((h) => !Number.isInteger(h) || h < 2 || h > 4320 || h % 2 !== 0)) {
      reader.problem(`INTAKE_VIDEO_LADDER must be comma-separated even heights from 2 to 4320 (got ${JSON.stringify(raw)})`);
      return DEFAULT_LADDER;
    }
    return Object.freeze([...new Set(heights)].sort((a, b) => b - a));
  },
);

const allowedTypes = variable(
  { env: 'INTAKE_ALLOWED_TYPES', accepts: 'MIME types, comma-separated', default: 'built-in list ([docs/API-NOTES.md](docs/API-NOTES.md))', doc: 'the types to accept (case-insensitive)' },
  (raw, reader): readonly string[] | null => {
    if (!raw) return null;
    const types = raw.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
    const bad = types.filter((t) => !/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(t));
    if (bad.length) reader.problem(`INTAKE_ALLOWED_TYPES has invalid MIME types: ${bad.join(', ')}`);
    return Object.freeze(types);
  },
);

/** The compatibility routes (docs/COMPAT.md) a server mounts. */
export const COMPAT_APIS = ['mediakit', 'videoapi', 'mediaupload', 'mixpeek', 'ittybit'] as const;
export type CompatApi = (typeof COMPAT_APIS)[number];

/** "mediakit,videoapi", "none", or unset for all of them. */
const compatApis = variable(
  { env: 'INTAKE_COMPAT', accepts: '`none`, or names comma-separated', default: `all: ${COMPAT_APIS.map((n) => `\`${n}\``).join(', ')}`, doc: 'the compatibility routes to mount ([docs/COMPAT.md](docs/COMPAT.md))' },
  (raw, reader): readonly CompatApi[] => {
    if (raw === undefined || raw.trim() === '') return COMPAT_APIS;
    if (raw.trim().toLowerCase() === 'none') return Object.freeze([]);
    const names = raw.split(',').map((n) => n.trim().toLowerCase()).filter(Boolean);
    const bad = names.filter((n) => !(COMPAT_APIS as readonly string[]).includes(n));
    if (bad.length) reader.problem(`INTAKE_COMPAT must be "none" or names from ${COMPAT_APIS.join(', ')} (unknown: ${bad.join(', ')})`);
    return Object.freeze([...new Set(names)].filter((n): n is CompatApi => (COMPAT_APIS as readonly string[]).includes(n)));
  },
);

/** The table: every setting, in groups; `Config` is what it reads. */
export const CONFIG = group({
  http: group(
    {
      host,
      port,
      publicUrl: httpUrl({
        env: 'INTAKE_PUBLIC_URL',
        default: (r) => {
          const h = r.read(host);
          return `http://${h.includes(':') ? `[${h}]` : h}:${r.read(port)}`;
        },
        shown: '`http://HOST:PORT`',
        doc: 'base of the signed upload/download URLs clients receive',
      }),
      trustProxy: bool({ env: 'INTAKE_TRUST_PROXY', default: false, doc: 'trust `X-Forwarded-*` from a reverse proxy' }),
      rateLimitPerMinute: int({
        env: 'INTAKE_RATE_LIMIT_PER_MINUTE',
        default: 6000,
        min: 1,
        max: RATE_MAX,
        doc: 'requests per API key per minute (a token bucket: bursts up to this, refilled continuously)',
      }),
      /** Per client address: requests without a valid key, and /files/* traffic. */
      addressRateLimitPerMinute: int({
        env: 'INTAKE_ADDRESS_RATE_LIMIT_PER_MINUTE',
        default: 6000,
        min: 1,
        max: RATE_MAX,
        doc: 'per client address: requests without a valid key, and `/files/*` traffic',
      }),
      /** A body (or download) slower than this over a window is cut off. */
      minTransferBytesPerSecond: int({
        env: 'INTAKE_MIN_TRANSFER_RATE',
        default: 1024,
        min: 1,
        max: 1024 * MIB,
        unit: 'bytes per second',
        doc: 'bytes per second a body or download must keep up, measured per window; slower connections are closed',
      }),
      transferWindowMs: int({ env: 'INTAKE_TRANSFER_WINDOW_MS', default: 30_000, min: 100, max: 3_600_000, unit: 'ms', doc: 'the window over which that rate is measured' }),
      /** Bodies being received at once (PUT/POST to signed URLs, form uploads); more get a 503. */
      maxConcurrentUploads: int({
        env: 'INTAKE_MAX_CONCURRENT_UPLOADS',
        default: 500,
        min: 1,
        max: 1_000_000,
        doc: 'bodies received at once (signed PUT/POST, form uploads); more get 503 with `Retry-After`',
      }),
      compat: compatApis,
      /** The media-upload API's `max_size` per category (docs/COMPAT.md). */
      mediaUploadMaxBytes: int({ env: 'INTAKE_MEDIAUPLOAD_MAX_MB', default: 20, min: 1, max: MAX_FILE_MB, unit: 'MiB', scale: MIB, doc: 'media-upload API (`POST /media/upload`): largest image or document' }),
      mediaUploadMaxVideoBytes: int({ env: 'INTAKE_MEDIAUPLOAD_MAX_VIDEO_MB', default: 500, min: 1, max: MAX_FILE_MB, unit: 'MiB', scale: MIB, doc: 'media-upload API: largest video' }),
    },
    { title: 'HTTP' },
  ),
  secrets: group(
    {
      /** Plain admin key; null means main/ generates and persists one. */
      adminKey: optionalText({
        env: 'INTAKE_ADMIN_KEY',
        accepts: '16+ characters',
        shown: 'generated into `DATA_DIR/admin.key`',
        doc: 'admin key for namespaces and keys; **required** scaled out (PostgreSQL, S3 or Redis configured): Intake stops rather than generate one per process',
        check: (v) => (v.length < 16 ? 'INTAKE_ADMIN_KEY must be at least 16 characters' : null),
      }),
      /** HMAC secret for signed URLs; null means main/ generates and persists one. */
      signingSecret: optionalText({
        env: 'INTAKE_SIGNING_SECRET',
        accepts: '32+ characters',
        shown: 'generated into `DATA_DIR/signing.key`',
        doc: 'HMAC secret for signed URLs; **required** scaled out, like the admin key',
        check: (v) => (v.length < 32 ? 'INTAKE_SIGNING_SECRET must be at least 32 characters' : null),
      }),
    },
    { title: 'Secrets' },
  ),
  storage: group(
    {
      /** Where objects live: local disk under dataDir, or an S3-compatible bucket. */
      driver: storageDriver,
      dataDir,
      /** Present when the driver is 's3'. */
      s3: when((r) => r.read(storageDriver) === 's3', s3),
    },
    { title: 'Storage' },
  ),
  database: group(
    {
      /** `sqlite:<file>` or `postgres://…` */
      url: text({
        env: 'INTAKE_DATABASE_URL',
        default: (r) => `sqlite:${path.join(r.read(dataDir), 'intake.db')}`,
        shown: '`sqlite:DATA_DIR/intake.db`',
        accepts: '`sqlite:FILE`, `postgres://…`',
        doc: 'the database: a SQLite file, or PostgreSQL (`postgres://user@host:5432/db`)',
        check: (v) => (/^(sqlite:|postgres(ql)?:\/\/)/.test(v) ? null : 'INTAKE_DATABASE_URL must start with sqlite: or postgres://'),
      }),
    },
    { title: 'Database' },
  ),
  redis: group(
    {
      /** BullMQ and the rate limits on this Redis when set; else the queue lives in the database. */
      url: optionalText({
        env: 'INTAKE_REDIS_URL',
        accepts: '`redis://…`, `rediss://…`',
        shown: 'none',
        doc: 'run the job queue on BullMQ in this Redis, and keep rate limits (per key and per address) there, shared by every API process; without it jobs live in the database and rate limits in process memory',
        check: (v) => (/^rediss?:\/\//.test(v) ? null : 'INTAKE_REDIS_URL must start with redis:// or rediss://'),
      }),
      prefix: text({ env: 'INTAKE_REDIS_PREFIX', default: 'intake', doc: 'key prefix for BullMQ and the rate limits (`…:ratelimit:`)' }),
    },
    { title: 'Redis' },
  ),
  uploads: group(
    {
      maxUploadBytes: int({ env: 'MAX_UPLOAD_SIZE_MB', default: 10 * 1024, min: 1, max: MAX_FILE_MB, unit: 'MiB', scale: MIB, doc: 'largest file of any kind' }),
      kindLimits: map(
        group({ image: kindLimit('image'), video: kindLimit('video'), audio: kindLimit('audio'), document: kindLimit('document') }),
        (limits): Readonly<Partial<Record<MediaKind, number>>> => {
          const set: Partial<Record<MediaKind, number>> = {};
          for (const kind of MEDIA_KINDS) if (limits[kind] !== null) set[kind] = limits[kind];
          return Object.freeze(set);
        },
      ),
      allowedTypes,
      sweepIntervalMs: int({ env: 'INTAKE_SWEEP_INTERVAL_SECONDS', default: 60, min: 1, max: 86400, unit: 'seconds', scale: 1000, doc: 'how often abandoned sessions are expired' }),
      /** A verification renews its session's lease every third of this; a holder that died is taken over after it. */
      verifyLeaseMs: int({
        env: 'INTAKE_VERIFY_LEASE_SECONDS',
        default: 10,
        min: 1,
        max: 600,
        unit: 'seconds',
        scale: 1000,
        doc: 'a complete holds its session under a lease this long, renewed while it verifies; after a crash, a retried complete or another process takes it over within this time (a retried complete waits for a live one, up to twice this or 20 s)',
      }),
      purgeAfterDays: int({ env: 'INTAKE_PURGE_AFTER_DAYS', default: 30, min: 1, max: 3650, unit: 'days', doc: 'failed, canceled and expired sessions are deleted after this' }),
      /** Multipart uploads no live session owns are aborted once this old; checked every half of it (at most a minute apart). */
      multipartGraceMs: int({
        env: 'INTAKE_MULTIPART_GRACE_SECONDS',
        default: 300,
        min: 1,
        max: 86400,
        unit: 'seconds',
        scale: 1000,
        doc: 'a multipart upload (resumable session parts, local or S3) that no open or completing session owns, such as one a crash left behind, is aborted once it is this old (checked every half of this, at most a minute apart, one process at a time); a live session\'s parts are never touched',
      }),
      /** Delay between start-up and the first storage reconciliation. */
      reconcileDelayMs: int({
        env: 'INTAKE_RECONCILE_DELAY_SECONDS',
        default: 60,
        min: 0,
        max: 86400,
        unit: 'seconds',
        scale: 1000,
        doc: 'first storage reconciliation after start (then daily, one process at a time)',
      }),
      /** Imports (`source_url`) may fetch from loopback, private and link-local addresses. */
      importAllowPrivate: bool({ env: 'INTAKE_IMPORT_ALLOW_PRIVATE', default: false, doc: 'let imports (`source_url`) fetch from loopback/private/link-local addresses (tests, private deployments)' }),
      /** The whole fetch of an import, connection to last byte. */
      importTimeoutMs: int({ env: 'INTAKE_IMPORT_TIMEOUT_SECONDS', default: 3600, min: 1, max: 86400, unit: 'seconds', scale: 1000, doc: 'an import (`source_url`) that has not fetched its last byte by then fails' }),
    },
    { title: 'Uploads' },
  ),
  media: group(
    {
      /** The ffprobe and ffmpeg executables: a command name looked up on PATH, or a path. */
      ffprobePath: command({
        env: 'INTAKE_FFPROBE_PATH',
        default: 'ffprobe',
        doc: 'the ffprobe executable: a command name looked up on `PATH`, or a path (relative to the working folder); while it is missing, completing audio or video answers 503 and the session stays open',
      }),
      ffmpegPath: command({
        env: 'INTAKE_FFMPEG_PATH',
        default: 'ffmpeg',
        doc: 'the ffmpeg executable that makes renditions (run under `nice -n 19`), named the same way; while it is missing, processing jobs are retried like any outage',
      }),
      /** libheif's decoder (Debian's libheif-examples): HEIC/HEIF renditions. */
      heifConvertPath: command({
        env: 'INTAKE_HEIF_CONVERT_PATH',
        default: 'heif-convert',
        doc: 'libheif\'s `heif-convert` (Debian: `libheif-examples`), which decodes HEIC/HEIF for their renditions inside the capped image child process, named the same way',
      }),
      videoLadder,
      maxImagePixels: int({ env: 'INTAKE_MAX_IMAGE_PIXELS', default: 100_000_000, min: 1, max: 2_000_000_000, doc: 'images with more pixels are refused (decompression bombs)' }),
      maxSvgElements: int({ env: 'INTAKE_MAX_SVG_ELEMENTS', default: 100_000, min: 1, max: 100_000_000, doc: 'SVGs with more elements are refused before they are parsed' }),
      /** Image decoding runs in child processes: at most this many at once. */
      imageConcurrency: int({
        env: 'INTAKE_IMAGE_CONCURRENCY',
        // Half the CPUs: decoding must leave the API a core.
        default: () => Math.max(1, Math.floor(os.availableParallelism() / 2)),
        shown: 'half the CPUs (at least 1)',
        min: 1,
        max: 64,
        doc: 'images decoded at once, each in its own child process (the rest wait)',
      }),
      /** Private memory one image job's process may use (RLIMIT_DATA). */
      imageMemoryMb: int({
        env: 'INTAKE_IMAGE_MEMORY_MB',
        default: 512,
        min: 160,
        max: 65536,
        unit: 'MiB',
        doc: 'private memory one image job\'s process may use (Node\'s own ~90 MB included); more is a 413 `too_complex`',
      }),
      imageTimeoutMs: int({
        env: 'INTAKE_IMAGE_TIMEOUT_MS',
        default: 30_000,
        min: 100,
        max: 3_600_000,
        unit: 'ms',
        doc: 'an image job that has used this much CPU time is killed (or 5× this long on the clock, waiting its turn at nice 19): 413 `too_complex` at verification; renditions that take longer are given up (the image stays `ready` with its original only)',
      }),
      imageIdleMs: int({ env: 'INTAKE_IMAGE_IDLE_MS', default: 5_000, min: 0, max: 3_600_000, unit: 'ms', doc: 'an idle image process exits after this (its memory goes back)' }),
    },
    { title: 'Media processing' },
  ),
  delivery: group(
    {
      /** Signed delivery links (sources, HLS, transforms) live this long unless the caller asks for another lifetime. */
      linkSeconds: int({ env: 'INTAKE_LINK_SECONDS', default: 3600, min: 1, max: 604_800, unit: 'seconds', doc: 'how long a signed delivery link lives when the API caller does not choose (`expires_in`)' }),
      /** The longest `expires_in` a caller may ask for (S3 presigns at most 7 days). */
      maxLinkSeconds: int({ env: 'INTAKE_MAX_LINK_SECONDS', default: 604_800, min: 1, max: 604_800, unit: 'seconds', doc: 'the longest lifetime a caller may choose for a signed delivery link (`expires_in`; at most 7 days, S3\'s own bound)' }),
      /** On-demand transforms rendering at once for one namespace, per process: a flood from one tenant waits its turn. */
      transformConcurrency: int({ env: 'INTAKE_TRANSFORM_CONCURRENCY', default: 2, min: 1, max: 64, doc: 'image transforms rendered at once per namespace and process (the rest wait; cached ones are served at once)' }),
    },
    { title: 'Delivery' },
  ),
  jobs: group(
    {
      /** `intake serve` runs an in-process worker unless this is false (INTAKE_WORKERS=0). */
      workers: bool({ env: 'INTAKE_WORKERS', default: true, doc: 'false (`0`): `intake serve` runs the API only (run `intake worker` processes for jobs)' }),
      /** How long a worker holds a job without renewing before another may take it. */
      leaseMs: int({
        env: 'INTAKE_JOB_LEASE_SECONDS',
        default: 60,
        min: 1,
        max: 3600,
        unit: 'seconds',
        scale: 1000,
        doc: 'a job whose worker stops renewing it for this long is taken by another worker',
      }),
      /** BullMQ: how often the jobs the database records as relayed are compared with Redis. */
      reconcileMs: int({
        env: 'INTAKE_JOB_RECONCILE_SECONDS',
        default: 30,
        min: 1,
        max: 3600,
        unit: 'seconds',
        scale: 1000,
        doc: 'with Redis: how often (and once at start) the jobs the database records as unfinished are compared with Redis, and any Redis lost (a restart without persistence, a `FLUSHALL`) queued again',
      }),
      /** Overrides every job's first retry wait (tests); null keeps the catalogue's. */
      retryBaseMs: optionalInt({ env: 'INTAKE_JOB_RETRY_BASE_MS', min: 1, max: 3_600_000, unit: 'ms', shown: 'per job', doc: 'override the first retry wait of every job (tests)' }),
      /** Transcodes run at once per worker process. */
      mediaConcurrency: int({ env: 'INTAKE_MEDIA_CONCURRENCY', default: 1, min: 1, max: 64, doc: 'transcodes at once per worker process' }),
    },
    { title: 'Jobs' },
  ),
  webhooks: group(
    {
      /** Let webhook URLs resolve to loopback, link-local or private addresses. */
      allowPrivate: bool({ env: 'INTAKE_WEBHOOK_ALLOW_PRIVATE', default: false, doc: 'let webhook URLs resolve to loopback/private/link-local addresses' }),
    },
    { title: 'Webhooks' },
  ),
  shutdown: group(
    {
      /** SIGTERM/SIGINT: how long running requests and jobs may finish before they are handed back. */
      deadlineMs: int({
        env: 'INTAKE_SHUTDOWN_SECONDS',
        default: 20,
        min: 0,
        max: 3600,
        unit: 'seconds',
        scale: 1000,
        doc: 'on SIGTERM a process stops taking requests and jobs and lets running ones finish for this long; jobs still running then go back to the queue for another worker, then it exits 0 (keep it under your supervisor\'s kill timeout: systemd and Kubernetes wait 30 s by default)',
      }),
    },
    { title: 'Shutdown' },
  ),
  log: group(
    {
      level: oneOf({
        env: 'INTAKE_LOG_LEVEL',
        values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
        default: 'info',
        doc: 'pino level (`silent` to turn logs off); stdout carries JSON lines only, and the start-up lines (listening URL, admin key file, worker running) are logged at `info` whatever the level',
      }),
    },
    { title: 'Logging' },
  ),
});

export type Config = ValueOf<typeof CONFIG>;
export type S3Config = NonNullable<Config['storage']['s3']>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads every setting of CONFIG from `env`; throws one ConfigError listing every bad variable. */
export function loadConfig(env: Env, cwd = process.cwd()): Config {
  const reader = new Reader(env, cwd);
  const config = reader.read(CONFIG);
  if (reader.problems.length) throw new ConfigError(reader.problems);
  return config;
}
