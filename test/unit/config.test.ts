import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, MIB } from '../../src/config/config.js';

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
    assert.deepEqual(
      { ...c },
      {
        host: '127.0.0.1',
        port: 3000,
        publicUrl: 'http://127.0.0.1:3000',
        dataDir: path.join(CWD, 'data'),
        databaseUrl: `sqlite:${path.join(CWD, 'data', 'intake.db')}`,
        adminKey: null,
        signingSecret: null,
        maxUploadBytes: 10 * 1024 * MIB,
        kindLimits: {},
        allowedTypes: null,
        maxImagePixels: 100_000_000,
        rateLimitPerMinute: 6000,
        sweepIntervalMs: 60_000,
        purgeAfterDays: 30,
        logLevel: 'info',
        trustProxy: false,
        redisUrl: null,
        redisPrefix: 'intake',
        workers: true,
        jobLeaseMs: 60_000,
        jobRetryBaseMs: null,
        mediaConcurrency: 1,
        videoLadder: [1080, 720, 480, 360],
        webhookAllowPrivate: false,
        imageConcurrency: Math.max(1, Math.floor(os.availableParallelism() / 2)),
        imageMemoryMb: 512,
        imageTimeoutMs: 30_000,
        maxSvgElements: 100_000,
        imageIdleMs: 5_000,
        mediaBusyDutyPercent: 10,
        minTransferBytesPerSecond: 1024,
        transferWindowMs: 30_000,
        maxConcurrentUploads: 500,
        reconcileDelayMs: 60_000,
        addressRateLimitPerMinute: 6000,
        storage: 'local',
        s3: null,
        ffprobePath: 'ffprobe',
        ffmpegPath: 'ffmpeg',
      },
    );
    assert.ok(Object.isFrozen(c));
  });

  it('treats empty strings as unset', () => {
    const c = loadConfig({ INTAKE_PORT: '', MAX_UPLOAD_SIZE_MB: '', INTAKE_ADMIN_KEY: '', INTAKE_LOG_LEVEL: '' }, CWD);
    assert.equal(c.port, 3000);
    assert.equal(c.maxUploadBytes, 10 * 1024 * MIB);
    assert.equal(c.adminKey, null);
    assert.equal(c.logLevel, 'info');
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
    assert.equal(c.publicUrl, 'http://[::1]:8080');
    assert.equal(c.dataDir, path.join(CWD, 'var'));
    assert.equal(c.databaseUrl, 'postgresql://u@db/intake');
    assert.equal(c.adminKey, 'a'.repeat(16));
    assert.equal(c.signingSecret, 's'.repeat(32));
    assert.deepEqual(c.kindLimits, { video: 100 * MIB });
    assert.deepEqual(c.allowedTypes, ['image/png', 'video/mp4']);
    assert.equal(c.trustProxy, true);
    assert.equal(loadConfig({ INTAKE_PUBLIC_URL: 'https://media.example.com//' }, CWD).publicUrl, 'https://media.example.com');
  });

  it('INTAKE_FFPROBE_PATH and INTAKE_FFMPEG_PATH name the tools: a command on PATH, or a path resolved from the working folder', () => {
    const named = loadConfig({ INTAKE_FFPROBE_PATH: 'ffprobe7', INTAKE_FFMPEG_PATH: 'ffmpeg7' }, CWD);
    assert.deepEqual([named.ffprobePath, named.ffmpegPath], ['ffprobe7', 'ffmpeg7']);
    const paths = loadConfig({ INTAKE_FFPROBE_PATH: '/opt/ffmpeg/bin/ffprobe', INTAKE_FFMPEG_PATH: 'tools/ffmpeg' }, CWD);
    assert.deepEqual([paths.ffprobePath, paths.ffmpegPath], ['/opt/ffmpeg/bin/ffprobe', path.join(CWD, 'tools', 'ffmpeg')]);
    // Not checked for existence: a tool missing at run time is an outage, answered then.
    assert.equal(loadConfig({ INTAKE_FFPROBE_PATH: '/nowhere/ffprobe' }, CWD).ffprobePath, '/nowhere/ffprobe');
    assert.deepEqual([loadConfig({ INTAKE_FFPROBE_PATH: '', INTAKE_FFMPEG_PATH: '' }, CWD).ffprobePath, loadConfig({ INTAKE_FFMPEG_PATH: '' }, CWD).ffmpegPath], ['ffprobe', 'ffmpeg']);
    // An option where the executable goes (nice would read it as its own), or stray spaces, are refused.
    const problems = problemsOf({ INTAKE_FFPROBE_PATH: '-version', INTAKE_FFMPEG_PATH: ' ffmpeg' });
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems[0]!, /INTAKE_FFPROBE_PATH must be a command name or a path/);
    assert.match(problems[1]!, /INTAKE_FFMPEG_PATH must be a command name or a path/);
  });

  it('INTAKE_VIDEO_LADDER sets the rendition heights: distinct, largest first; odd or out-of-range heights are refused', () => {
    assert.deepEqual(loadConfig({ INTAKE_VIDEO_LADDER: '480, 1440,480,240' }, CWD).videoLadder, [1440, 480, 240]);
    assert.deepEqual(loadConfig({ INTAKE_VIDEO_LADDER: '' }, CWD).videoLadder, [1080, 720, 480, 360]);
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
    assert.equal(loadConfig({ MAX_UPLOAD_SIZE_MB: '1' }, CWD).maxUploadBytes, MIB);
    assert.equal(loadConfig({ MAX_UPLOAD_SIZE_MB: '250' }, CWD).maxUploadBytes, 250 * MIB);
    assert.equal(loadConfig({ MAX_UPLOAD_SIZE_MB: String(5 * 1024 * 1024) }, CWD).maxUploadBytes, 5 * 1024 * 1024 * MIB);
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
        port = loadConfig({ INTAKE_PORT: '  ' }, CWD).port;
      } catch (err) {
        assert.ok(err instanceof ConfigError);
      }
      assert.notEqual(port, 0);
    },
  );

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
    assert.equal(c.storage, 's3');
    assert.deepEqual({ ...c.s3 }, {
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
    const defaults = loadConfig({ INTAKE_STORAGE: 's3', INTAKE_S3_BUCKET: 'b-1' }, CWD).s3!;
    assert.deepEqual([defaults.region, defaults.endpoint, defaults.accessKeyId, defaults.verifiesChecksums, defaults.conditionalWrites], ['us-east-1', null, null, false, true]);
    const problems = problemsOf({
      INTAKE_STORAGE: 's3',
      INTAKE_S3_BUCKET: 'Bad_Bucket',
      INTAKE_S3_ENDPOINT: 'ftp://x',
      INTAKE_S3_ACCESS_KEY_ID: 'only-one',
      INTAKE_S3_FORCE_PATH_STYLE: 'yes',
    });
    assert.equal(problems.length, 4, problems.join('\n'));
    assert.deepEqual(problemsOf({ INTAKE_STORAGE: 'gcs' }), ['INTAKE_STORAGE must be local or s3']);
  });
});
