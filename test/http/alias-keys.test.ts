/**
 * Aliases that look the same are the same alias: "Logo", "LOGO" and "ｌｏｇｏ", or "Café"
 * typed precomposed or decomposed, cannot belong to two assets of one namespace. The
 * alias is kept as typed; the unique index holds its folded key, so races are settled by
 * the database too. Every refusal is 409 naming alias and leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useIntake } from '../helpers/intake.js';
import { assertError, createSession, refused } from './error-helpers.js';

// Sessions and asset records only: no bytes cross a socket, so the app answers through inject().
const t = useIntake({}, { listen: false, tenant: false });

const session = (alias: string, extra: Record<string, unknown> = {}) => ({ filename: 'a.txt', content_type: 'text/plain', file_size: 3, alias, ...extra });

describe('aliases compare after NFKC normalisation and case folding', () => {
  for (const [taken, attempts] of [
    ['Logo', ['logo', 'LOGO', 'lOgO', '\uff2c\uff4f\uff47\uff4f']],
    ['Caf\u00e9', ['CAFE\u0301', 'cafe\u0301', 'CAF\u00c9']],
    ['Stra\u00dfe', ['STRASSE', 'strasse', 'STRA\u1e9eE']],
  ] as const) {
    it(`with "${taken}" taken, ${attempts.map((a) => JSON.stringify(a)).join(', ')} are 409 naming alias, nothing kept`, async () => {
      const { key } = await t.tenant();
      const first = await createSession(t, key, session(taken));
      for (const alias of attempts) {
        await refused(t, key, () => t.api('POST', '/v1/uploads', { key, json: session(alias) }), 409, 'conflict', 'alias');
      }
      const asset = await t.api('GET', `/v1/assets/${first.asset_id}`, { key });
      assert.equal(asset.body.data.alias, taken, 'kept as typed');
    });
  }

  it('PATCH to an alias that folds onto a taken one is 409; the asset keeps its own', async () => {
    const { key } = await t.tenant();
    await createSession(t, key, session('Banner'));
    const other = await createSession(t, key, session('other'));
    assertError(await t.api('PATCH', `/v1/assets/${other.asset_id}`, { key, json: { alias: 'BANNER' } }), 409, 'conflict', 'alias');
    assert.equal((await t.api('GET', `/v1/assets/${other.asset_id}`, { key })).body.data.alias, 'other');
    // Its own alias in another case is a rename, not a conflict.
    const renamed = await t.api('PATCH', `/v1/assets/${other.asset_id}`, { key, json: { alias: 'OTHER' } });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body.data.alias, 'OTHER');
  });

  it('a form upload with a folded alias is 409 before a byte is stored', async () => {
    const { key } = await t.tenant();
    await createSession(t, key, session('Poster'));
    const f = new FormData();
    f.append('alias', 'POSTER');
    f.append('file', new Blob([Buffer.from('hello\n')], { type: 'text/plain' }), 'h.txt');
    await refused(t, key, () => t.api('POST', '/v1/uploads', { key, body: f }), 409, 'conflict', 'alias');
  });

  it('a canceled session frees its alias in every spelling', async () => {
    const { key } = await t.tenant();
    const s = await createSession(t, key, session('Draft'));
    assert.equal((await t.api('DELETE', `/v1/uploads/${s.upload_id}`, { key })).status, 200);
    const again = await createSession(t, key, session('DRAFT'));
    assert.equal((await t.api('GET', `/v1/assets/${again.asset_id}`, { key })).body.data.alias, 'DRAFT');
  });

  it('another namespace may hold the same alias in any case', async () => {
    const a = await t.tenant();
    const b = await t.tenant();
    await createSession(t, a.key, session('Shared'));
    await createSession(t, b.key, session('SHARED'));
  });

  it('racing creates of "Race" and "RACE" never both win (the unique index decides), 10 times over', async () => {
    for (let i = 0; i < 10; i++) {
      const { key } = await t.tenant();
      const answers = await Promise.all(['Race', 'RACE', 'race', 'rAcE'].map((alias) => t.api('POST', '/v1/uploads', { key, json: session(alias) })));
      assert.deepEqual(answers.map((r) => r.status).sort(), [201, 409, 409, 409], JSON.stringify(answers.map((r) => r.body.error)));
      for (const r of answers.filter((x) => x.status === 409)) assertError(r, 409, 'conflict', 'alias');
      const usage = await t.api('GET', '/v1/usage', { key });
      assert.equal(usage.body.data.reserved_bytes, 3, 'only the winner reserved bytes');
    }
  });

  it('aliases in any script are letters; punctuation and symbols are still 400', async () => {
    const { key } = await t.tenant();
    await createSession(t, key, session('東京-2026'));
    await createSession(t, key, session('Ελλάδα'));
    for (const alias of ['no spaces', 'semi;colon', 'emoji-😀', 'dot.ted']) {
      await refused(t, key, () => t.api('POST', '/v1/uploads', { key, json: session(alias) }), 400, 'invalid_request', 'alias');
    }
  });
});
