/**
 * Imports (`source_url`): Intake fetches the file from a real HTTP server on loopback
 * (INTAKE_IMPORT_ALLOW_PRIVATE=true, as tests and private deployments set it), verifies
 * and processes it as any upload; every failure lands in the upload's status with its
 * code and leaves no bytes and no reservation.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { fetchSource } from '../../src/uploads/import/fetch-source.js';
import { runCli } from '../cli/run-cli.js';
import { s3Env, testBucket, type TestBucket } from '../helpers/ceph.js';
import { eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { png, sha256 } from '../helpers/media.js';

/** A PDF by its magic bytes, of several MiB: many reads, several of the client's pooled buffers. */
const bigPdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(6 * 1024 * 1024), Buffer.from('\n%%EOF\n')]);

/** Serves bigPdf at /big.pdf with a Content-Length and at /big-chunked.pdf chunked, written in uneven pieces. */
function serveBig(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  if (req.url !== '/big.pdf' && req.url !== '/big-chunked.pdf') return false;
  res.writeHead(200, { 'content-type': 'application/pdf', ...(req.url === '/big.pdf' ? { 'content-length': bigPdf.length } : {}) });
  let at = 0;
  const next = () => {
    while (at < bigPdf.length) {
      const piece = bigPdf.subarray(at, (at += 1000 + (at % 300_000)));
      if (!res.write(piece)) return void res.once('drain', next);
    }
    res.end();
  };
  next();
  return true;
}

describe('imports from a URL', () => {
  let t: TestIntake;
  let key: string;
  let source: http.Server;
  let base: string;
  let image: Buffer;
  before(async () => {
    image = await png(120, 80);
    source = http.createServer((req, res) => {
      if (serveBig(req, res)) return;
      if (req.url === '/dot.png') return void res.writeHead(200, { 'content-type': 'image/png', 'content-length': image.length }).end(image);
      if (req.url === '/moved') return void res.writeHead(302, { location: '/dot.png' }).end();
      if (req.url === '/chunked') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return void res.end(Buffer.alloc(300_000, 1));
      }
      if (req.url === '/stall') return void res.writeHead(200, { 'content-length': '1000' }).write('x');
      res.writeHead(404).end('no');
    });
    await new Promise<void>((r) => source.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(source.address() as AddressInfo).port}`;
    t = await startIntake({ INTAKE_IMPORT_ALLOW_PRIVATE: 'true', INTAKE_IMPORT_TIMEOUT_SECONDS: '2' });
    ({ key } = await t.tenant({ limits: { image: 200_000 } }));
  });
  after(async () => {
    await t?.close();
    source.closeAllConnections();
    source.close();
  });

  const start = async (json: Record<string, unknown>) => {
    const res = await t.api('POST', '/v1/uploads', { key, json });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.data.status, 'pending');
    return res.body.data.id as string;
  };
  const settle = (id: string) =>
    eventually(async () => {
      const u = (await t.api('GET', `/v1/uploads/${id}`, { key })).body.data;
      return ['completed', 'failed'].includes(u.status) && u;
    }, 15_000, 'the import to settle');
  const reserved = async () => (await t.api('GET', '/v1/usage', { key })).body.data.reserved_bytes;

  it('fetches, verifies and makes a ready asset with the source\'s SHA-256; the file is named after the URL', async () => {
    const id = await start({ source_url: `${base}/dot.png`, folder: 'imports' });
    const upload = await settle(id);
    assert.equal(upload.status, 'completed', JSON.stringify(upload.error));
    assert.equal(upload.filename, 'dot.png');
    const asset = (await t.api('GET', `/v1/assets/${upload.asset_id}`, { key })).body.data;
    assert.equal(asset.status, 'ready');
    assert.equal(asset.sha256, sha256(image));
    assert.equal(asset.mimetype, 'image/png');
    assert.equal(asset.folder, 'imports');
  });

  it('a source of several MiB arrives whole, with a Content-Length or chunked: the asset has its SHA-256', async () => {
    for (const path of ['/big.pdf', '/big-chunked.pdf']) {
      const upload = await settle(await start({ source_url: `${base}${path}` }));
      assert.equal(upload.status, 'completed', `${path}: ${JSON.stringify(upload.error)}`);
      const asset = (await t.api('GET', `/v1/assets/${upload.asset_id}`, { key })).body.data;
      assert.equal(asset.sha256, sha256(bigPdf), path);
      assert.equal(asset.filesize, bigPdf.length, path);
      // The stored bytes themselves, not only the hash taken on the way.
      assert.equal(sha256(Buffer.from(await (await fetch(asset.url)).arrayBuffer())), sha256(bigPdf), path);
    }
  });

  it('follows a redirect', async () => {
    const upload = await settle(await start({ source_url: `${base}/moved`, filename: 'moved.png' }));
    assert.equal(upload.status, 'completed');
    assert.equal(upload.filename, 'moved.png');
  });

  it('an error status, a body over the limit (by Content-Length or while streaming) and a stalled source each fail the upload with their code, leaving nothing', async () => {
    const cases: Array<[string, string, string | undefined]> = [
      ['/missing', 'invalid_request', 'source_failed'],
      ['/chunked', 'file_too_large', undefined],
      ['/stall', 'invalid_request', 'source_failed'],
    ];
    const before = await reserved();
    for (const [path, code, reason] of cases) {
      const id = await start({ source_url: `${base}${path}`, kind: 'image' });
      const upload = await settle(id);
      assert.equal(upload.status, 'failed', path);
      assert.equal(upload.error.code, code, path);
      if (reason) assert.equal(upload.error.details.reason, reason, path);
      assert.deepEqual((await t.storedFiles()).filter((f) => f.includes(id)), [], path);
    }
    const big = await settle(await start({ source_url: `${base}/chunked`, content_type: 'image/png' }));
    assert.equal(big.error.code, 'file_too_large');
    assert.equal(await reserved(), before);
  });

  it('the CLI: intake upload --from-url --wait --json imports and prints the completed upload', async () => {
    const run = await runCli(['upload', '--from-url', `${base}/dot.png`, '--folder', 'cli', '--wait', '--json'], { INTAKE_URL: t.url, INTAKE_API_KEY: key });
    assert.equal(run.code, 0, run.stderr);
    const line = JSON.parse(run.stdout.trim());
    assert.equal(line.outcome, 'imported');
    assert.equal(line.status, 'completed');
    const asset = (await t.api('GET', `/v1/assets/${line.asset_id}`, { key })).body.data;
    assert.equal(asset.sha256, sha256(image));
    assert.equal(asset.folder, 'cli');
    const bad = await runCli(['upload', '--from-url', `${base}/missing`, '--wait'], { INTAKE_URL: t.url, INTAKE_API_KEY: key });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /HTTP 404/);
  });

  it('refuses a bad source_url before anything is recorded (scheme, credentials), and a field that does not apply', async () => {
    for (const source_url of ['ftp://example.com/a.png', 'http://user:pw@example.com/a.png', 'not a url']) {
      const res = await t.api('POST', '/v1/uploads', { key, json: { source_url } });
      assert.equal(res.status, 400, source_url);
      assert.equal(res.body.error!.details.field, 'source_url');
    }
    assert.equal((await t.api('POST', '/v1/uploads', { key, json: { source_url: `${base}/dot.png`, resumable: true } })).status, 400);
    assert.equal((await t.api('POST', '/v1/uploads', { key, json: { filename: 'a.png', content_type: 'image/png' } })).body.error!.details.field, 'file_size');
  });

  it('the address guard: without the opening, a loopback source is refused at creation and on connection', async () => {
    const strict = await startIntake();
    try {
      const { key: k } = await strict.tenant();
      const res = await strict.api('POST', '/v1/uploads', { key: k, json: { source_url: `${base.replace('127.0.0.1', 'localhost')}/dot.png` } });
      assert.equal(res.status, 400);
      assert.equal(res.body.error!.details.reason, 'private_address');
    } finally {
      await strict.close();
    }
    const signal = AbortSignal.timeout(5000);
    await assert.rejects(fetchSource(new URL(`${base}/dot.png`), { allowPrivate: false, maxSize: 1e6, signal }), { name: 'PrivateAddressError' });
    await assert.rejects(fetchSource(new URL(`${base.replace('127.0.0.1', 'localhost')}/dot.png`), { allowPrivate: false, maxSize: 1e6, signal }), { name: 'PrivateAddressError' });
  });
});

describe('imports from a URL on S3 (Ceph RGW)', () => {
  let b: TestBucket;
  let t: TestIntake;
  let source: http.Server;
  before(async () => {
    source = http.createServer((req, res) => void (serveBig(req, res) || res.writeHead(404).end()));
    await new Promise<void>((r) => source.listen(0, '127.0.0.1', r));
    b = await testBucket('intake-import');
    t = await startIntake(s3Env(b, { INTAKE_IMPORT_ALLOW_PRIVATE: 'true' }));
  });
  after(async () => {
    await t?.close();
    await b?.drop();
    source.closeAllConnections();
    source.close();
  });

  it('the body goes to the bucket whole: the asset has the source\'s SHA-256', async () => {
    const { key } = await t.tenant();
    const port = (source.address() as AddressInfo).port;
    const res = await t.api('POST', '/v1/uploads', { key, json: { source_url: `http://127.0.0.1:${port}/big-chunked.pdf` } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const upload = await eventually(async () => {
      const u = (await t.api('GET', `/v1/uploads/${res.body.data.id}`, { key })).body.data;
      return ['completed', 'failed'].includes(u.status) && u;
    }, 30_000, 'the import to settle');
    assert.equal(upload.status, 'completed', JSON.stringify(upload.error));
    const asset = (await t.api('GET', `/v1/assets/${upload.asset_id}`, { key })).body.data;
    assert.equal(asset.sha256, sha256(bigPdf));
    assert.equal(asset.filesize, bigPdf.length);
    assert.equal(sha256(Buffer.from(await (await fetch(asset.url)).arrayBuffer())), sha256(bigPdf));
  });
});
