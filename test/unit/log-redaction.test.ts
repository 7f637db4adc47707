import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactUrl } from '../../src/http/log-redaction.js';

describe('redactUrl', () => {
  it('hides secret parameters, whatever their case or encoding, and keeps the rest in order', () => {
    assert.equal(redactUrl('/files/a/b?expires=1&sig=abc&upload=upl_1'), '/files/a/b?expires=1&sig=[REDACTED]&upload=upl_1');
    assert.equal(redactUrl('/x?SIG=abc&Token=t&X-Amz-Signature=s&X-Amz-Credential=c'), '/x?SIG=[REDACTED]&Token=[REDACTED]&X-Amz-Signature=[REDACTED]&X-Amz-Credential=[REDACTED]');
    assert.equal(redactUrl('/x?%73ig=abc&page=2'), '/x?%73ig=[REDACTED]&page=2', 'a percent-encoded name');
    assert.equal(redactUrl('/x?sig=a&sig=b'), '/x?sig=[REDACTED]&sig=[REDACTED]', 'every repetition');
    assert.equal(redactUrl('/x?%E0%A4%A=v'), '/x?%E0%A4%A=[REDACTED]', 'an undecodable name is hidden too');
  });

  it('leaves URLs without secrets alone', () => {
    for (const url of ['/v1/uploads', '/v1/uploads?limit=5&cursor=abc', '/x?', '/x?flag', '/x?signed=1&sigma=2']) assert.equal(redactUrl(url), url);
  });
});
