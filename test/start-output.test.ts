/**
 * What `intake serve` prints: every stdout line is a JSON log line (the "listening" and
 * admin-key announcements too, with the URL a script can find anywhere in the output), and
 * a dependency that does not answer at start is one line on stderr and exit 3, where a bad
 * configuration is exit 2.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI } from './helpers/entry.js';
import { freePort } from './helpers/intake.js';

const SECRETS = { INTAKE_ADMIN_KEY: 'sk_admin_' + 'a'.repeat(40), INTAKE_SIGNING_SECRET: 'b'.repeat(64) };
let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-start-'));
});
after(() => fs.rm(dir, { recursive: true, force: true }));

async function serveOutput(level: string): Promise<string> {
  const port = await freePort();
  const server = spawn(process.execPath, [...CLI, 'serve'], { env: { ...process.env, INTAKE_DATA_DIR: dir, INTAKE_PORT: String(port), INTAKE_LOG_LEVEL: level } });
  const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    server.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/admin key/i.test(out) && out.endsWith('\n')) resolve();
    });
    server.on('exit', () => reject(new Error(`serve exited early: ${out}`)));
  });
  server.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.match(out, new RegExp(`http://127\\.0\\.0\\.1:${port}`));
  return out;
}

describe('intake serve output', () => {
  for (const level of ['info', 'silent']) {
    it(`every stdout line is JSON, the listening URL and admin key file included (INTAKE_LOG_LEVEL=${level})`, async () => {
      const out = await serveOutput(level);
      const lines = out.trimEnd().split('\n');
      const parsed = lines.map((line) => {
        assert.doesNotThrow(() => JSON.parse(line), `not JSON: ${line}`);
        return JSON.parse(line);
      });
      const listening = parsed.find((l) => /^Intake listening on http:\/\//.test(l.msg));
      assert.ok(listening, out);
      assert.equal(listening.level, 30);
      assert.match(listening.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      // Scripts (test helpers, bench/lib/children.ts) take the first http:// URL in the output: it must be the one listening.
      assert.equal(/(http:\/\/[\d.]+:\d+)/.exec(out)?.[1], listening.url);
      assert.ok(parsed.some((l) => l.admin_key_file === path.join(dir, 'admin.key')), out);
    });
  }
});

describe('a dependency unreachable at start', () => {
  const pg = 'postgres://postgres:hunter2@127.0.0.1:1/x';
  for (const args of [['serve'], ['worker'], ['namespace', 'ls']]) {
    it(`PostgreSQL refusing connections: \`intake ${args.join(' ')}\` exits 3 with one line, no stack, no password`, () => {
      const res = spawnSync(process.execPath, [...CLI, ...args], {
        encoding: 'utf8',
        timeout: 30_000,
        env: { ...process.env, ...SECRETS, INTAKE_DATA_DIR: dir, INTAKE_PORT: '0', INTAKE_DATABASE_URL: pg, INTAKE_LOG_LEVEL: 'silent' },
      });
      assert.equal(res.status, 3, `${res.stdout}${res.stderr}`);
      assert.equal(res.stderr.trimEnd().split('\n').length, 1, res.stderr);
      assert.match(res.stderr, /^Cannot connect to PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/x \(ECONNREFUSED\)/);
      assert.doesNotMatch(res.stderr, /hunter2|\n\s+at /);
      assert.equal(res.stdout, '');
    });
  }

  it('a bad configuration is still exit 2', () => {
    const res = spawnSync(process.execPath, [...CLI, 'serve'], { encoding: 'utf8', env: { ...process.env, INTAKE_DATA_DIR: dir, INTAKE_DATABASE_URL: 'mysql://x' } });
    assert.equal(res.status, 2, res.stderr);
  });
});
