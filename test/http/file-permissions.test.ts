/**
 * What Intake writes to disk is readable by its own user only: the database (and its WAL),
 * generated secrets and stored objects are 0600, their folders 0700.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { createSession, put } from './error-helpers.js';

let t: TestIntake;
before(async () => {
  // The embedded default generates its signing secret into the data folder.
  t = await startIntake({ INTAKE_SIGNING_SECRET: '' });
});
after(() => t.close());

const mode = async (p: string) => ((await fs.stat(path.join(t.dataDir, p))).mode & 0o777).toString(8);

it('the database, secrets and stored objects are 0600; storage folders 0700', async () => {
  const { key, namespaceId } = await t.tenant();
  const s = await createSession(t, key, { filename: 'a.txt', content_type: 'text/plain', file_size: 5 });
  assert.equal((await put(s.upload_url, Buffer.from('hello'), 'text/plain')).status, 200);
  const object = (await t.storedFiles())[0]!;
  assert.ok(object.startsWith(namespaceId));
  const found: Record<string, string> = {};
  for (const p of ['intake.db', 'intake.db-wal', 'signing.key', `storage/objects/${object}`]) found[p] = await mode(p);
  for (const p of ['storage', 'storage/objects', 'storage/tmp', `storage/objects/${namespaceId}`, `storage/objects/${path.dirname(object)}`]) found[p] = await mode(p);
  assert.deepEqual(found, {
    'intake.db': '600',
    'intake.db-wal': '600',
    'signing.key': '600',
    [`storage/objects/${object}`]: '600',
    storage: '700',
    'storage/objects': '700',
    'storage/tmp': '700',
    [`storage/objects/${namespaceId}`]: '700',
    [`storage/objects/${path.dirname(object)}`]: '700',
  });
});

it('the parts of a resumable upload are 0600, in 0700 folders', async () => {
  const { key } = await t.tenant();
  const s = await createSession(t, key, { filename: 'r.txt', content_type: 'text/plain', file_size: 5, resumable: true });
  assert.equal((await put(s.parts.urls[0].url, Buffer.from('hello'), 'text/plain')).status, 200);
  const root = path.join(t.dataDir, 'storage', 'multipart');
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true });
  const found: Record<string, string> = { multipart: ((await fs.stat(root)).mode & 0o777).toString(8) };
  for (const e of entries) found[path.relative(root, path.join(e.parentPath, e.name))] = ((await fs.stat(path.join(e.parentPath, e.name))).mode & 0o777).toString(8);
  const files = entries.filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name)));
  assert.ok(files.some((f) => /part-\d+$/.test(f)), `no part file among ${files.join(', ')}`);
  assert.deepEqual(found, Object.fromEntries(Object.keys(found).map((k) => [k, files.includes(k) ? '600' : '700'])));
  assert.equal((await t.api('DELETE', `/v1/uploads/${s.upload_id}`, { key })).status, 200);
});
