/**
 * The hand-written SigV4 presigner against the AWS SDK's own, as an oracle: same inputs,
 * same clock, byte-identical URLs, over keys, headers, expiries and addressing styles.
 * (That Ceph accepts these URLs, and refuses altered ones, is in s3-storage.test.ts.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { S3Client } from '@aws-sdk/client-s3';
import { createS3Clients, type S3Settings } from '../../src/storage/s3-client.js';
import { SigV4Presigner, sdkPresign, type PresignRequest } from '../../src/storage/sigv4.js';

const base: S3Settings = {
  bucket: 'media-bucket',
  region: 'us-east-1',
  endpoint: 'http://127.0.0.1:7480',
  forcePathStyle: true,
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  publicEndpoint: null,
  verifiesChecksums: true,
  conditionalWrites: true,
};

const styles: [string, Partial<S3Settings>][] = [
  ['path style, custom endpoint', {}],
  ['virtual-hosted, custom https endpoint', { endpoint: 'https://s3.example.com', forcePathStyle: false }],
  ['virtual-hosted, AWS', { endpoint: null, forcePathStyle: false, region: 'eu-west-3' }],
  ['path style, AWS', { endpoint: null, forcePathStyle: true, region: 'ap-southeast-2' }],
  ['endpoint with a port and a path-style bucket with dots', { endpoint: 'http://localhost:9000', bucket: 'my.media.bucket' }],
];

const keys = [
  'ns_1/upl_abc/original',
  'folder with spaces/file name.png',
  'ünïcödé/日本語/ファイル.jpg',
  "reserved/!$&'()*+,;=:@[]#?%~_-.end",
  'a/b/c/d/e/f/g/deep.mp4',
  'x',
];

const now = new Date('2026-03-04T05:06:07.089Z');
const later = new Date('2026-03-05T00:00:01Z');
const sha = Buffer.alloc(32, 0xab).toString('base64');

function requests(key: string): PresignRequest[] {
  return [
    { method: 'GET', key, expiresIn: 3600, now },
    { method: 'GET', key, expiresIn: 1, now, query: { 'response-content-type': 'image/svg+xml', 'response-content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent('ä b (1).svg')}` } },
    { method: 'GET', key, expiresIn: 604_800, now: later, query: { 'response-content-type': 'text/plain; charset=utf-8' } },
    { method: 'PUT', key, expiresIn: 900, now, headers: { 'Content-Type': 'image/png' } },
    { method: 'PUT', key, expiresIn: 3600, now, headers: { 'Content-Type': 'video/mp4', 'Content-Length': '10737418240' } },
    { method: 'PUT', key, expiresIn: 86_400, now, headers: { 'Content-Type': 'image/png', 'Content-Length': '1', 'If-None-Match': '*' } },
    { method: 'PUT', key, expiresIn: 60, now: later, headers: { 'Content-Type': 'application/json', 'Content-Length': '42', 'If-None-Match': '*', 'x-amz-checksum-sha256': sha } },
    { method: 'PUT', key, expiresIn: 604_800, now, headers: { 'Content-Type': 'audio/mpeg', 'x-amz-checksum-sha256': sha } },
    // A resumable session's part URL (src/storage/s3-multipart.ts).
    { method: 'PUT', key, expiresIn: 3600, now, operation: 'UploadPart', headers: { 'Content-Length': '5242880' }, query: { partNumber: '7', uploadId: '2~ab-CD_ef.gh' } },
  ];
}

describe('SigV4 presigner matches the AWS SDK byte for byte', () => {
  for (const [name, over] of styles) {
    it(name, async () => {
      const settings = { ...base, ...over };
      const { presign } = createS3Clients(settings);
      const mine = new SigV4Presigner(presign, settings.bucket);
      let compared = 0;
      for (const key of keys) {
        for (const req of requests(key)) {
          const expected = await sdkPresign(presign, settings.bucket, req);
          assert.equal(await mine.presign(req), expected, `${req.method} ${key} ${JSON.stringify(req.headers ?? req.query ?? {})}`);
          compared++;
        }
      }
      assert.equal(compared, keys.length * requests('k').length);
    });
  }

  it('expiry bounds: 1 s and 7 days sign as the SDK does; past 7 days both refuse; 0, negative or fractional are refused', async () => {
    const { presign } = createS3Clients(base);
    const mine = new SigV4Presigner(presign, base.bucket);
    for (const expiresIn of [1, 604_800]) {
      const req: PresignRequest = { method: 'PUT', key: 'k', expiresIn, now, headers: { 'Content-Type': 'image/png' } };
      assert.equal(await mine.presign(req), await sdkPresign(presign, base.bucket, req));
    }
    const over: PresignRequest = { method: 'GET', key: 'k', expiresIn: 604_801, now };
    await assert.rejects(sdkPresign(presign, base.bucket, over), /less than one week/);
    await assert.rejects(mine.presign(over), RangeError);
    // The SDK signs these into URLs no store accepts; Intake's signer refuses them.
    for (const expiresIn of [0, -1, 1.5, Number.NaN]) await assert.rejects(mine.presign({ method: 'GET', key: 'k', expiresIn, now }), RangeError, String(expiresIn));
  });

  it('with temporary credentials (a session token) and a public endpoint', async () => {
    const client = new S3Client({
      region: 'us-west-2',
      endpoint: 'https://cdn-s3.example.org',
      forcePathStyle: true,
      credentials: { accessKeyId: 'ASIATEMP', secretAccessKey: 'secret/with+chars=', sessionToken: 'FwoGZXIvYXdzE//token+with/slashes==' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const mine = new SigV4Presigner(client, 'b-1');
    for (const req of requests('ns/upl_1/original')) {
      const url = await mine.presign(req);
      assert.ok(url.startsWith('https://cdn-s3.example.org/b-1/ns/upl_1/original?'));
      assert.match(url, /X-Amz-Security-Token=/);
      assert.equal(url, await sdkPresign(client, 'b-1', req));
    }
  });

  it('a cached signing key is not reused across days, regions or secrets', async () => {
    const a = createS3Clients(base).presign;
    const mine = new SigV4Presigner(a, base.bucket);
    const req: PresignRequest = { method: 'GET', key: 'k', expiresIn: 60, now };
    const first = await mine.presign(req);
    const nextDay = await mine.presign({ ...req, now: later });
    assert.equal(nextDay, await sdkPresign(a, base.bucket, { ...req, now: later }));
    assert.notEqual(new URL(first).searchParams.get('X-Amz-Signature'), new URL(nextDay).searchParams.get('X-Amz-Signature'));
    const other = createS3Clients({ ...base, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'another-secret' } }).presign;
    const otherSigner = new SigV4Presigner(other, base.bucket);
    assert.equal(await otherSigner.presign(req), await sdkPresign(other, base.bucket, req));
    assert.notEqual(await otherSigner.presign(req), first);
  });
});
