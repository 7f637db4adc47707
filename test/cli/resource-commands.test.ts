import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { png, sha256 } from '../helpers/media.js';
import { runCli } from './run-cli.js';

describe('intake uploads / assets / webhooks', () => {
  let intake: TestIntake;
  let key: string;

  before(async () => {
    intake = await startIntake({ INTAKE_WEBHOOK_ALLOW_PRIVATE: 'true' });
    ({ key } = await intake.tenant());
  });
  after(() => intake.close());

  const cli = async (...args: string[]) => {
    const res = await runCli(args, { INTAKE_URL: intake.url, INTAKE_API_KEY: key });
    assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
    return res;
  };
  const json = async (...args: string[]) => JSON.parse((await cli(...args, '--json')).stdout);

  /** An image uploaded through the API: a session, the PUT, complete. */
  async function uploaded(): Promise<{ uploadId: string; assetId: string; bytes: Buffer }> {
    const bytes = await png(32, 24);
    const s = await intake.api('POST', '/v1/uploads', { key, json: { filename: 'p.png', content_type: 'image/png', file_size: bytes.length } });
    await fetch(s.body.data.upload_url, { method: 'PUT', headers: s.body.data.upload_method.headers, body: bytes });
    const done = await intake.api('POST', `/v1/uploads/${s.body.data.upload_id}/complete`, { key });
    assert.equal(done.status, 200);
    return { uploadId: s.body.data.upload_id, assetId: done.body.data.asset.id, bytes };
  }

  it('uploads ls, show and cancel', async () => {
    const { uploadId } = await uploaded();
    const open = await intake.api('POST', '/v1/uploads', { key, json: { filename: 'later.png', content_type: 'image/png', file_size: 100 } });
    const openId = open.body.data.upload_id;

    const page = await json('uploads', 'ls');
    assert.deepEqual(page.items.map((u: { id: string }) => u.id), [openId, uploadId]);
    assert.equal(page.next_cursor, null);
    const table = (await cli('uploads', 'ls', '--status', 'completed')).stdout;
    assert.match(table, /^ID +STATUS +SIZE/);
    assert.match(table, new RegExp(`${uploadId} +completed`));
    assert.doesNotMatch(table, new RegExp(openId));
    assert.equal((await json('uploads', 'show', uploadId)).status, 'completed');

    assert.match((await cli('uploads', 'cancel', openId)).stdout, new RegExp(`${openId} canceled`));
    assert.equal((await intake.api('GET', `/v1/uploads/${openId}`, { key })).body.data.status, 'canceled');
  });

  it('assets ls, show, url (the same bytes back) and rm', async () => {
    const { assetId, bytes } = await uploaded();
    const page = await json('assets', 'ls', '--kind', 'image');
    assert.ok(page.items.some((a: { id: string }) => a.id === assetId));
    assert.match((await cli('assets', 'show', assetId)).stdout, new RegExp(`sha256 +${sha256(bytes)}`));
    const link = (await cli('assets', 'url', assetId)).stdout.trim();
    assert.ok(!link.includes(key), 'no key in the link');
    assert.deepEqual(Buffer.from(await (await fetch(link)).arrayBuffer()), bytes);

    assert.match((await cli('assets', 'rm', assetId)).stdout, new RegExp(`deleted ${assetId}`));
    assert.equal((await intake.api('GET', `/v1/assets/${assetId}`, { key })).status, 404);
  });

  it('webhooks add (the secret shown once), ls and rm', async () => {
    const created = await json('webhooks', 'add', 'http://127.0.0.1:9/hooks', '--events', 'asset.ready,asset.failed');
    assert.match(created.id, /^wh/);
    assert.match(created.secret, /^whsec_/);
    assert.deepEqual(created.events, ['asset.ready', 'asset.failed']);

    const table = (await cli('webhooks', 'ls')).stdout;
    assert.match(table, new RegExp(`${created.id} +true +asset\\.ready,asset\\.failed +http://127\\.0\\.0\\.1:9/hooks`));
    assert.doesNotMatch(table, /whsec_/);

    assert.match((await cli('webhooks', 'rm', created.id)).stdout, new RegExp(`removed ${created.id}`));
    assert.deepEqual((await json('webhooks', 'ls')).items, []);
  });
});
