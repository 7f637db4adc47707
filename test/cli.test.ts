import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI } from './helpers/entry.js';
import { freePort } from './helpers/intake.js';

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-cli-'));
});
after(() => fs.rm(dir, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8', env: { ...process.env, INTAKE_DATA_DIR: dir, INTAKE_LOG_LEVEL: 'silent', ...env } });
}

describe('intake CLI', () => {
  it('refuses admin commands where no database exists, creating nothing, and says how to point them', async () => {
    const elsewhere = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-cli-empty-'));
    try {
      for (const args of [['namespace', 'create', 'demo'], ['namespace', 'ls'], ['key', 'create', 'ns_x'], ['key', 'ls', 'ns_x'], ['key', 'revoke', 'key_x'], ['sweep'], ['reconcile']]) {
        // No INTAKE_DATA_DIR: ./data relative to the working folder, as an operator in the wrong folder would get.
        const env = { ...process.env, INTAKE_LOG_LEVEL: 'silent' } as Record<string, string>;
        delete env.INTAKE_DATA_DIR;
        delete env.INTAKE_DATABASE_URL;
        const res = spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8', cwd: elsewhere, env });
        assert.equal(res.status, 2, `${args.join(' ')}: ${res.stdout}${res.stderr}`);
        assert.ok(res.stderr.includes(path.join(elsewhere, 'data', 'intake.db')), res.stderr);
        assert.match(res.stderr, /--data-dir/);
        assert.match(res.stderr, /INTAKE_DATA_DIR/);
        assert.match(res.stderr, /INTAKE_URL/);
        assert.equal(res.stdout, '');
        assert.deepEqual(await fs.readdir(elsewhere), [], 'no data folder created');
      }
    } finally {
      await fs.rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('serve creates the data folder; namespace create prints a key that server accepts; ls lists; names are unique; serve stops on SIGTERM', async () => {
    const port = await freePort();
    const server = spawn(process.execPath, [...CLI, 'serve', '--data-dir', dir], { env: { ...process.env, INTAKE_PORT: String(port), INTAKE_LOG_LEVEL: 'silent' } });
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

    // --data-dir points the one-shot commands at the server's folder, from anywhere.
    const created = cli(['namespace', 'create', 'demo', '--json', '--data-dir', dir], { INTAKE_DATA_DIR: '/nonexistent/intake' });
    assert.equal(created.status, 0, created.stderr);
    const { namespace, key } = JSON.parse(created.stdout);
    assert.match(namespace.id, /^ns_/);
    assert.match(key.secret, /^sk_[a-z0-9]{40}$/);
    const res = await fetch(`http://127.0.0.1:${port}/v1/usage`, { headers: { authorization: `Bearer ${key.secret}` } });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as any).data.namespace_id, namespace.id);

    const taken = cli(['namespace', 'create', 'demo']);
    assert.equal(taken.status, 1, taken.stderr);
    assert.match(taken.stderr, /already exists/);

    const second = cli(['key', 'create', namespace.id, '--name', 'ci', '--json']);
    assert.equal(second.status, 0, second.stderr);
    const secondKey = JSON.parse(second.stdout);

    const namespaces = cli(['namespace', 'ls', '--json']);
    assert.equal(namespaces.status, 0, namespaces.stderr);
    assert.deepEqual(JSON.parse(namespaces.stdout).items.map((n: any) => [n.id, n.name]), [[namespace.id, 'demo']]);
    assert.match(cli(['namespace', 'ls']).stdout, new RegExp(`^${namespace.id}\tdemo\t`));

    const revoked = cli(['key', 'revoke', key.id]);
    assert.equal(revoked.status, 0, revoked.stderr);
    const keys = cli(['key', 'ls', namespace.id, '--json']);
    assert.equal(keys.status, 0, keys.stderr);
    const items = JSON.parse(keys.stdout).items;
    assert.deepEqual(items.map((k: any) => Object.keys(k).sort()), [['created_at', 'id', 'name', 'revoked_at'], ['created_at', 'id', 'name', 'revoked_at']]);
    assert.deepEqual(items.map((k: any) => [k.id, k.name, k.revoked_at === null]).sort(), [[key.id, 'default', false], [secondKey.id, 'ci', true]].sort());
    const human = cli(['key', 'ls', namespace.id]);
    for (const secret of [key.secret, secondKey.secret, key.secret.slice(0, 12)]) assert.ok(!human.stdout.includes(secret) && !keys.stdout.includes(secret), 'never a secret');
    assert.match(human.stdout, /revoked /);
    assert.equal(cli(['key', 'ls', 'ns_nope000000000000000']).status, 1);

    server.kill('SIGTERM');
    assert.equal(await exited, 0);
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
