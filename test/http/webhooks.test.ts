/**
 * Webhooks per the contract, received by a real HTTP server on loopback: Standard Webhooks
 * signatures verified independently, a 500 answered first is retried, the delivery log
 * tells the story, and endpoints on private addresses are refused unless allowed.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { png } from '../helpers/media.js';
import { uploadMedia, videoClip } from '../helpers/processing.js';
import { assertError, createSession } from './error-helpers.js';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  answered: number;
}

let t: TestIntake;
let receiver: http.Server;
let hookUrl: string;
const received: Received[] = [];
/** Message ids that were already answered 500 once. */
const failedOnce = new Set<string>();

before(async () => {
  t = await startIntake({ INTAKE_WEBHOOK_ALLOW_PRIVATE: 'true', INTAKE_JOB_RETRY_BASE_MS: '50' });
  receiver = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      const type = (JSON.parse(body) as { type: string }).type;
      // Every asset.ready message is refused once, to be retried.
      const answer = type === 'asset.ready' && !failedOnce.has(id) ? 500 : 204;
      if (answer === 500) failedOnce.add(id);
      received.push({ headers: req.headers, body, answered: answer });
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
});
after(async () => {
  await t.close();
  await new Promise((r) => receiver.close(r));
});

/** Verifies a delivery the way a Standard Webhooks consumer does. */
function verify(secret: string, r: Received): void {
  const id = String(r.headers['webhook-id']);
  const ts = String(r.headers['webhook-timestamp']);
  const expected = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64')).update(`${id}.${ts}.${r.body}`).digest('base64');
  const sigs = String(r.headers['webhook-signature']).split(' ');
  assert.ok(sigs.includes(`v1,${expected}`), `signature ${r.headers['webhook-signature']} is not v1,${expected}`);
  assert.ok(Math.abs(Number(ts) - Date.now() / 1000) < 300, 'timestamp is now');
  assert.match(id, /^msg_[a-z0-9]{16,}$/);
}

describe('webhook endpoints', () => {
  it('signed deliveries arrive for a completed upload; a 500 is retried; the log records both attempts', async () => {
    const tenant = await t.tenant();
    const created = await t.api('POST', '/v1/webhooks', { key: tenant.key, json: { url: hookUrl, events: ['upload.completed', 'asset.ready', 'asset.deleted'] } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const hook = created.body.data;
    assert.match(hook.secret, /^whsec_[A-Za-z0-9+/=]{40,}$/);
    assert.match(hook.id, /^whk_/);
    const shown = await t.api('GET', `/v1/webhooks/${hook.id}`, { key: tenant.key });
    assert.equal(shown.body.data.secret, undefined, 'the secret is shown once');

    const { complete } = await uploadMedia(t, tenant.key, await png(30, 20), 'hook.png', 'image/png');
    assert.equal(complete.status, 200);
    const assetId = complete.body.data.asset.id;
    const mine = () => received.filter((r) => r.body.includes(assetId));
    await eventually(async () => mine().filter((r) => r.answered === 204).length >= 2, 15_000, 'both events delivered');
    for (const r of mine()) verify(hook.secret, r);
    const ready = mine().filter((r) => JSON.parse(r.body).type === 'asset.ready');
    assert.deepEqual(ready.map((r) => r.answered), [500, 204], 'asset.ready refused once, then delivered');
    assert.equal(ready[0]!.headers['webhook-id'], ready[1]!.headers['webhook-id'], 'a retry is the same message');
    assert.equal(ready[0]!.body, ready[1]!.body);
    const body = JSON.parse(ready[1]!.body);
    assert.equal(body.data.asset_id, assetId);
    assert.equal(body.data.status, 'ready');
    const completed = mine().find((r) => JSON.parse(r.body).type === 'upload.completed')!;
    assert.equal(JSON.parse(completed.body).data.upload_id, complete.body.data.id);

    const log = await eventually(async () => {
      const res = await t.api('GET', `/v1/webhooks/${hook.id}/deliveries`, { key: tenant.key });
      return res.body.data.every((d: any) => d.status === 'delivered') ? res.body.data : null;
    }, 10_000, 'the log to show delivered');
    const readyLog = log.find((d: any) => d.event === 'asset.ready');
    assert.equal(readyLog.attempts, 2);
    assert.equal(readyLog.response_status, 204);
    assert.equal(readyLog.id, ready[1]!.headers['webhook-id']);

    assert.equal((await t.api('DELETE', `/v1/assets/${assetId}`, { key: tenant.key })).status, 200);
    await eventually(async () => mine().some((r) => JSON.parse(r.body).type === 'asset.deleted'), 10_000, 'asset.deleted');
  });

  it('failures are announced too: upload.failed for bytes that fail verification, asset.failed and upload.failed for media that cannot be decoded', async () => {
    const tenant = await t.tenant();
    const hook = (await t.api('POST', '/v1/webhooks', { key: tenant.key, json: { url: hookUrl, events: ['upload.failed', 'asset.failed'] } })).body.data;
    const messages = (id: string) => received.filter((r) => r.body.includes(id)).map((r) => ({ r, msg: JSON.parse(r.body) }));

    // Verification: the bytes are not the declared file_hash.
    const image = await png(10, 10);
    const s = await createSession(t, tenant.key, { filename: 'bad.png', content_type: 'image/png', file_size: image.length, file_hash: 'a'.repeat(64) });
    assert.equal((await fetch(s.upload_url, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: image })).status, 200);
    assertError(await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key: tenant.key, json: {} }), 422, 'verification_failed');
    const [failed] = await eventually(async () => (messages(s.upload_id).length ? messages(s.upload_id) : null), 10_000, 'upload.failed');
    verify(hook.secret, failed!.r);
    assert.equal(failed!.msg.type, 'upload.failed');
    assert.equal(failed!.msg.data.status, 'failed');
    assert.equal(failed!.msg.data.error.code, 'verification_failed');

    // Processing: a video whose media data is noise verifies, then fails to transcode.
    const corrupt = Buffer.from(await videoClip(160, 120));
    let x = 777;
    for (let i = corrupt.indexOf('mdat') + 4; i < corrupt.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
      corrupt[i] = (x >> 16) & 255;
    }
    const { complete } = await uploadMedia(t, tenant.key, corrupt, 'noise.mp4', 'video/mp4');
    assert.equal(complete.status, 200, JSON.stringify(complete.body));
    const assetId = complete.body.data.asset.id;
    const got = await eventually(async () => (messages(assetId).length >= 2 ? messages(assetId) : null), 60_000, 'asset.failed and upload.failed');
    for (const { r } of got) verify(hook.secret, r);
    const byType = Object.fromEntries(got.map(({ msg }) => [msg.type, msg.data]));
    assert.deepEqual(Object.keys(byType).sort(), ['asset.failed', 'upload.failed']);
    assert.equal(byType['asset.failed'].status, 'failed');
    assert.equal(byType['asset.failed'].error.code, 'processing_failed');
    assert.equal(byType['upload.failed'].upload_id, complete.body.data.id);
    assert.equal(byType['upload.failed'].error.code, 'processing_failed');
  });

  it('finished deliveries leave the log after the retention period', async () => {
    const tenant = await t.tenant();
    const hook = (await t.api('POST', '/v1/webhooks', { key: tenant.key, json: { url: hookUrl, events: ['upload.completed'] } })).body.data;
    await uploadMedia(t, tenant.key, await png(8, 8), 'old.png', 'image/png');
    const log = async () => (await t.api('GET', `/v1/webhooks/${hook.id}/deliveries`, { key: tenant.key })).body.data;
    await eventually(async () => (await log())[0]?.status === 'delivered', 10_000, 'the delivery');
    t.clock.advance(31 * 86400);
    try {
      await t.intake.sweep();
    } finally {
      t.clock.advance(-31 * 86400);
    }
    assert.deepEqual(await log(), []);
  });

  it('upload.expired comes from the sweeper', async () => {
    const tenant = await t.tenant();
    await t.api('POST', '/v1/webhooks', { key: tenant.key, json: { url: hookUrl, events: ['upload.expired'] } });
    const s = await createSession(t, tenant.key, { filename: 'late.png', content_type: 'image/png', file_size: 100, expires_in: 60 });
    t.clock.advance(120);
    try {
      await t.intake.sweep();
    } finally {
      t.clock.advance(-120);
    }
    const got = await eventually(async () => received.find((r) => r.body.includes(s.upload_id)), 10_000, 'upload.expired');
    assert.equal(JSON.parse(got.body).type, 'upload.expired');
    assert.equal(JSON.parse(got.body).data.status, 'expired');
  });

  it('list, patch and delete stay inside the namespace; bad fields are 400', async () => {
    const a = await t.tenant();
    const b = await t.tenant();
    const hook = (await t.api('POST', '/v1/webhooks', { key: a.key, json: { url: hookUrl, events: ['asset.ready'] } })).body.data;
    assertError(await t.api('GET', `/v1/webhooks/${hook.id}`, { key: b.key }), 404, 'not_found');
    assertError(await t.api('PATCH', `/v1/webhooks/${hook.id}`, { key: b.key, json: { enabled: false } }), 404, 'not_found');
    assert.deepEqual((await t.api('GET', '/v1/webhooks', { key: b.key })).body.data, []);
    const patched = await t.api('PATCH', `/v1/webhooks/${hook.id}`, { key: a.key, json: { events: ['asset.failed'], enabled: false } });
    assert.deepEqual([patched.body.data.events, patched.body.data.enabled], [['asset.failed'], false]);
    assertError(await t.api('POST', '/v1/webhooks', { key: a.key, json: { url: hookUrl, events: ['asset.exploded'] } }), 400, 'invalid_request', 'events');
    assertError(await t.api('POST', '/v1/webhooks', { key: a.key, json: { url: 'ftp://example.com/x', events: ['asset.ready'] } }), 400, 'invalid_request', 'url');
    assert.equal((await t.api('DELETE', `/v1/webhooks/${hook.id}`, { key: a.key })).status, 200);
    assertError(await t.api('GET', `/v1/webhooks/${hook.id}/deliveries`, { key: a.key }), 404, 'not_found');
  });
});

describe('an endpoint that does not answer', () => {
  it('is cut off after 10 s per attempt: the attempt is logged with no status, then retried', async () => {
    // The first request is read and never answered; the retry is answered 204 once the test has read the log.
    const arrivals: { id: string; at: number }[] = [];
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const silent = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        arrivals.push({ id: String(req.headers['webhook-id']), at: Date.now() });
        if (arrivals.length > 1) void released.then(() => res.writeHead(204).end());
      });
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const tenant = await t.tenant();
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/slow`;
      const hook = (await t.api('POST', '/v1/webhooks', { key: tenant.key, json: { url, events: ['upload.completed'] } })).body.data;
      await uploadMedia(t, tenant.key, await png(9, 9), 'slow.png', 'image/png');
      const log = async () => (await t.api('GET', `/v1/webhooks/${hook.id}/deliveries`, { key: tenant.key })).body.data[0];

      const cut = await eventually(async () => {
        const d = await log();
        return d?.attempts === 1 ? d : null;
      }, 20_000, 'the first attempt to be given up');
      assert.equal(cut.status, 'pending', 'to be retried');
      assert.equal(cut.response_status, null);
      assert.match(cut.error, /no answer within 10 s/);
      await eventually(async () => arrivals.length === 2, 10_000, 'the retry to arrive');
      const waited = arrivals[1]!.at - arrivals[0]!.at;
      assert.ok(waited >= 9_500, `the first attempt was given up after ${waited} ms, before its 10 s`);
      assert.ok(waited < 15_000, `the first attempt was given up only after ${waited} ms`);
      release();

      const done = await eventually(async () => {
        const d = await log();
        return d?.status === 'delivered' ? d : null;
      }, 10_000, 'the retry to be delivered');
      assert.equal(done.attempts, 2);
      assert.equal(done.response_status, 204);
      assert.deepEqual(arrivals.map((a) => a.id), [done.id, done.id], 'the same message, sent twice');
    } finally {
      release();
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });
});

describe('private addresses', () => {
  it('are refused for endpoints unless INTAKE_WEBHOOK_ALLOW_PRIVATE=true', async () => {
    const strict = await startIntake({ INTAKE_WORKERS: '0' });
    try {
      const tenant = await strict.tenant();
      for (const url of [hookUrl, 'http://10.1.2.3/x', 'http://169.254.169.254/latest', 'http://[::1]:80/x', 'http://localhost/x']) {
        const res = await strict.api('POST', '/v1/webhooks', { key: tenant.key, json: { url, events: ['asset.ready'] } });
        assertError(res, 400, 'invalid_request', 'url');
      }
    } finally {
      await strict.close();
    }
  });

  it('are refused again at delivery (a name that resolves elsewhere now): failed at once, nothing sent', async () => {
    const strict = await startIntake();
    try {
      const tenant = await strict.tenant();
      const now = new Date().toISOString();
      // What a saved endpoint whose name later resolved to loopback looks like.
      await strict.intake.db.kysely
        .insertInto('webhooks')
        .values({ id: 'whk_rebound0000000000000', namespace_id: tenant.namespaceId, url: hookUrl, events: '["asset.ready"]', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', enabled: 1, created_at: now, updated_at: now })
        .execute();
      const { complete } = await uploadMedia(strict, tenant.key, await png(12, 12), 'r.png', 'image/png');
      const assetId = complete.body.data.asset.id;
      const log = await eventually(async () => {
        const res = await strict.api('GET', '/v1/webhooks/whk_rebound0000000000000/deliveries', { key: tenant.key });
        return res.body.data[0]?.status === 'failed' ? res.body.data[0] : null;
      }, 10_000, 'the delivery to fail');
      assert.match(log.error, /private or loopback/);
      assert.equal(log.attempts, 1, 'not retried');
      assert.equal(received.filter((r) => r.body.includes(assetId)).length, 0, 'nothing reached the receiver');
    } finally {
      await strict.close();
    }
  });
});
