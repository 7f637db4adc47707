/**
 * Which connections the byte front hands to the receiver: only a plain PUT to a signed URL
 * with one Content-Length; anything else, or anything unusual, goes to the API server's
 * own parser, which reads it from the first byte.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readHead } from '../../src/http/byte-receiver/front.js';

const b = (s: string) => Buffer.from(s, 'latin1');
const head = (lines: string[], body = '') => b(`${lines.join('\r\n')}\r\n\r\n${body}`);

describe('byte front: reading the head of a connection', () => {
  it('takes a PUT to /files/ with its headers and the body bytes that came with it', () => {
    const got = readHead(head(['PUT /files/ns/upl/original?sig=abc&upload=u HTTP/1.1', 'Host: x', 'Content-Type: image/png', 'Content-Length: 10'], 'abcd'));
    assert.ok(typeof got === 'object');
    assert.equal(got.url, '/files/ns/upl/original?sig=abc&upload=u');
    assert.equal(got.contentLength, 10);
    assert.equal(got.headers['content-type'], 'image/png');
    assert.equal(got.prefix.toString(), 'abcd');
  });

  it('asks for more while the bytes could still be such a head', () => {
    assert.equal(readHead(b('PU')), 'more');
    assert.equal(readHead(b('PUT /fil')), 'more');
    assert.equal(readHead(b('PUT /files/x HTTP/1.1\r\nHost: x\r\n')), 'more');
  });

  it('leaves every other request to the API server at its first bytes', () => {
    for (const start of ['GET /files/x', 'POST /files/x', 'PUT /v1/x', 'OPTIONS /files/x', 'put /files/x', 'X']) assert.equal(readHead(b(start)), 'api', start);
  });

  it('leaves unusual PUTs to the API server: chunked, no or repeated Content-Length, folded or odd headers, other versions, a huge head', () => {
    const put = 'PUT /files/k HTTP/1.1';
    const cases: Buffer[] = [
      head([put, 'Host: x', 'Transfer-Encoding: chunked']),
      head([put, 'Host: x', 'Content-Length: 5', 'Transfer-Encoding: chunked']),
      head([put, 'Host: x']),
      head([put, 'Host: x', 'Content-Length: 5', 'Content-Length: 5']),
      head([put, 'Host: x', 'Content-Length: -5']),
      head([put, 'Host: x', 'Content-Length: 5x']),
      head([put, 'Host: x', 'Content-Length: 5', ' folded']),
      head([put, 'Host: x', 'Bad Name: 1', 'Content-Length: 5']),
      head([put, 'Host: x', 'X: a\x00b', 'Content-Length: 5']),
      head([put, 'Host: x', 'Expect: something-else', 'Content-Length: 5']),
      head(['PUT /files/k HTTP/2.0', 'Content-Length: 5']),
      head(['PUT /files/k x HTTP/1.1', 'Content-Length: 5']),
      b(`${put}\r\nX: ${'a'.repeat(20_000)}`),
    ];
    for (const c of cases) assert.equal(readHead(c), 'api', JSON.stringify(c.subarray(0, 80).toString('latin1')));
  });

  it('takes Expect: 100-continue and HTTP/1.0', () => {
    assert.ok(typeof readHead(head(['PUT /files/k HTTP/1.1', 'Expect: 100-continue', 'Content-Length: 5'])) === 'object');
    assert.ok(typeof readHead(head(['PUT /files/k HTTP/1.0', 'Content-Length: 5'])) === 'object');
  });
});
