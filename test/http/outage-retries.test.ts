/** Outages are retried a bounded number of times; a flooding ffprobe is bad media; multipart epilogues are accepted. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { fakeTool, ffmpegMedia, png, type FakeTool } from '../helpers/media.js';
import { createSession, put } from './error-helpers.js';
import { multipart, rawRequest } from './raw-http.js';

let t: TestIntake;
/** An Intake whose ffprobe (INTAKE_FFPROBE_PATH) is a stand-in each test sets up. */
let faked: TestIntake;
let ffprobe: FakeTool;
let key: string;
let clip: Buffer;

before(async () => {
  ffprobe = await fakeTool('ffprobe');
  [t, faked] = await Promise.all([startIntake(), startIntake({ INTAKE_FFPROBE_PATH: ffprobe.path })]);
  ({ key } = await t.tenant());
  clip = await ffmpegMedia('mp4');
});
after(async () => {
  await Promise.all([t.close(), faked.close()]);
  await ffprobe.remove();
});


describe('outages are retried a bounded number of times', () => {
  it('after the eighth failed attempt the session fails as unverifiable, its bytes and reservation released', async () => {
    const tenant = await faked.tenant({ quota_bytes: 10_000_000 });
    const s = await createSession(faked, tenant.key, { filename: 'v.mp4', content_type: 'video/mp4', file_size: clip.length });
    assert.equal((await put(s.upload_url, clip, 'video/mp4')).status, 200);
    await faked.intake.db.kysely.updateTable('uploads').set({ attempts: 6 }).where('id', '=', s.upload_id).execute();
    await ffprobe.set(null); // no ffprobe at the configured path
    const seventh = await faked.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key: tenant.key });
    assert.equal(seventh.status, 503, JSON.stringify(seventh.body));
    const eighth = await faked.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key: tenant.key });
    assert.equal(eighth.status, 422, JSON.stringify(eighth.body));
    assert.equal(eighth.body.error?.details.reason, 'unverifiable');
    const row = await faked.api('GET', `/v1/uploads/${s.upload_id}`, { key: tenant.key });
    assert.equal(row.body.data.status, 'failed');
    assert.equal((await faked.api('GET', '/v1/usage', { key: tenant.key })).body.data.reserved_bytes, 0);
    assert.ok(!(await faked.storedFiles()).some((f) => f.includes(s.upload_id)));
  });
});

describe('ffprobe that floods its output', () => {
  it('is bad media (415 undecodable), not an outage to retry forever', async () => {
    const { key: k } = await faked.tenant();
    const s = await createSession(faked, k, { filename: 'f.mp4', content_type: 'video/mp4', file_size: clip.length });
    assert.equal((await put(s.upload_url, clip, 'video/mp4')).status, 200);
    // Stands in for a file whose metadata makes ffprobe print megabytes.
    await ffprobe.set('head -c 10000000 /dev/zero | tr "\\\\0" x');
    const res = await faked.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key: k });
    assert.equal(res.status, 415, JSON.stringify(res.body));
    assert.equal(res.body.error?.details.reason, 'undecodable');
  });
});

describe('multipart epilogue', () => {
  it('a whole body followed by an epilogue (RFC 2046) is accepted', async () => {
    const { body, contentType } = multipart([{ name: 'file', filename: 'e.png', type: 'image/png', data: await png(8, 8) }]);
    const withEpilogue = Buffer.concat([body, Buffer.from('\r\nthis is an epilogue\r\n\r\n')]);
    const res = await rawRequest(`${t.url}/v1/uploads`, { headers: { authorization: `Bearer ${key}`, 'content-type': contentType }, body: withEpilogue });
    assert.equal(res.status, 202, JSON.stringify(res.body));
  });
});
