import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { png } from '../helpers/media.js';
import { clientOf } from './run-cli.js';

describe('intake uploads ls / show / cancel', () => {
  let intake: TestIntake;
  let key: string;
  before(async () => {
    intake = await startIntake();
    ({ key } = await intake.tenant());
  });
  after(() => intake.close());

  it('lists sessions (JSON and a table filtered by status), shows one, cancels an open one', async () => {
    const { cli, json } = clientOf(intake.url, key);
    const bytes = await png(32, 24);
    const s = await intake.api('POST', '/v1/uploads', { key, json: { filename: 'p.png', content_type: 'image/png', file_size: bytes.length } });
    await fetch(s.body.data.upload_url, { method: 'PUT', headers: s.body.data.upload_method.headers, body: bytes });
    assert.equal((await intake.api('POST', `/v1/uploads/${s.body.data.upload_id}/complete`, { key })).status, 200);
    const uploadId = s.body.data.upload_id;
    const open = await intake.api('POST', '/v1/uploads', { key, json: { filename: 'later.png', content_type: 'image/png', file_size: 100 } });
    const openId = open.body.data.upload_id;

    const [page, table, shown] = await Promise.all([json('uploads', 'ls'), cli('uploads', 'ls', '--status', 'completed'), json('uploads', 'show', uploadId)]);
    assert.deepEqual(page.items.map((u: { id: string }) => u.id), [openId, uploadId]);
    assert.equal(page.next_cursor, null);
    assert.match(table.stdout, /^ID +STATUS +SIZE/);
    assert.match(table.stdout, new RegExp(`${uploadId} +completed`));
    assert.doesNotMatch(table.stdout, new RegExp(openId));
    assert.equal(shown.status, 'completed');

    assert.match((await cli('uploads', 'cancel', openId)).stdout, new RegExp(`${openId} canceled`));
    assert.equal((await intake.api('GET', `/v1/uploads/${openId}`, { key })).body.data.status, 'canceled');
  });
});
