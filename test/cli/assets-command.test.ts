import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { png, sha256 } from '../helpers/media.js';
import { clientOf } from './run-cli.js';

describe('intake assets ls / show / url / rm', () => {
  let intake: TestIntake;
  let key: string;
  before(async () => {
    intake = await startIntake();
    ({ key } = await intake.tenant());
  });
  after(() => intake.close());

  it('lists and shows an asset, prints a link that serves the same bytes, and deletes it', async () => {
    const { cli, json } = clientOf(intake.url, key);
    const bytes = await png(32, 24);
    const form = new FormData();
    form.set('file', new Blob([bytes], { type: 'image/png' }), 'p.png');
    const accepted = await intake.api('POST', '/v1/uploads', { key, body: form });
    assert.equal(accepted.status, 202);
    const assetId: string = accepted.body.data.asset_id;
    await intake.settled();

    const [page, shown, link] = await Promise.all([json('assets', 'ls', '--kind', 'image'), cli('assets', 'show', assetId), cli('assets', 'url', assetId)]);
    assert.deepEqual(page.items.map((a: { id: string }) => a.id), [assetId]);
    assert.match(shown.stdout, new RegExp(`sha256 +${sha256(bytes)}`));
    assert.match(shown.stdout, /^original +image\/png/m);
    const url = link.stdout.trim();
    assert.ok(!url.includes(key), 'no key in the link');
    assert.deepEqual(Buffer.from(await (await fetch(url)).arrayBuffer()), bytes);

    assert.match((await cli('assets', 'rm', assetId)).stdout, new RegExp(`deleted ${assetId}`));
    assert.equal((await intake.api('GET', `/v1/assets/${assetId}`, { key })).status, 404);
  });
});
