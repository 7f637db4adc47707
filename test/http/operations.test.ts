import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { consoleRoutes } from '../../src/http/console.js';
import { installMetrics } from '../../src/http/plugins/metrics.js';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { png } from '../helpers/media.js';
import { put } from './error-helpers.js';

let t: TestIntake;
before(async () => {
  t = await startIntake();
});
after(() => t.close());

describe('GET /metrics', () => {
  it('serves Prometheus text with process metrics and answers by route template, never by raw id', async () => {
    const { key } = await t.tenant();
    const s = await t.api('POST', '/v1/uploads', { key, json: { filename: 'a.txt', content_type: 'text/plain', file_size: 5 } });
    assert.equal((await t.api('GET', `/v1/uploads/${s.body.data.upload_id}`, { key })).status, 200);
    assert.equal((await t.api('GET', '/v1/uploads/upl_doesnotexist000000', { key })).status, 404);
    const res = await fetch(`${t.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    // prom-client's standard names, unprefixed, so stock Node.js dashboards work.
    assert.match(text, /^process_cpu_user_seconds_total /m);
    assert.match(text, /^nodejs_eventloop_lag_seconds /m);
    assert.doesNotMatch(text, /^intake_process_|^intake_nodejs_/m);
    assert.match(text, /intake_http_requests_total\{method="GET",route="\/v1\/uploads\/:id",status="200"\} 1/);
    assert.match(text, /intake_http_requests_total\{method="GET",route="\/v1\/uploads\/:id",status="404"\} 1/);
    assert.match(text, /intake_http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/v1\/uploads"\}/);
    assert.ok(!text.includes(s.body.data.upload_id), 'no raw ids in labels');
  });
});

describe('upload metrics', () => {
  const value = (text: string, series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : 0;
  };
  const scrape = async () => (await fetch(`${t.url}/metrics`)).text();

  it('count sessions created, completed (with bytes and duration) and failed by kind and code', async () => {
    const { key } = await t.tenant();
    const before = await scrape();
    const body = Buffer.from('hello');
    const s = (await t.api('POST', '/v1/uploads', { key, json: { filename: 'a.txt', content_type: 'text/plain', file_size: body.length } })).body.data;
    assert.equal((await put(s.upload_url, body, 'text/plain')).status, 200);
    const done = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key, json: {} });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const kind = done.body.data.kind;
    // Bytes that are not the PNG they claim to be: the session fails verification.
    const image = await png(4, 4);
    const bad = (await t.api('POST', '/v1/uploads', { key, json: { filename: 'b.png', content_type: 'image/png', file_size: image.length } })).body.data;
    assert.equal((await put(bad.upload_url, Buffer.alloc(image.length, 7), 'image/png')).status, 200);
    const refused = await t.api('POST', `/v1/uploads/${bad.upload_id}/complete`, { key, json: {} });
    assert.ok(refused.status >= 400, JSON.stringify(refused.body));
    const failed = await t.api('GET', `/v1/uploads/${bad.upload_id}`, { key });
    assert.equal(failed.body.data.status, 'failed', JSON.stringify(failed.body));
    const code = failed.body.data.error.code;

    const after = await scrape();
    const delta = (series: string) => value(after, series) - value(before, series);
    assert.equal(delta(`intake_uploads_created_total{kind="${kind}"}`), 1, after);
    assert.equal(delta('intake_uploads_created_total{kind="image"}'), 1);
    assert.equal(delta(`intake_uploads_completed_total{kind="${kind}"}`), 1);
    assert.equal(delta(`intake_uploads_failed_total{kind="image",code="${code}"}`), 1, after);
    assert.equal(delta('intake_bytes_received_total'), body.length);
    assert.equal(delta(`intake_upload_duration_seconds_count{kind="${kind}"}`), 1);
    assert.match(after, /^# TYPE intake_upload_duration_seconds histogram$/m);
  });

  it('label the console\'s hashed file routes by their folder, never by file name', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-console-'));
    await fs.mkdir(path.join(dir, 'assets'));
    await fs.writeFile(path.join(dir, 'index.html'), '<!doctype html>');
    await fs.writeFile(path.join(dir, 'assets', 'index-3f9a1c2b.js'), 'console.log(1)');
    const app = Fastify();
    try {
      installMetrics(app);
      await app.register(consoleRoutes({ dir, mediaOrigin: 'http://127.0.0.1' }));
      assert.equal((await app.inject({ url: '/assets/index-3f9a1c2b.js' })).statusCode, 200);
      assert.equal((await app.inject({ url: '/' })).statusCode, 200);
      const text = (await app.inject({ url: '/metrics' })).body;
      assert.ok(!text.includes('3f9a1c2b'), 'no hashed file name in a label');
      assert.match(text, /intake_http_requests_total\{method="GET",route="\/assets\/\*",status="200"\} 1/);
      assert.match(text, /intake_http_requests_total\{method="GET",route="\/",status="200"\} 1/);
    } finally {
      await app.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('parts routes', () => {
  it('answer 409 not_resumable for a simple session, and 404 for another namespace’s', async () => {
    const mine = await t.tenant();
    const other = await t.tenant();
    const s = await t.api('POST', '/v1/uploads', { key: mine.key, json: { filename: 'a.txt', content_type: 'text/plain', file_size: 5 } });
    const id = s.body.data.upload_id;
    for (const method of ['GET', 'POST'] as const) {
      const body = method === 'POST' ? { json: { part_numbers: [1] } } : {};
      const res = await t.api(method, `/v1/uploads/${id}/parts`, { key: mine.key, ...body });
      assert.equal(res.status, 409, JSON.stringify(res.body));
      assert.equal(res.body.error?.code, 'conflict');
      assert.equal(res.body.error?.details.reason, 'not_resumable');
      assert.equal((await t.api(method, `/v1/uploads/${id}/parts`, { key: other.key, ...body })).status, 404);
    }
  });
});
