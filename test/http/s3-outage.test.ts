/**
 * S3 unreachable (a relay in front of Ceph, cut mid-test): every request that needs the
 * bucket is 503 `unavailable`, nothing is half-written, and everything works again once
 * the bucket is back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { s3Env, testBucket, type TestBucket } from '../helpers/ceph.js';
import { freePort, startIntake, type TestIntake } from '../helpers/intake.js';
import { png } from '../helpers/media.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

describe('S3 outage', () => {
  let b: TestBucket;
  let t: TestIntake;
  let proxy: TcpProxy;
  let key: string;
  let ns: string;

  before(async () => {
    b = await testBucket('intake-outage');
    const target = new URL(b.server.endpoint);
    proxy = new TcpProxy(await freePort(), { host: target.hostname, port: Number(target.port) });
    await proxy.start();
    t = await startIntake(s3Env(b, { INTAKE_S3_ENDPOINT: `http://127.0.0.1:${proxy.port}` }));
    ({ key, namespaceId: ns } = await t.tenant());
  });
  after(async () => {
    await proxy?.stop();
    await t?.close();
    await b?.drop();
  });

  const api = (method: string, route: string, json?: unknown) => t.api(method, route, { key, json });

  it('answers 503 while the bucket is unreachable, keeps every row and object as it was, and recovers', async () => {
    const bytes = await png(40, 30);
    const ready = (await api('POST', '/v1/uploads', { filename: 'a.png', content_type: 'image/png', file_size: bytes.length })).body.data;
    assert.equal((await fetch(ready.upload_url, { method: 'PUT', headers: ready.upload_method.headers, body: bytes })).status, 200);
    const readyAsset = (await api('POST', `/v1/uploads/${ready.upload_id}/complete`, {})).body.data.asset;
    await t.storedFiles(); // waits for the job that writes the image's renditions
    const s = (await api('POST', '/v1/uploads', { filename: 'b.png', content_type: 'image/png', file_size: bytes.length })).body.data;
    assert.equal((await fetch(s.upload_url, { method: 'PUT', headers: s.upload_method.headers, body: bytes })).status, 200);
    const before = (await b.keys()).filter((k) => k.startsWith(`${ns}/`));
    const usageBefore = (await api('GET', '/v1/usage')).body.data;

    await proxy.stop();

    const done = await api('POST', `/v1/uploads/${s.upload_id}/complete`, {});
    assert.equal(done.status, 503, JSON.stringify(done.body));
    assert.equal(done.body.error?.code, 'unavailable');
    assert.equal((await api('GET', `/v1/uploads/${s.upload_id}`)).body.data.status, 'pending');
    const del = await api('DELETE', `/v1/assets/${readyAsset.id}`);
    assert.equal(del.status, 503);
    assert.equal((await api('GET', `/v1/assets/${readyAsset.id}`)).body.data.status, 'ready');
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: 'image/png' }), 'c.png');
    const formRes = await t.api('POST', '/v1/uploads', { key, body: form });
    assert.equal(formRes.status, 503, JSON.stringify(formRes.body));
    assert.equal(formRes.body.error?.code, 'unavailable');
    const readyz = await fetch(`${t.url}/readyz`);
    assert.equal(readyz.status, 503);
    assert.equal(((await readyz.json()) as any).error.details.checks.storage, 'unreachable');
    const listed = (await api('GET', '/v1/uploads')).body.data;
    assert.equal(listed.length, 2, 'the refused form upload left no session');
    assert.deepEqual((await api('GET', '/v1/usage')).body.data, usageBefore, 'no quota moved');

    await proxy.start();

    assert.deepEqual((await b.keys()).filter((k) => k.startsWith(`${ns}/`)), before, 'nothing half-written in the bucket');
    assert.deepEqual(await b.leftovers(), []);
    assert.equal((await fetch(`${t.url}/readyz`)).status, 200);
    const retried = await api('POST', `/v1/uploads/${s.upload_id}/complete`, {});
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(retried.body.data.asset.status, 'ready');
    assert.equal((await api('DELETE', `/v1/assets/${readyAsset.id}`)).status, 200);
    assert.equal((await api('DELETE', `/v1/assets/${retried.body.data.asset.id}`)).status, 200);
    await t.storedFiles(); // a rendition job still running for a deleted asset removes what it wrote
    assert.deepEqual((await b.keys()).filter((k) => k.startsWith(`${ns}/`)), []);
  });
});
