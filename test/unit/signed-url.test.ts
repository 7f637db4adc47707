import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sign, verify, type SignedFields } from '../../src/storage/signed-url.js';

const SECRET = 'unit-test-secret-0123456789abcdef';
const fields: SignedFields = { method: 'PUT', key: 'ns/upl_1/original', expires: 2_000_000_000, contentType: 'image/png', maxSize: 1000, uploadId: 'upl_1' };
const before = fields.expires * 1000 - 1;
const after = fields.expires * 1000 + 1;

describe('signed URLs', () => {
  it('sign() is deterministic, URL-safe and depends on the secret', () => {
    const sig = sign(SECRET, fields);
    assert.equal(sign(SECRET, { ...fields }), sig);
    assert.match(sig, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(sign('another-secret-0123456789abcdefgh', fields), sig);
  });

  it('verify() accepts an untouched signature until the expiry second', () => {
    const sig = sign(SECRET, fields);
    assert.equal(verify(SECRET, fields, sig, before), 'ok');
    assert.equal(verify(SECRET, fields, sig, fields.expires * 1000), 'ok');
    assert.equal(verify(SECRET, fields, sig, after), 'expired');
  });

  it('every signed field is bound', () => {
    const sig = sign(SECRET, fields);
    const changes: Partial<SignedFields>[] = [
      { method: 'POST' }, { key: 'ns/upl_1/other' }, { expires: fields.expires + 1 }, { contentType: 'text/html' },
      { maxSize: 1001 }, { uploadId: 'upl_2' }, { disposition: 'inline' }, { filename: 'x.png' }, { part: 1 },
    ];
    for (const change of changes) {
      assert.equal(verify(SECRET, { ...fields, ...change }, sig, before), 'bad_signature', JSON.stringify(change));
    }
  });

  it('values cannot be shifted between fields', () => {
    const a: SignedFields = { method: 'GET', key: 'k', expires: 1, disposition: 'inline', filename: '' };
    const b: SignedFields = { method: 'GET', key: 'k', expires: 1, disposition: '', filename: 'inline' };
    assert.notEqual(sign(SECRET, a), sign(SECRET, b));
    assert.notEqual(sign(SECRET, { ...a, key: 'k","x' }), sign(SECRET, { ...a, key: 'k', contentType: 'x' }));
  });

  it('a part URL is bound to its part number', () => {
    const part: SignedFields = { method: 'PUT', key: 'ns/upl_1/original', expires: fields.expires, maxSize: 5, uploadId: 'upl_1', part: 2 };
    const sig = sign(SECRET, part);
    assert.equal(verify(SECRET, part, sig, before), 'ok');
    for (const n of [1, 3, 20, 12]) assert.equal(verify(SECRET, { ...part, part: n }, sig, before), 'bad_signature');
    assert.equal(verify(SECRET, { ...part, part: undefined }, sig, before), 'bad_signature');
  });

  it('a bad signature beats an expired one', () => {
    const sig = sign(SECRET, fields);
    assert.equal(verify(SECRET, { ...fields, maxSize: 10 ** 9 }, sig, after), 'bad_signature');
    assert.equal(verify(SECRET, fields, 'x'.repeat(sig.length), after), 'bad_signature');
    assert.equal(verify('wrong-secret-0123456789abcdefghij', fields, sig, after), 'bad_signature');
  });

  it('signatures of the wrong length or shape are bad, not errors', () => {
    const sig = sign(SECRET, fields);
    for (const bad of ['', sig.slice(0, -1), `${sig}A`, `${sig.slice(0, -2)}é`]) {
      assert.equal(verify(SECRET, fields, bad, before), 'bad_signature', JSON.stringify(bad));
    }
  });

  it('a non-finite expiry never verifies as ok', () => {
    const f = { ...fields, expires: Number.NaN };
    assert.equal(verify(SECRET, f, sign(SECRET, f), 0), 'expired');
  });
});
