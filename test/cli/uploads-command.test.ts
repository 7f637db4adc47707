import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientOf, intakeForTests, uploadedImage } from './run-cli.js';

describe('intake uploads ls / show / cancel', () => {
  const t = intakeForTests();

  it('lists sessions (JSON and a table filtered by status), shows one, cancels an open one', async () => {
    const { intake, key } = t;
    const { cli, json } = clientOf(intake.url, key);
    const { uploadId } = await uploadedImage(intake, key);
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
