import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientOf, intakeForTests } from './run-cli.js';

describe('intake webhooks add / ls / rm', () => {
  const t = intakeForTests({ INTAKE_WEBHOOK_ALLOW_PRIVATE: 'true' });

  it('adds an endpoint (its secret shown once), lists it without the secret, removes it', async () => {
    const { intake, key } = t;
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
