/**
 * `{"async": true}` on complete ends exactly as a synchronous complete would: what the
 * client asked to be checked (a resumable session's parts list, a simple session's ETag)
 * is checked, and a session without an asset (`create_asset: false`) is verified too.
 * Both used to be lost on the way to the job: a wrong ETag completed, and a detached
 * session stayed `processing` for good.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { sha256 } from '../helpers/media.js';
import { partFiles, ResumableClient, textFile } from '../helpers/resumable-client.js';
import { createSession, put } from './error-helpers.js';

const MIB = 1024 * 1024;

let t: TestIntake;
let key: string;
let client: ResumableClient;
before(async () => {
  t = await startIntake();
  ({ key } = await t.tenant({ quota_bytes: 1024 * MIB }));
  client = new ResumableClient(t.api, key);
});
after(() => t.close());

const completeAsync = (id: string, json: Record<string, unknown> = {}) => t.api('POST', `/v1/uploads/${id}/complete`, { key, json: { async: true, ...json } });

/** The session once it left `processing` (or the last state seen when the deadline passed). */
async function settledUpload(id: string): Promise<any> {
  return eventually(async () => {
    const u = (await t.api('GET', `/v1/uploads/${id}`, { key })).body.data;
    return u.status === 'processing' ? null : u;
  }, 15_000, `upload ${id} to leave processing`);
}

describe('async complete of a resumable session', () => {
  it('without a parts list answers 202 and completes in a job with the whole file\'s SHA-256', async () => {
    const file = textFile(11 * MIB, 21);
    const s = await client.create({ filename: 'big.txt', content_type: 'text/plain', file_size: file.length, file_hash: sha256(file), part_size: 5 * MIB });
    await client.sendParts(file, s.parts.urls);
    const res = await completeAsync(s.upload_id);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.data.status, 'processing');
    const u = await settledUpload(s.upload_id);
    assert.equal(u.status, 'completed', JSON.stringify(u));
    const asset = (await t.api('GET', `/v1/assets/${s.asset_id}`, { key })).body.data;
    assert.equal(asset.sha256, sha256(file));
    assert.deepEqual(await partFiles(t), []);
  });

  it('with a parts list holding a wrong ETag is refused (422 etag_mismatch), not completed with the parts held', async () => {
    const file = textFile(11 * MIB, 22);
    const s = await client.create({ filename: 'listed.txt', content_type: 'text/plain', file_size: file.length, part_size: 5 * MIB });
    const etags = await client.sendParts(file, s.parts.urls);
    const parts = [1, 2, 3].map((n) => ({ part_number: n, etag: n === 2 ? `"${'0'.repeat(64)}"` : etags.get(n)! }));
    const res = await completeAsync(s.upload_id, { parts });
    if (res.status === 202) await settledUpload(s.upload_id);
    const u = (await t.api('GET', `/v1/uploads/${s.upload_id}`, { key })).body.data;
    assert.equal(u.status, 'failed', `the parts list was not checked: ${JSON.stringify(u)}`);
    assert.equal(u.error.details.reason, 'etag_mismatch');
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.equal(res.body.error!.details.reason, 'etag_mismatch');
    assert.equal(res.body.error!.details.part_number, 2);
    assert.deepEqual(await partFiles(t), []);
    assert.equal((await t.api('GET', `/v1/assets/${s.asset_id}`, { key })).status, 404);
  });

  it('with a parts list of the right ETags completes with the right SHA-256', async () => {
    const file = textFile(11 * MIB, 23);
    const s = await client.create({ filename: 'good.txt', content_type: 'text/plain', file_size: file.length, part_size: 5 * MIB });
    const etags = await client.sendParts(file, s.parts.urls);
    const res = await completeAsync(s.upload_id, { parts: [1, 2, 3].map((n) => ({ part_number: n, etag: etags.get(n)! })) });
    // A complete that names what to check runs in the request (the job carries ids only).
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.data.status, 'completed');
    assert.equal(res.body.data.asset.sha256, sha256(file));
  });

  it('of a create_asset: false session completes (it is not left processing), its bytes kept to attach', async () => {
    const file = textFile(6 * MIB, 24);
    const s = await client.create({ filename: 'detached.txt', content_type: 'text/plain', file_size: file.length, part_size: 5 * MIB, create_asset: false });
    await client.sendParts(file, s.parts.urls);
    const res = await completeAsync(s.upload_id);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const u = await settledUpload(s.upload_id);
    assert.equal(u.status, 'completed', JSON.stringify(u));
    const attached = await t.api('POST', '/v1/assets', { key, json: { uploads: [{ upload_id: s.upload_id }] } });
    assert.equal(attached.status, 201, JSON.stringify(attached.body));
    assert.equal(attached.body.data.sha256, sha256(file));
  });
});

describe('async complete of a simple session', () => {
  it('with an ETag that is not the stored object\'s is refused (422 etag_mismatch) and keeps nothing', async () => {
    const bytes = Buffer.from('hello, async\n');
    const s = await createSession(t, key, { filename: 'a.txt', content_type: 'text/plain', file_size: bytes.length });
    assert.equal((await put(s.upload_url, bytes, 'text/plain')).status, 200);
    const res = await completeAsync(s.upload_id, { etag: '"not-the-etag"' });
    if (res.status === 202) await settledUpload(s.upload_id);
    const u = (await t.api('GET', `/v1/uploads/${s.upload_id}`, { key })).body.data;
    assert.equal(u.status, 'failed', `the ETag was not checked: ${JSON.stringify(u)}`);
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.equal(res.body.error!.details.reason, 'etag_mismatch');
    assert.ok(!(await t.storedFiles()).some((f) => f.includes(s.upload_id)), 'the refused bytes are still stored');
    assert.deepEqual(await t.tempFiles(), []);
  });

  it('of a create_asset: false session completes', async () => {
    const bytes = Buffer.from('detached, async\n');
    const s = await createSession(t, key, { filename: 'd.txt', content_type: 'text/plain', file_size: bytes.length, create_asset: false });
    assert.equal((await put(s.upload_url, bytes, 'text/plain')).status, 200);
    const res = await completeAsync(s.upload_id);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal((await settledUpload(s.upload_id)).status, 'completed');
  });
});

it('once every session of this file has settled, nothing is reserved', async () => {
  const usage = (await t.api('GET', '/v1/usage', { key })).body.data;
  assert.equal(usage.reserved_bytes, 0);
});
