import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from './helpers/intake.js';

const CLI = ['--import', 'tsx', 'src/main/cli.ts'];
let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-cli-'));
});
after(() => fs.rm(dir, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8', env: { ...process.env, INTAKE_DATA_DIR: dir, INTAKE_LOG_LEVEL: 'silent', ...env } });
}

describe('intake CLI', () => {
  it('creates a namespace and prints a key that the server accepts; serve stops cleanly on SIGTERM', async () => {
    const created = cli(['namespace', 'create', 'demo', '--json']);
    assert.equal(created.status, 0, created.stderr);
    const { namespace, key } = JSON.parse(created.stdout);
    assert.match(namespace.id, /^ns_/);
    assert.match(key.secret, /^sk_[a-z0-9]{40}$/);

    const port = await freePort();
    const server = spawn(process.execPath, [...CLI, 'serve'], { env: { ...process.env, INTAKE_DATA_DIR: dir, INTAKE_PORT: String(port), INTAKE_LOG_LEVEL: 'silent' } });
    const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
    let out = '';
    await new Promise<void>((resolve, reject) => {
      server.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('listening on')) resolve();
      });
      server.on('exit', () => reject(new Error(`serve exited early: ${out}`)));
    });
    assert.match(out, new RegExp(`http://127.0.0.1:${port}`));
    const res = await fetch(`http://127.0.0.1:${port}/v1/usage`, { headers: { authorization: `Bearer ${key.secret}` } });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as any).data.namespace_id, namespace.id);
    server.kill('SIGTERM');
    assert.equal(await exited, 0);

    const revoked = cli(['key', 'revoke', key.id]);
    assert.equal(revoked.status, 0, revoked.stderr);
  });

  it('reports every bad variable at once and exits 2', () => {
    const res = cli(['sweep'], { INTAKE_PORT: 'nope', MAX_UPLOAD_SIZE_MB: '-1' });
    assert.equal(res.status, 2);
    assert.match(res.stderr, /INTAKE_PORT/);
    assert.match(res.stderr, /MAX_UPLOAD_SIZE_MB/);
  });

  it('refuses a --quota-bytes no column can hold exactly (1e300, 2^53) with exit 2', () => {
    for (const quota of ['1e300', '9007199254740992', 'Infinity', '0']) {
      const res = cli(['namespace', 'create', 'big', '--quota-bytes', quota]);
      assert.equal(res.status, 2, `${quota}: ${res.stderr}`);
      assert.match(res.stderr, /--quota-bytes must be a positive integer/);
    }
  });

  it('prints usage for an unknown command', () => {
    const res = cli(['frobnicate']);
    assert.equal(res.status, 2);
    assert.match(res.stderr, /unknown command 'frobnicate'\n\(intake --help lists the commands/);
  });
});
