import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientOf, intakeForTests, runCli } from './run-cli.js';

describe('intake buckets add / ls / show / set / rm', () => {
  const t = intakeForTests();

  it('adds a bucket with a schema and unique key, lists, shows and deactivates it, then removes it', async () => {
    const { intake, key } = t;
    const { cli, json } = clientOf(intake.url, key);
    const schema = { properties: { video: { type: 'video' }, sku: { type: 'string' } } };
    const created = await json('buckets', 'add', 'products', '--schema', JSON.stringify(schema), '--unique-key', 'sku');
    assert.match(created.id, /^bkt_/);
    assert.deepEqual([created.name, created.active, created.schema, created.unique_key], ['products', true, schema, ['sku']]);

    assert.match((await cli('buckets', 'ls')).stdout, new RegExp(`${created.id} +products +true +video,sku +sku`));
    assert.equal((await json('buckets', 'show', created.id)).id, created.id);
    assert.equal((await json('buckets', 'set', created.id, '--active', 'false')).active, false);
    const bad = await runCli(['buckets', 'add', 'x', '--schema', '{not json'], { INTAKE_URL: intake.url, INTAKE_API_KEY: key });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--schema is JSON/);

    assert.match((await cli('buckets', 'rm', created.id)).stdout, new RegExp(`removed ${created.id}`));
    assert.deepEqual((await json('buckets', 'ls')).items, []);
  });
});
