import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { clientOf } from './run-cli.js';

describe('intake webhooks add / ls / rm', () => {
  let intake: TestIntake;
  let key: string;
  before(async () => {
    intake = await startIntake({ INTAKE_WEBHOOK_ALLOW_PRIVATE: 'true' });
    ({ key } = await intake.tenant());
  });
  after(() => intake.close());

  it('adds an endpoint (its secret shown once), lists it without the secret, removes it', async () => {
    const { cli, json } = clientOf(intake.url, key);
    const created = await json('webhooks', 'add', 'http://127.0.0.1:9/hooks', '--events', 'asset.ready,asset.failed');
    assert.match(created.id, /^whk_/);
    assert.match(created.secret, /^whsec_/);
    assert.deepEqual(created.events, ['asset.ready', 'asset.failed']);

    const table = (await cli('webhooks', 'ls')).stdout;
    assert.match(table, new RegExp(`${created.id} +true +asset\\.ready,asset\\.failed +http://127\\.0\\.0\\.1:9/hooks`));
    assert.doesNotMatch(table, /whsec_/);

    assert.match((await cli('webhooks', 'rm', created.id)).stdout, new RegExp(`removed ${created.id}`));
    assert.deepEqual((await json('webhooks', 'ls')).items, []);
  });
});
