/**
 * The one reader of process.env. `loadConfig` parses, validates and freezes; a bad
 * environment is reported with every bad variable at once, never the first only.
 */
import os from 'node:os';
import path from 'node:path';

export const MIB = 1024 * 1024;

export const MEDIA_KINDS = ['image', 'video', 'audio', 'document'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly publicUrl: string;
  readonly dataDir: string;
  /** `sqlite:<file>` or `postgres://…` */
  readonly databaseUrl: string;
  /** Plain admin key from INTAKE_ADMIN_KEY; null means main/ generates and persists one. */
  readonly adminKey: string | null;
  /** HMAC secret for signed URLs; null means main/ generates and persists one. */
  readonly signingSecret: string | null;
  readonly maxUploadBytes: number;
  readonly kindLimits: Readonly<Partial<Record<MediaKind, number>>>;
  readonly allowedTypes: readonly string[] | null;
  readonly maxImagePixels: number;
  readonly rateLimitPerMinute: number;
  readonly sweepIntervalMs: number;
  readonly purgeAfterDays: number;
  readonly logLevel: string;
  readonly trustProxy: boolean;
  /** BullMQ on this Redis when set; else the queue lives in the database. */
  readonly redisUrl: string | null;
  readonly redisPrefix: string;
  /** `intake serve` runs an in-process worker unless this is false (INTAKE_WORKERS=0). */
  readonly workers: boolean;
  /** How long a worker holds a job without renewing before another may take it. */
  readonly jobLeaseMs: number;
  /** Overrides every job's first retry wait (tests); null keeps the catalogue's. */
  readonly jobRetryBaseMs: number | null;
  /** Transcodes run at once per worker process. */
  readonly mediaConcurrency: number;
  /** Rendition heights for video, largest first. */
  readonly videoLadder: readonly number[];
  /** Let webhook URLs resolve to loopback, link-local or private addresses. */
  readonly webhookAllowPrivate: boolean;
  /** Image decoding runs in child processes: at most this many at once. */
  readonly imageConcurrency: number;
  /** Private memory one image job's process may use (RLIMIT_DATA). */
  readonly imageMemoryMb: number;
  readonly imageTimeoutMs: number;
  readonly maxSvgElements: number;
  readonly imageIdleMs: number;
  /** Percent of each 500 ms media processes may run while the API is busy (100: never held back). */
  readonly mediaBusyDutyPercent: number;
  /** A body (or download) slower than this over a window is cut off. */
  readonly minTransferBytesPerSecond: number;
  readonly transferWindowMs: number;
  /** Bodies being received at once (PUT/POST to signed URLs, form uploads); more get a 503. */
  readonly maxConcurrentUploads: number;
  /** Delay between start-up and the first storage reconciliation. */
  readonly reconcileDelayMs: number;
  /** Per client address: requests without a valid key, and /files/* traffic. */
  readonly addressRateLimitPerMinute: number;
  /** Where objects live: local disk under dataDir, or an S3-compatible bucket. */
  readonly storage: 'local' | 's3';
  /** Present when storage is 's3'. */
  readonly s3: S3Config | null;
  /** The ffprobe and ffmpeg executables: a command name looked up on PATH, or a path. */
  readonly ffprobePath: string;
  readonly ffmpegPath: string;
}

export interface S3Config {
  readonly bucket: string;
  readonly region: string;
  /** Empty for AWS itself. */
  readonly endpoint: string | null;
  readonly forcePathStyle: boolean;
  /** Both null: the SDK's default credential chain (env, profile, instance role). */
  readonly accessKeyId: string | null;
  readonly secretAccessKey: string | null;
  /** The host browsers use, when it differs from `endpoint`. */
  readonly publicEndpoint: string | null;
  /** The store verifies `x-amz-checksum-sha256` on PUT (AWS; not Ceph 16). */
  readonly verifiesChecksums: boolean;
  /** The store honours `If-None-Match: *` on PUT (AWS, R2, Ceph, MinIO). */
  readonly conditionalWrites: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env, cwd = process.cwd()): Config {
  const problems: string[] = [];
  const int = (name: string, def: number, min: number, max: number): number => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return def;
    const n = /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
      return def;
    }
    return n;
  };
  const str = (name: string, def: string): string => {
    const raw = env[name];
    return raw === undefined || raw === '' ? def : raw;
  };

  const host = str('INTAKE_HOST', '127.0.0.1');
  const port = int('INTAKE_PORT', 3000, 0, 65535);
  const dataDir = path.resolve(cwd, str('INTAKE_DATA_DIR', './data'));
  const publicUrl = str('INTAKE_PUBLIC_URL', `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, '');
  try {
    const u = new URL(publicUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
  } catch {
    problems.push(`INTAKE_PUBLIC_URL must be an http(s) URL (got ${JSON.stringify(publicUrl)})`);
  }

  const databaseUrl = str('INTAKE_DATABASE_URL', `sqlite:${path.join(dataDir, 'intake.db')}`);
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    problems.push('INTAKE_DATABASE_URL must start with sqlite: or postgres://');
  }

  const adminKey = env.INTAKE_ADMIN_KEY ? env.INTAKE_ADMIN_KEY : null;
  if (adminKey !== null && adminKey.length < 16) problems.push('INTAKE_ADMIN_KEY must be at least 16 characters');
  const signingSecret = env.INTAKE_SIGNING_SECRET ? env.INTAKE_SIGNING_SECRET : null;
  if (signingSecret !== null && signingSecret.length < 32) problems.push('INTAKE_SIGNING_SECRET must be at least 32 characters');

  const maxUploadBytes = int('MAX_UPLOAD_SIZE_MB', 10 * 1024, 1, 5 * 1024 * 1024) * MIB;
  const kindLimits: Partial<Record<MediaKind, number>> = {};
  for (const kind of MEDIA_KINDS) {
    const name = `INTAKE_MAX_${kind.toUpperCase()}_MB`;
    if (env[name]) kindLimits[kind] = int(name, 1, 1, 5 * 1024 * 1024) * MIB;
  }

  const typesRaw = env.INTAKE_ALLOWED_TYPES;
  let allowedTypes: string[] | null = null;
  if (typesRaw) {
    allowedTypes = typesRaw.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
    const bad = allowedTypes.filter((t) => !/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(t));
    if (bad.length) problems.push(`INTAKE_ALLOWED_TYPES has invalid MIME types: ${bad.join(', ')}`);
  }

  const logLevel = str('INTAKE_LOG_LEVEL', 'info');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    problems.push('INTAKE_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent');
  }

  const bool = (name: string, def: boolean): boolean => {
    const raw = env[name]?.trim().toLowerCase();
    if (raw === undefined || raw === '') return def;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    problems.push(`${name} must be true or false (got ${JSON.stringify(env[name])})`);
    return def;
  };
  const storage = str('INTAKE_STORAGE', 'local');
  if (storage !== 'local' && storage !== 's3') problems.push('INTAKE_STORAGE must be local or s3');
  const s3 = storage === 's3' ? s3Config(env, str, bool, problems) : null;
  // Not checked for existence here: a tool missing at run time is an outage (503), reported then.
  const tool = (name: string, def: string): string => {
    const raw = str(name, def);
    if (raw.trim() !== raw || raw.startsWith('-') || raw.includes('\0')) {
      problems.push(`${name} must be a command name or a path (got ${JSON.stringify(raw)})`);
      return def;
    }
    return raw.includes('/') ? path.resolve(cwd, raw) : raw;
  };

  const config: Config = {
    host,
    port,
    publicUrl,
    dataDir,
    databaseUrl,
    adminKey,
    signingSecret,
    maxUploadBytes,
    kindLimits,
    allowedTypes,
    maxImagePixels: int('INTAKE_MAX_IMAGE_PIXELS', 100_000_000, 1, 2_000_000_000),
    rateLimitPerMinute: int('INTAKE_RATE_LIMIT_PER_MINUTE', 6000, 1, 100_000_000),
    sweepIntervalMs: int('INTAKE_SWEEP_INTERVAL_SECONDS', 60, 1, 86400) * 1000,
    purgeAfterDays: int('INTAKE_PURGE_AFTER_DAYS', 30, 1, 3650),
    logLevel,
    trustProxy: str('INTAKE_TRUST_PROXY', 'false') === 'true',
    redisUrl: env.INTAKE_REDIS_URL ? env.INTAKE_REDIS_URL : null,
    redisPrefix: str('INTAKE_REDIS_PREFIX', 'intake'),
    workers: int('INTAKE_WORKERS', 1, 0, 1) === 1,
    jobLeaseMs: int('INTAKE_JOB_LEASE_SECONDS', 60, 1, 3600) * 1000,
    jobRetryBaseMs: env.INTAKE_JOB_RETRY_BASE_MS ? int('INTAKE_JOB_RETRY_BASE_MS', 1000, 1, 3_600_000) : null,
    mediaConcurrency: int('INTAKE_MEDIA_CONCURRENCY', 1, 1, 64),
    videoLadder: ladder(env.INTAKE_VIDEO_LADDER, problems),
    webhookAllowPrivate: str('INTAKE_WEBHOOK_ALLOW_PRIVATE', 'false') === 'true',
    // Half the CPUs: decoding must leave the API a core (hostile-load benchmark, docs/BENCHMARKS.md).
    imageConcurrency: int('INTAKE_IMAGE_CONCURRENCY', Math.max(1, Math.floor(os.availableParallelism() / 2)), 1, 64),
    imageMemoryMb: int('INTAKE_IMAGE_MEMORY_MB', 512, 160, 65536),
    imageTimeoutMs: int('INTAKE_IMAGE_TIMEOUT_MS', 30_000, 100, 3_600_000),
    maxSvgElements: int('INTAKE_MAX_SVG_ELEMENTS', 100_000, 1, 100_000_000),
    imageIdleMs: int('INTAKE_IMAGE_IDLE_MS', 5_000, 0, 3_600_000),
    mediaBusyDutyPercent: int('INTAKE_MEDIA_BUSY_DUTY_PERCENT', 10, 5, 100),
    minTransferBytesPerSecond: int('INTAKE_MIN_TRANSFER_RATE', 1024, 1, 1024 * MIB),
    transferWindowMs: int('INTAKE_TRANSFER_WINDOW_MS', 30_000, 100, 3_600_000),
    maxConcurrentUploads: int('INTAKE_MAX_CONCURRENT_UPLOADS', 500, 1, 1_000_000),
    reconcileDelayMs: int('INTAKE_RECONCILE_DELAY_SECONDS', 60, 0, 86400) * 1000,
    addressRateLimitPerMinute: int('INTAKE_ADDRESS_RATE_LIMIT_PER_MINUTE', 6000, 1, 100_000_000),
    storage: storage === 's3' ? 's3' : 'local',
    s3,
    ffprobePath: tool('INTAKE_FFPROBE_PATH', 'ffprobe'),
    ffmpegPath: tool('INTAKE_FFMPEG_PATH', 'ffmpeg'),
  };
  if (config.redisUrl !== null && !/^rediss?:\/\//.test(config.redisUrl)) problems.push('INTAKE_REDIS_URL must start with redis:// or rediss://');
  if (problems.length) throw new ConfigError(problems);
  return Object.freeze(config);
}

/** "1080,720,480,360": distinct even heights from 2 to 4320, kept largest first. */
function ladder(raw: string | undefined, problems: string[]): number[] {
  if (raw === undefined || raw.trim() === '') return [1080, 720, 480, 360];
  const heights = raw.split(',').map((h) => Number(h.trim()));
  if (heights.some((h) => !Number.isInteger(h) || h < 2 || h > 4320 || h % 2 !== 0)) {
    problems.push(`INTAKE_VIDEO_LADDER must be comma-separated even heights from 2 to 4320 (got ${JSON.stringify(raw)})`);
    return [1080, 720, 480, 360];
  }
  return [...new Set(heights)].sort((a, b) => b - a);
}

function s3Config(env: Env, str: (n: string, d: string) => string, bool: (n: string, d: boolean) => boolean, problems: string[]): S3Config {
  const url = (name: string): string | null => {
    const raw = str(name, '').replace(/\/+$/, '');
    if (!raw) return null;
    try {
      const u = new URL(raw);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    } catch {
      problems.push(`${name} must be an http(s) URL (got ${JSON.stringify(raw)})`);
    }
    return raw;
  };
  const bucket = str('INTAKE_S3_BUCKET', '');
  // S3's bucket naming rules (3-63 lowercase letters, digits, dots, hyphens).
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) problems.push('INTAKE_S3_BUCKET must be a bucket name (3-63 lowercase letters, digits, dots, hyphens)');
  const accessKeyId = str('INTAKE_S3_ACCESS_KEY_ID', '') || null;
  const secretAccessKey = str('INTAKE_S3_SECRET_ACCESS_KEY', '') || null;
  if ((accessKeyId === null) !== (secretAccessKey === null)) {
    problems.push('INTAKE_S3_ACCESS_KEY_ID and INTAKE_S3_SECRET_ACCESS_KEY go together (or leave both unset for the default credential chain)');
  }
  return {
    bucket,
    region: str('INTAKE_S3_REGION', 'us-east-1'),
    endpoint: url('INTAKE_S3_ENDPOINT'),
    forcePathStyle: bool('INTAKE_S3_FORCE_PATH_STYLE', false),
    accessKeyId,
    secretAccessKey,
    publicEndpoint: url('INTAKE_S3_PUBLIC_ENDPOINT'),
    verifiesChecksums: bool('INTAKE_S3_VERIFIES_CHECKSUMS', false),
    conditionalWrites: bool('INTAKE_S3_CONDITIONAL_WRITES', true),
  };
}
