import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIntake, type TestIntake } from '../helpers/intake.js';

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
    assert.match(text, /^intake_process_cpu_user_seconds_total /m);
    assert.match(text, /intake_http_requests_total\{method="GET",route="\/v1\/uploads\/:id",status="200"\} 1/);
    assert.match(text, /intake_http_requests_total\{method="GET",route="\/v1\/uploads\/:id",status="404"\} 1/);
    assert.match(text, /intake_http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/v1\/uploads"\}/);
    assert.ok(!text.includes(s.body.data.upload_id), 'no raw ids in labels');
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
