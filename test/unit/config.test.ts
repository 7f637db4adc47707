import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { COMPAT_APIS, ConfigError, loadConfig, MIB, type Config } from '../../src/config/config.js';

const CWD = path.resolve('/srv/intake');

/** The ConfigError loadConfig throws for `env`. */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, CWD);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('has working defaults for an empty environment, and freezes the result', () => {
    const c = loadConfig({}, CWD);
    assert.deepEqual(c, {
      http: {
        host: '127.0.0.1',
        port: 3000,
        publicUrl: 'http://127.0.0.1:3000',
        trustProxy: false,
        rateLimitPerMinute: 6000,
        addressRateLimitPerMinute: 6000,
        minTransferBytesPerSecond: 1024,
        transferWindowMs: 30_000,
        maxConcurrentUploads: 500,
        compat: COMPAT_APIS,
        mediaUploadMaxBytes: 20 * MIB,
        mediaUploadMaxVideoBytes: 500 * MIB,
      },
      secrets: { adminKey: null, signingSecret: null },
      storage: { driver: 'local', dataDir: path.join(CWD, 'data'), s3: null },
      database: { url: `sqlite:${path.join(CWD, 'data', 'intake.db')}` },
      redis: { url: null, prefix: 'intake' },
      uploads: {
        maxUploadBytes: 10 * 1024 * MIB,
        kindLimits: {},
        allowedTypes: null,
        sweepIntervalMs: 60_000,
        verifyLeaseMs: 10_000,
        purgeAfterDays: 30,
        multipartGraceMs: 300_000,
        reconcileDelayMs: 60_000,
        importAllowPrivate: false,
        importTimeoutMs: 3_600_000,
      },
      media: {
        ffprobePath: 'ffprobe',
        ffmpegPath: 'ffmpeg',
        heifConvertPath: 'heif-convert',
        videoLadder: [1080, 720, 480, 360],
        maxImagePixels: 100_000_000,
        maxSvgElements: 100_000,
        imageConcurrency: Math.max(1, Math.floor(os.availableParallelism() / 2)),
        imageMemoryMb: 512,
        imageTimeoutMs: 30_000,
        imageIdleMs: 5_000,
      },
      jobs: { workers: true, leaseMs: 60_000, reconcileMs: 30_000, retryBaseMs: null, mediaConcurrency: 1 },
      webhooks: { allowPrivate: false },
      shutdown: { deadlineMs: 20_000 },
      delivery: { linkSeconds: 3600, maxLinkSeconds: 604_800, transformConcurrency: 2 },
      log: { level: 'info' },
    });
    assert.ok(Object.isFrozen(c));
    for (const group of Object.values(c)) assert.ok(Object.isFrozen(group));
  });

  it('treats empty strings as unset', () => {
    const c = loadConfig({ INTAKE_PORT: '', MAX_UPLOAD_SIZE_MB: '', INTAKE_ADMIN_KEY: '', INTAKE_LOG_LEVEL: '' }, CWD);
    assert.equal(c.http.port, 3000);
    assert.equal(c.uploads.maxUploadBytes, 10 * 1024 * MIB);
    assert.equal(c.secrets.adminKey, null);
    assert.equal(c.log.level, 'info');
  });

  it('reads the variables it is given', () => {
    const c = loadConfig(
      {
        INTAKE_HOST: '::1',
        INTAKE_PORT: '8080',
        INTAKE_DATA_DIR: 'var',
        INTAKE_DATABASE_URL: 'postgresql://u@db/intake',
        INTAKE_ADMIN_KEY: 'a'.repeat(16),
        INTAKE_SIGNING_SECRET: 's'.repeat(32),
        INTAKE_MAX_VIDEO_MB: '100',
        INTAKE_ALLOWED_TYPES: ' Image/PNG , video/mp4,, ',
        INTAKE_TRUST_PROXY: 'true',
      },
      CWD,
    );
    assert.equal(c.http.publicUrl, 'http://[::1]:8080');
    assert.equal(c.storage.dataDir, path.join(CWD, 'var'));
    assert.equal(c.http.host, '::1');
    assert.equal(c.http.port, 8080);
    assert.equal(c.database.url, 'postgresql://u@db/intake');
    assert.equal(c.secrets.adminKey, 'a'.repeat(16));
    assert.equal(c.secrets.signingSecret, 's'.repeat(32));
    assert.deepEqual(c.uploads.kindLimits, { video: 100 * MIB });
    assert.deepEqual(c.uploads.allowedTypes, ['image/png', 'video/mp4']);
    assert.equal(c.http.trustProxy, true);
    assert.equal(loadConfig({ INTAKE_PUBLIC_URL: 'https://media.example.com//' }, CWD).http.publicUrl, 'https://media.example.com');
  });

  it('INTAKE_FFPROBE_PATH and INTAKE_FFMPEG_PATH name the tools: a command on PATH, or a path resolved from the working folder', () => {
    const named = loadConfig({ INTAKE_FFPROBE_PATH: 'ffprobe7', INTAKE_FFMPEG_PATH: 'ffmpeg7' }, CWD);
    assert.deepEqual([named.media.ffprobePath, named.media.ffmpegPath], ['ffprobe7', 'ffmpeg7']);
    const paths = loadConfig({ INTAKE_FFPROBE_PATH: '/opt/ffmpeg/bin/ffprobe', INTAKE_FFMPEG_PATH: 'tools/ffmpeg' }, CWD);
    assert.deepEqual([paths.media.ffprobePath, paths.media.ffmpegPath], ['/opt/ffmpeg/bin/ffprobe', path.join(CWD, 'tools', 'ffmpeg')]);
    // Not checked for existence: a tool missing at run time is an outage, answered then.
    assert.equal(loadConfig({ INTAKE_FFPROBE_PATH: '/nowhere/ffprobe' }, CWD).media.ffprobePath, '/nowhere/ffprobe');
    assert.deepEqual([loadConfig({ INTAKE_FFPROBE_PATH: '', INTAKE_FFMPEG_PATH: '' }, CWD).media.ffprobePath, loadConfig({ INTAKE_FFMPEG_PATH: '' }, CWD).media.ffmpegPath], ['ffprobe', 'ffmpeg']);
    // An option where the executable goes (nice would read it as its own), or stray spaces, are refused.
    const problems = problemsOf({ INTAKE_FFPROBE_PATH: '-version', INTAKE_FFMPEG_PATH: ' ffmpeg' });
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems[0]!, /INTAKE_FFPROBE_PATH must be a command name or a path/);
    assert.match(problems[1]!, /INTAKE_FFMPEG_PATH must be a command name or a path/);
  });

  it('INTAKE_VIDEO_LADDER sets the rendition heights: distinct, largest first; odd or out-of-range heights are refused', () => {
    assert.deepEqual(loadConfig({ INTAKE_VIDEO_LADDER: '480, 1440,480,240' }, CWD).media.videoLadder, [1440, 480, 240]);
    assert.deepEqual(loadConfig({ INTAKE_VIDEO_LADDER: '' }, CWD).media.videoLadder, [1080, 720, 480, 360]);
    for (const bad of ['720,481', '0', '4322', '720,high', '720p']) {
      const problems = problemsOf({ INTAKE_VIDEO_LADDER: bad });
      assert.equal(problems.length, 1, `${bad}: ${problems.join('; ')}`);
      assert.match(problems[0]!, /INTAKE_VIDEO_LADDER must be comma-separated even heights/);
    }
  });

  it('reports every bad variable at once', () => {
    const env = {
      INTAKE_PORT: '70000',
      INTAKE_PUBLIC_URL: 'ftp://example.com',
      INTAKE_DATABASE_URL: 'mysql://db/intake',
      INTAKE_ADMIN_KEY: 'short',
      INTAKE_SIGNING_SECRET: 'also-short',
      MAX_UPLOAD_SIZE_MB: '0',
      INTAKE_MAX_IMAGE_MB: '-5',
      INTAKE_ALLOWED_TYPES: 'image/png,not a type',
      INTAKE_LOG_LEVEL: 'loud',
      INTAKE_MAX_IMAGE_PIXELS: '1.5',
      INTAKE_RATE_LIMIT_PER_MINUTE: 'many',
      INTAKE_SWEEP_INTERVAL_SECONDS: '86401',
      INTAKE_PURGE_AFTER_DAYS: '0',
    };
    const problems = problemsOf(env);
    assert.equal(problems.length, Object.keys(env).length, problems.join('\n'));
    for (const name of Object.keys(env)) {
      assert.ok(problems.some((p) => p.includes(name)), `${name} reported`);
    }
    assert.ok(problems.some((p) => p.includes('not a type')));
    const err = new ConfigError(problems);
    for (const p of problems) assert.ok(err.message.includes(p));
  });

  it('parses MAX_UPLOAD_SIZE_MB as whole MiB from 1 to 5 TiB', () => {
    assert.equal(loadConfig({ MAX_UPLOAD_SIZE_MB: '1' }, CWD).uploads.maxUploadBytes, MIB);
    assert.equal(loadConfig({ MAX_UPLOAD_SIZE_MB: '250' }, CWD).uploads.maxUploadBytes, 250 * MIB);
    assert.equal(loadConfig({ MAX_UPLOAD_SIZE_MB: String(5 * 1024 * 1024) }, CWD).uploads.maxUploadBytes, 5 * 1024 * 1024 * MIB);
    for (const bad of ['0', '-1', '1.5', 'ten', '10MB', String(5 * 1024 * 1024 + 1)]) {
      const problems = problemsOf({ MAX_UPLOAD_SIZE_MB: bad });
      assert.equal(problems.length, 1, bad);
      assert.match(problems[0]!, /^MAX_UPLOAD_SIZE_MB must be an integer from 1 to 5242880/);
      assert.ok(problems[0]!.includes(JSON.stringify(bad)));
    }
  });

  it(
    'a whitespace-only number is not read as 0',
    () => {
      let port: number | undefined;
      try {
        port = loadConfig({ INTAKE_PORT: '  ' }, CWD).http.port;
      } catch (err) {
        assert.ok(err instanceof ConfigError);
      }
      assert.notEqual(port, 0);
    },
  );

  describe('booleans', () => {
    const BOOLEANS = { INTAKE_TRUST_PROXY: (c: Config) => c.http.trustProxy, INTAKE_WEBHOOK_ALLOW_PRIVATE: (c: Config) => c.webhooks.allowPrivate, INTAKE_WORKERS: (c: Config) => c.jobs.workers };

    it('accept true/false, 1/0 and yes/no in any case, around spaces', () => {
      for (const [name, read] of Object.entries(BOOLEANS)) {
        for (const yes of ['true', 'TRUE', 'True', '1', 'yes', 'YES', 'Yes', ' yes ']) assert.equal(read(loadConfig({ [name]: yes }, CWD)), true, `${name}=${JSON.stringify(yes)}`);
        for (const no of ['false', 'FALSE', '0', 'no', 'No', ' 0 ']) assert.equal(read(loadConfig({ [name]: no }, CWD)), false, `${name}=${JSON.stringify(no)}`);
      }
      // Unset or empty: the default.
      assert.deepEqual([loadConfig({ INTAKE_TRUST_PROXY: '', INTAKE_WORKERS: '' }, CWD).http.trustProxy, loadConfig({}, CWD).jobs.workers], [false, true]);
      const s3 = loadConfig({ INTAKE_STORAGE: 's3', INTAKE_S3_BUCKET: 'b-1', INTAKE_S3_FORCE_PATH_STYLE: 'Yes', INTAKE_S3_CONDITIONAL_WRITES: 'no', INTAKE_S3_VERIFIES_CHECKSUMS: '1' }, CWD).storage.s3!;
      assert.deepEqual([s3.forcePathStyle, s3.conditionalWrites, s3.verifiesChecksums], [true, false, true]);
    });

    it('refuse every other spelling (1 and yes were read as false before), each one named', () => {
      for (const bad of ['maybe', 'on', 'off', 'y', 'n', '2', '-1', 'tru', 'yes please', 'enabled']) {
        const problems = problemsOf({ INTAKE_TRUST_PROXY: bad, INTAKE_WEBHOOK_ALLOW_PRIVATE: bad, INTAKE_WORKERS: bad });
        assert.deepEqual(
          [...problems].sort(),
          Object.keys(BOOLEANS).map((name) => `${name} must be a boolean: true, false, 1, 0, yes or no (got ${JSON.stringify(bad)})`).sort(),
        );
      }
    });
  });

  it('reads S3 variables only when INTAKE_STORAGE=s3', () => {
    const c = loadConfig({ INTAKE_S3_BUCKET: 'Not_A_Bucket', INTAKE_S3_FORCE_PATH_STYLE: 'maybe', INTAKE_S3_ACCESS_KEY_ID: 'only-one' }, CWD);
    assert.equal(c.storage.driver, 'local');
    assert.equal(c.storage.s3, null);
    assert.deepEqual(problemsOf({ INTAKE_STORAGE: 's3' }), ['INTAKE_S3_BUCKET must be a bucket name (3-63 lowercase letters, digits, dots, hyphens)']);
  });

  it('per-kind limits are whole MiB; unset, empty or blank leave the kind unlimited', () => {
    const c = loadConfig({ INTAKE_MAX_IMAGE_MB: '20', INTAKE_MAX_AUDIO_MB: '', INTAKE_MAX_DOCUMENT_MB: '  ' }, CWD);
    assert.deepEqual(c.uploads.kindLimits, { image: 20 * MIB });
    assert.ok(Object.isFrozen(c.uploads.kindLimits));
    assert.match(problemsOf({ INTAKE_MAX_VIDEO_MB: '0' })[0]!, /^INTAKE_MAX_VIDEO_MB must be an integer from 1 to 5242880 \(got "0"\)$/);
  });

  it('reads the S3 storage variables and lists every bad one', () => {
    const c = loadConfig(
      {
        INTAKE_STORAGE: 's3',
        INTAKE_S3_BUCKET: 'media-bucket',
        INTAKE_S3_REGION: 'eu-west-1',
        INTAKE_S3_ENDPOINT: 'http://127.0.0.1:7480/',
        INTAKE_S3_FORCE_PATH_STYLE: 'true',
        INTAKE_S3_ACCESS_KEY_ID: 'AK',
        INTAKE_S3_SECRET_ACCESS_KEY: 'SK',
        INTAKE_S3_PUBLIC_ENDPOINT: 'https://media.example.com',
        INTAKE_S3_VERIFIES_CHECKSUMS: 'true',
        INTAKE_S3_CONDITIONAL_WRITES: 'false',
      },
      CWD,
    );
    assert.equal(c.storage.driver, 's3');
    assert.deepEqual(c.storage.s3, {
      bucket: 'media-bucket',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:7480',
      forcePathStyle: true,
      accessKeyId: 'AK',
      secretAccessKey: 'SK',
      publicEndpoint: 'https://media.example.com',
      verifiesChecksums: true,
      conditionalWrites: false,
    });
    const defaults = loadConfig({ INTAKE_STORAGE: 's3', INTAKE_S3_BUCKET: 'b-1' }, CWD).storage.s3!;
    assert.deepEqual([defaults.region, defaults.endpoint, defaults.accessKeyId, defaults.verifiesChecksums, defaults.conditionalWrites], ['us-east-1', null, null, false, true]);
    const problems = problemsOf({
      INTAKE_STORAGE: 's3',
      INTAKE_S3_BUCKET: 'Bad_Bucket',
      INTAKE_S3_ENDPOINT: 'ftp://x',
      INTAKE_S3_ACCESS_KEY_ID: 'only-one',
      INTAKE_S3_FORCE_PATH_STYLE: 'maybe',
    });
    assert.equal(problems.length, 4, problems.join('\n'));
    assert.deepEqual(problemsOf({ INTAKE_STORAGE: 'gcs' }), ['INTAKE_STORAGE must be local or s3']);
  });
});

describe('INTAKE_COMPAT', () => {
  it('mounts every API by default, a list, or none; an unknown name is a problem', () => {
    assert.deepEqual(loadConfig({}).http.compat, COMPAT_APIS);
    assert.deepEqual(loadConfig({ INTAKE_COMPAT: 'none' }).http.compat, []);
    assert.deepEqual(loadConfig({ INTAKE_COMPAT: ' MediaKit , mediakit' }).http.compat, ['mediakit']);
    const problems = problemsOf({ INTAKE_COMPAT: 'mediakit,s3' });
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /INTAKE_COMPAT .*unknown: s3/);
  });
});
