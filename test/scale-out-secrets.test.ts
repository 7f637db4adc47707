/**
 * A scaled-out configuration (PostgreSQL, S3 or Redis: state shared between machines)
 * never generates its secrets into one process's data folder: without them in the
 * environment, every entry point stops with a message naming the variables.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { CLI } from './helpers/entry.js';

function cli(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8', env: { ...process.env, INTAKE_LOG_LEVEL: 'silent', ...env } });
}

it('scaled out (PostgreSQL, S3 or Redis) without INTAKE_ADMIN_KEY and INTAKE_SIGNING_SECRET: stops, naming both, and generates no secret file', async () => {
  const empty = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-cli-scaled-'));
  try {
    const serve = cli(['serve'], { INTAKE_REDIS_URL: 'redis://127.0.0.1:1', INTAKE_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/x', INTAKE_DATA_DIR: empty });
    assert.equal(serve.status, 2, serve.stderr);
    assert.match(serve.stderr, /INTAKE_ADMIN_KEY must be set when Intake is scaled out \(INTAKE_DATABASE_URL is PostgreSQL, INTAKE_REDIS_URL is set\)/);
    assert.match(serve.stderr, /INTAKE_SIGNING_SECRET must be set/);
    const worker = cli(['worker'], { INTAKE_STORAGE: 's3', INTAKE_S3_BUCKET: 'media', INTAKE_ADMIN_KEY: 'a'.repeat(20), INTAKE_DATA_DIR: empty });
    assert.equal(worker.status, 2, worker.stderr);
    assert.match(worker.stderr, /INTAKE_SIGNING_SECRET must be set when Intake is scaled out \(INTAKE_STORAGE=s3\)/);
    assert.doesNotMatch(worker.stderr, /INTAKE_ADMIN_KEY/);
    assert.deepEqual(await fs.readdir(empty), [], 'no secret generated into a file');
  } finally {
    await fs.rm(empty, { recursive: true, force: true });
  }
});
