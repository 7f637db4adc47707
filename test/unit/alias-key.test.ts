import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aliasKey } from '../../src/lib/alias-key.js';
import { contentDisposition } from '../../src/lib/content-disposition.js';

describe('aliasKey', () => {
  it('folds case, canonical and compatibility forms onto one key', () => {
    const groups = [
      ['Logo', 'LOGO', 'logo', '\uff2c\uff4f\uff47\uff4f'],
      ['Caf\u00e9', 'CAFE\u0301', 'cafe\u0301', 'CAF\u00c9'],
      ['Stra\u00dfe', 'STRASSE', 'STRA\u1e9eE', 'strasse'],
      ['\u039f\u0394\u039f\u03a3', '\u03bf\u03b4\u03bf\u03c3', '\u03bf\u03b4\u03bf\u03c2'],
    ];
    for (const group of groups) {
      const keys = new Set(group.map(aliasKey));
      assert.equal(keys.size, 1, `${group.join(', ')} → ${[...keys].join(', ')}`);
    }
    assert.notEqual(aliasKey('logo'), aliasKey('logo-2'));
  });

  it('is stable: a key folds to itself', () => {
    for (const alias of ['Logo', 'Stra\u00dfe', '\u0130stanbul', '\u6771\u4eac-2026', 'CAFE\u0301']) assert.equal(aliasKey(aliasKey(alias)), aliasKey(alias));
  });
});

describe('contentDisposition', () => {
  it("percent-encodes ' ( ) * ! in filename* and keeps an ASCII fallback without quotes", () => {
    assert.equal(
      contentDisposition('attachment', `it's "(1)" *é*!.txt`),
      `attachment; filename="it's _(1)_ *_*!.txt"; filename*=UTF-8''it%27s%20%22%281%29%22%20%2A%C3%A9%2A%21.txt`,
    );
  });

  it('survives a lone surrogate (no UTF-8 form) instead of throwing', () => {
    assert.match(contentDisposition('inline', 'a\ud800.png'), /filename\*=UTF-8''a%EF%BF%BD\.png$/);
  });
});
