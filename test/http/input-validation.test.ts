/**
 * Input that used to slip through: conditions compared as text (`width <= "2000"` let a
 * 10000-px image pass), integers too large for any column (`quota_bytes: 1e300`), form
 * metadata parsed without the JSON body's prototype guards, names and titles carrying
 * invisible or reordering characters, and `'` left raw in `filename*`. Every refusal is a
 * 400 naming the field and leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventually, useIntake } from '../helpers/intake.js';
import { png } from '../helpers/media.js';
import { assertError, createSession, refused } from './error-helpers.js';
import { assertRefusedAndGone, sendAndComplete } from './verify-steps.js';

const t = useIntake();

const session = (extra: Record<string, unknown>) => ({ filename: 'p.png', content_type: 'image/png', file_size: 100, ...extra });
const createRaw = (body: string, k = t.key) => t.api('POST', '/v1/uploads', { key: k, body, headers: { 'content-type': 'application/json' } });
const rules = (...r: Array<[string, string, unknown]>) => ({ operator: '&&', rules: r.map(([k, operator, value]) => ({ key: k, operator, value })) });

describe('conditions compare numbers as numbers', () => {
  for (const [name, conditions, field] of [
    ['a string for a numeric key (width <= "2000")', rules(['width', '<=', '2000']), 'conditions.rules.0.value'],
    ['a string for filesize', rules(['kind', '==', 'image'], ['filesize', '<', '10']), 'conditions.rules.1.value'],
    ['a number for kind', rules(['kind', '==', 1]), 'conditions.rules.0.value'],
    ['an ordering of MIME types', rules(['mimetype', '>', 'image/png']), 'conditions.rules.0.operator'],
  ] as const) {
    it(`${name} is 400 invalid_request naming the rule`, async () => {
      await refused(t, t.key, () => t.api('POST', '/v1/uploads', { key: t.key, json: session({ conditions }) }), 400, 'invalid_request', field);
    });
  }

  it('a 100-px image passes width >= 9 (as text, "100" < "9") and fails width > 99.5 numerically, nothing kept', async () => {
    const tenant = await t.tenant();
    const image = await png(100, 50);
    const ok = await sendAndComplete(t, tenant.key, image, { filename: 'a.png', content_type: 'image/png', conditions: rules(['width', '>=', 9], ['height', '<', 100], ['mimetype', '==', 'IMAGE/PNG']) });
    assert.equal(ok.done.status, 200, JSON.stringify(ok.done.body));

    const other = await t.tenant();
    const no = await sendAndComplete(t, other.key, image, { filename: 'b.png', content_type: 'image/png', conditions: rules(['width', '>', 100.5], ['height', '>=', 9]) });
    await assertRefusedAndGone(t, other.key, no.session, no.done, 422, 'conditions_not_met');
    assert.deepEqual(no.done.body.error!.details.failed_rules, [{ key: 'width', operator: '>', value: 100.5 }]);
  });
});

describe('every integer in a request is bounded', () => {
  const namespaces = async () => (await t.intake.db.kysely.selectFrom('namespaces').select('id').execute()).length;

  for (const [json, field] of [
    ['{"name":"big","quota_bytes":1e309}', 'quota_bytes'],
    ['{"name":"big","quota_bytes":1e300}', 'quota_bytes'],
    ['{"name":"big","quota_bytes":9007199254740993}', 'quota_bytes'],
    ['{"name":"big","limits":{"image":1e309}}', 'limits.image'],
    ['{"name":"big","limits":{"video":1e20}}', 'limits.video'],
  ] as const) {
    it(`POST /v1/namespaces ${json} is 400 naming ${field}; no namespace is made`, async () => {
      const before = await namespaces();
      const res = await t.api('POST', '/v1/namespaces', { body: json, headers: { 'content-type': 'application/json' } });
      assertError(res, 400, 'invalid_request', field);
      assert.equal(await namespaces(), before);
    });
  }

  it('the largest exact integer is a valid quota, and its usage reads back (no 500)', async () => {
    const res = await t.api('POST', '/v1/namespaces', { body: '{"name":"max","quota_bytes":9007199254740991}', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const k = await t.api('POST', '/v1/keys', { json: { namespace_id: res.body.data.id } });
    const usage = await t.api('GET', '/v1/usage', { key: k.body.data.secret });
    assert.equal(usage.status, 200, JSON.stringify(usage.body));
    assert.equal(usage.body.data.quota_bytes, Number.MAX_SAFE_INTEGER);
  });

  for (const [name, body, field] of [
    ['file_size 1e300', '{"filename":"p.png","content_type":"image/png","file_size":1e300}', 'file_size'],
    ['file_size 1e309', '{"filename":"p.png","content_type":"image/png","file_size":1e309}', 'file_size'],
    ['a width hint of 1e309', '{"filename":"p.png","content_type":"image/png","file_size":10,"width":1e309}', 'width'],
    ['a duration hint of 1e300', '{"filename":"p.png","content_type":"image/png","file_size":10,"duration":1e300}', 'duration'],
    ['a condition value of 1e309', '{"filename":"p.png","content_type":"image/png","file_size":10,"conditions":{"operator":"&&","rules":[{"key":"width","operator":"<","value":1e309}]}}', 'conditions.rules.0.value'],
    ['expires_in 1e309', '{"filename":"p.png","content_type":"image/png","file_size":10,"expires_in":1e309}', 'expires_in'],
  ] as const) {
    it(`POST /v1/uploads with ${name} is 400 naming ${field}, nothing kept`, async () => {
      await refused(t, t.key, () => createRaw(body), 400, 'invalid_request', field);
    });
  }
});

describe('form metadata is parsed with the JSON body’s guards', () => {
  const form = (metadataFirst: boolean, metadata: string) => {
    const f = new FormData();
    if (metadataFirst) f.append('metadata', metadata);
    f.append('file', new Blob([Buffer.from('hello\n')], { type: 'text/plain' }), 'h.txt');
    if (!metadataFirst) f.append('metadata', metadata);
    return f;
  };
  for (const metadata of ['{"__proto__":{"polluted":true}}', '{"__proto__":"x"}', '{"constructor":{"prototype":{"polluted":true}}}', '{"a":1,"__proto__":null}']) {
    for (const first of [true, false]) {
      it(`${metadata} sent ${first ? 'before' : 'after'} the file is 400 naming metadata, nothing kept`, async () => {
        await refused(t, t.key, () => t.api('POST', '/v1/uploads', { key: t.key, body: form(first, metadata) }), 400, 'invalid_request', 'metadata');
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
      });
    }
  }

  it('the JSON route refuses the same keys', async () => {
    await refused(t, t.key, () => createRaw('{"filename":"p.png","content_type":"image/png","file_size":10,"metadata":{"__proto__":"x"}}'), 400, 'invalid_request');
    await refused(t, t.key, () => createRaw('{"filename":"p.png","content_type":"image/png","file_size":10,"metadata":{"constructor":{"prototype":{"a":1}}}}'), 400, 'invalid_request');
  });

  it('ordinary metadata still works in a form', async () => {
    const res = await t.api('POST', '/v1/uploads', { key: t.key, body: form(true, '{"camera":"x100","iso":200,"raw":false}') });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const asset = await t.api('GET', `/v1/assets/${res.body.data.asset_id}`, { key: t.key });
    assert.deepEqual(asset.body.data.metadata, { camera: 'x100', iso: 200, raw: false });
    // Completion runs in the background: let it settle before the next snapshot.
    await eventually(async () => (await t.api('GET', `/v1/uploads/${res.body.data.id}`, { key: t.key })).body.data.status === 'completed', 10_000, 'form upload completed');
  });
});

describe('names and titles hold no invisible, reordering or line-breaking characters', () => {
  const badNames: Array<[string, string]> = [
    ['LEFT-TO-RIGHT MARK', 'photo\u200e.png'],
    ['RIGHT-TO-LEFT MARK', '\u200fphoto.png'],
    ['LINE SEPARATOR', 'photo\u2028.png'],
    ['PARAGRAPH SEPARATOR', 'photo\u2029.png'],
    ['BOM', '\ufeffphoto.png'],
    ['a lone space', ' '],
    ['only spaces', '   '],
    ['an ideographic space alone', '\u3000'],
    ['RIGHT-TO-LEFT OVERRIDE', 'invoice\u202egnp.exe'],
    ['FIRST STRONG ISOLATE', 'a\u2068b.png'],
    ['ZERO WIDTH SPACE', 'a\u200bb.png'],
    ['a lone surrogate', 'a\ud800b.png'],
    ['a tab', 'a\tb.png'],
  ];
  for (const [what, filename] of badNames) {
    it(`a filename with ${what} is 400 naming filename, nothing kept`, async () => {
      await refused(t, t.key, () => t.api('POST', '/v1/uploads', { key: t.key, json: session({ filename }) }), 400, 'invalid_request', 'filename');
    });
  }

  it('a form upload whose file name has a bidirectional mark is refused the same way', async () => {
    const f = new FormData();
    f.append('file', new Blob([Buffer.from('hello\n')], { type: 'text/plain' }), 'note\u200f.txt');
    await refused(t, t.key, () => t.api('POST', '/v1/uploads', { key: t.key, body: f }), 400, 'invalid_request', 'filename');
  });

  for (const filename of ['café ☕.png', 'ファイル 1.png', 'family 👨\u200d👩\u200d👧.png', 'نامه\u200cها.png', "it's (1).png"]) {
    it(`${JSON.stringify(filename)} is a fine filename`, async () => {
      const s = await createSession(t, t.key, session({ filename }));
      assert.equal(s.filename, filename);
      await t.api('DELETE', `/v1/uploads/${s.upload_id}`, { key: t.key });
    });
  }

  const badTitles: Array<[string, string]> = [
    ['NUL', 'a\u0000b'],
    ['CR', 'a\rb'],
    ['LF', 'a\nb'],
    ['RIGHT-TO-LEFT OVERRIDE', 'a\u202eb'],
    ['LINE SEPARATOR', 'a\u2028b'],
  ];
  for (const [what, title] of badTitles) {
    it(`a title with ${what} is 400 naming title, on create and on PATCH`, async () => {
      await refused(t, t.key, () => t.api('POST', '/v1/uploads', { key: t.key, json: session({ title }) }), 400, 'invalid_request', 'title');
      const s = await createSession(t, t.key, session({ title: 'Fine' }));
      await refused(t, t.key, () => t.api('PATCH', `/v1/assets/${s.asset_id}`, { key: t.key, json: { title } }), 400, 'invalid_request', 'title');
      assert.equal((await t.api('GET', `/v1/assets/${s.asset_id}`, { key: t.key })).body.data.title, 'Fine');
      await t.api('DELETE', `/v1/uploads/${s.upload_id}`, { key: t.key });
    });
  }
});

describe('Content-Disposition encodes the name as RFC 8187 asks', () => {
  it("a name with ' ( ) * and non-ASCII letters is percent-encoded in filename* and decodes back exactly", async () => {
    const { key: k } = await t.tenant();
    const filename = "l'été (final) *v2*!.txt";
    const { done } = await sendAndComplete(t, k, Buffer.from('text\n'), { filename, content_type: 'text/plain' });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const res = await fetch(done.body.data.asset.url);
    assert.equal(res.status, 200);
    const header = res.headers.get('content-disposition') ?? '';
    const m = /filename\*=UTF-8''([^;\s]*)/.exec(header);
    assert.ok(m, header);
    // attr-char (RFC 8187 §3.2.1) or a percent-encoded octet, nothing else.
    assert.match(m[1]!, /^(?:[A-Za-z0-9!#$&+\-.^_`|~]|%[0-9A-F]{2})+$/, header);
    assert.equal(decodeURIComponent(m[1]!), filename);
    // The plain filename= fallback is a quoted ASCII string without quotes inside it.
    assert.match(header, /filename="[\x20-\x21\x23-\x7e]*"/);
  });
});
