import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256 } from '../helpers/media.js';
import { clientOf, intakeForTests, uploadedImage } from './run-cli.js';

describe('intake assets ls / show / url / rm', () => {
  const t = intakeForTests();

  it('lists and shows an asset, prints a link that serves the same bytes, and deletes it', async () => {
    const { intake, key } = t;
    const { cli, json } = clientOf(intake.url, key);
    const { assetId, bytes } = await uploadedImage(intake, key);

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
