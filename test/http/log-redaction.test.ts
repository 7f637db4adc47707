/**
 * A signed URL's query is a credential: whoever reads `sig=…` in a log can upload or
 * download with it until it expires. Request lines are logged at `info`, so every secret
 * query parameter is redacted there — on success, refusal and 404 alike — while the rest
 * of the URL stays for debugging.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { png, sha256 } from '../helpers/media.js';
import { createSession, put } from './error-helpers.js';

const lines: string[] = [];
let t: TestIntake;
let key: string;

before(async () => {
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  t = await startIntake({}, { logger: pino({ level: 'info' }, sink) });
  ({ key } = await t.tenant());
});
after(() => t.close());

const sigOf = (url: string) => new URL(url).searchParams.get('sig')!;

/** The URL of every logged request line. */
const loggedUrls = () => lines.map((l) => JSON.parse(l) as { req?: { url?: string } }).flatMap((l) => (l.req?.url ? [l.req.url] : []));

describe('signed URLs in the logs', () => {
  it('the signature of an upload URL and a delivery URL never reaches the log; the request line still does', async () => {
    const image = await png();
    const s = await createSession(t, key, { filename: 'p.png', content_type: 'image/png', file_size: image.length, file_hash: sha256(image) });
    assert.equal((await put(s.upload_url, image, 'image/png')).status, 200);
    const done = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key, json: {} });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const delivery: string = done.body.data.asset.url;
    assert.equal((await fetch(delivery)).status, 200);
    assert.equal((await fetch(delivery, { method: 'HEAD' })).status, 200);
    // Refused and unknown requests are logged too: a tampered signature, an unknown route.
    const tampered = new URL(delivery);
    tampered.searchParams.set('filename', 'other.png');
    assert.equal((await fetch(tampered)).status, 403);
    const stray = `${t.url}/nowhere?sig=${sigOf(delivery)}&token=tok_secret_123&x-amz-signature=abc123def&page=2`;
    assert.equal((await fetch(stray)).status, 404);

    const secrets = [sigOf(s.upload_url), sigOf(delivery), 'tok_secret_123', 'abc123def'];
    const all = lines.join('\n');
    for (const secret of secrets) assert.ok(!all.includes(secret), `the log holds the secret ${secret}`);

    const urls = loggedUrls();
    const put1 = urls.find((u) => u.startsWith(new URL(s.upload_url).pathname));
    assert.ok(put1, `the PUT was logged: ${urls.join(' ')}`);
    assert.match(put1, /[?&]sig=\[REDACTED\]/);
    assert.match(put1, new RegExp(`[?&]upload=${s.upload_id}`), 'the rest of the query stays');
    const strayLine = urls.find((u) => u.startsWith('/nowhere'));
    assert.equal(strayLine, '/nowhere?sig=[REDACTED]&token=[REDACTED]&x-amz-signature=[REDACTED]&page=2');
    assert.ok(urls.filter((u) => u.includes('sig=[REDACTED]')).length >= 5, 'PUT, GET, HEAD, the 403 and the 404');
  });
});
