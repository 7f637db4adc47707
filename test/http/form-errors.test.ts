/**
 * POST /v1/uploads as multipart/form-data (upload through the API): every bad form is
 * its stable 4xx and leaves no bytes, no temp file, no session, no asset, no reservation.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { before, describe, it } from 'node:test';
import { eventually, startIntake, useIntake, type TestIntake } from '../helpers/intake.js';
import { png } from '../helpers/media.js';
import { assertError, createSession, refused, snapshot } from './error-helpers.js';

// Forms and their refusals through the API only: the app answers through inject(), no socket.
const t = useIntake({}, { listen: false });
let image: Buffer;

before(async () => {
  image = await png(32, 24);
});

type Entry = [name: string, value: string] | [name: string, bytes: Buffer | Uint8Array, type: string, filename: string];

function form(...entries: Entry[]): FormData {
  const f = new FormData();
  for (const e of entries) {
    if (e.length === 2) f.append(e[0], e[1]);
    else f.append(e[0], new Blob([e[1]], { type: e[2] }), e[3]);
  }
  return f;
}

const file = (bytes: Buffer | Uint8Array = image, type = 'image/png', filename = 'p.png'): Entry => ['file', bytes, type, filename];
const send = (body: FormData, k = t.key, on: TestIntake = t) => on.api('POST', '/v1/uploads', { key: k, body });

describe('multipart upload: refused before anything is stored', () => {
  it('a form without a file is 400 with details.field file', async () => {
    await refused(t, t.key, () => send(form(['title', 'no file here'])), 400, 'invalid_request', 'file');
  });

  it('a file in a different field is 400 naming that field', async () => {
    await refused(t, t.key, () => send(form(['upload', image, 'image/png', 'p.png'])), 400, 'invalid_request', 'upload');
  });

  it('an unknown field before the file is 400 naming it', async () => {
    await refused(t, t.key, () => send(form(['colour', 'red'], file())), 400, 'invalid_request', 'colour');
  });

  it('metadata that is not JSON is 400, before or after the file', async () => {
    await refused(t, t.key, () => send(form(['metadata', '{not json'], file())), 400, 'invalid_request', 'metadata');
    await refused(t, t.key, () => send(form(file(), ['metadata', '{not json'])), 400, 'invalid_request', 'metadata');
  });

  it('metadata nested too deep, or not an object, is 400', async () => {
    for (const metadata of ['{"a":{"b":{"c":{"d":{"e":{"f":1}}}}}}', '[1,2]', '"text"']) {
      const res = await refused(t, t.key, () => send(form(['metadata', metadata], file())), 400, 'invalid_request');
      assert.match(String(res.body.error!.details.field), /^metadata/);
    }
    await refused(t, t.key, () => send(form(file(), ['metadata', '{"a":[[[[[1]]]]]}'])), 400, 'invalid_request');
  });

  it('a field longer than a form field may be (64 KiB) is 400 naming it, metadata with its reason', async () => {
    const long = JSON.stringify({ notes: Array.from({ length: 40 }, () => 'x'.repeat(2000)) });
    const res = await refused(t, t.key, () => send(form(['metadata', long], file())), 400, 'invalid_request', 'metadata');
    assert.equal(res.body.error!.details.reason, 'metadata_too_large');
    await refused(t, t.key, () => send(form(['title', 'x'.repeat(70 * 1024)], file())), 400, 'invalid_request', 'title');
  });

  it('bad folder, title or alias fields are 400, before or after the file', async () => {
    for (const [field, value] of [['folder', '../up'], ['title', 'x'.repeat(201)], ['alias', 'no spaces']] as const) {
      await refused(t, t.key, () => send(form([field, value], file())), 400, 'invalid_request', field);
      await refused(t, t.key, () => send(form(file(), [field, value])), 400, 'invalid_request', field);
    }
  });

  it('a disallowed type is 415 with details.field content_type', async () => {
    await refused(t, t.key, () => send(form(file(Buffer.from('MZ...'), 'application/x-msdownload', 'setup.exe'))), 415, 'unsupported_media_type', 'content_type');
    await refused(t, t.key, () => send(form(file(Buffer.from('<html>'), 'text/html', 'page.html'))), 415, 'unsupported_media_type', 'content_type');
  });

  it('an empty file is 400', async () => {
    await refused(t, t.key, () => send(form(file(new Uint8Array(0), 'text/plain', 'empty.txt'))), 400, 'invalid_request', 'file');
  });

  it('a filename of ".." is 400', async () => {
    await refused(t, t.key, () => send(form(file(Buffer.from('abc'), 'text/plain', '..'))), 400, 'invalid_request', 'filename');
  });

  it('a file over the namespace limit for its kind is 413', async () => {
    const tenant = await t.tenant({ limits: { image: 100 } });
    assert.ok(image.length > 100);
    const res = await refused(t, tenant.key, () => send(form(file()), tenant.key), 413, 'file_too_large');
    assert.equal(res.body.error!.details.max_size, 100);
  });

  it('a file over the quota is 403 quota_exceeded', async () => {
    const tenant = await t.tenant({ quota_bytes: 100 });
    await refused(t, tenant.key, () => send(form(file()), tenant.key), 403, 'quota_exceeded');
  });

  it('a taken alias is 409, sent before or after the file; the holder keeps it', async () => {
    const holder = await createSession(t, t.key, { filename: 'h.txt', content_type: 'text/plain', file_size: 3, alias: 'form-taken' });
    await refused(t, t.key, () => send(form(['alias', 'form-taken'], file())), 409, 'conflict', 'alias');
    await refused(t, t.key, () => send(form(file(), ['alias', 'form-taken'])), 409, 'conflict', 'alias');
    assert.equal((await t.api('GET', `/v1/assets/${holder.asset_id}`, { key: t.key })).body.data.alias, 'form-taken');
  });

  it('a file over MAX_UPLOAD_SIZE_MB is 413 and is not kept', async () => {
    const small = await startIntake({ MAX_UPLOAD_SIZE_MB: '1' });
    try {
      const { key: k } = await small.tenant();
      const res = await refused(small, k, () => send(form(file(Buffer.alloc(2 * 1024 * 1024, 'a'), 'text/plain', 'big.txt')), k, small), 413, 'file_too_large');
      assert.equal(res.body.error!.details.max_size, 1024 * 1024);
    } finally {
      await small.close();
    }
  });
});

describe('multipart upload: refused after the file has arrived', () => {
  it('an unknown field after the file is 400 and keeps nothing', async () => {
    await refused(t, t.key, () => send(form(file(), ['colour', 'red'])), 400, 'invalid_request', 'colour');
  });

  it('a second file is 400 and keeps nothing', async () => {
    await refused(t, t.key, () => send(form(file(), ['file2', image, 'image/png', 'q.png'])), 400, 'invalid_request');
  });

  it('a refused form upload never becomes an asset, even after a restart', async () => {
    const first = await startIntake({}, { keepData: true });
    let second: TestIntake | undefined;
    try {
      const { key: k } = await first.tenant();
      assertError(await send(form(file(), ['colour', 'red']), k, first), 400, 'invalid_request');
      await first.close();
      second = await startIntake({}, { dataDir: first.dataDir });
      await second.intake.startBackground();
      const on = second;
      const settled = await eventually(async () => {
        const s = await snapshot(on, k);
        return s.uploads.every((u) => !/:(pending|processing)$/.test(u)) ? s : null;
      }, 10_000, 'background work to settle');
      assert.deepEqual(settled.assets, []);
      assert.deepEqual(settled.stored, []);
      assert.deepEqual(settled.usage, { stored_bytes: 0, reserved_bytes: 0 });
    } finally {
      if (second) await second.close();
      else {
        await first.close().catch(() => undefined);
        await fs.rm(first.dataDir, { recursive: true, force: true });
      }
    }
  });

  it('bytes that are not what they claim are 415 before anything is kept; the alias stays free', async () => {
    const { key: k } = await t.tenant({ quota_bytes: 10_000 });
    const res = await refused(t, k, () => send(form(['alias', 'liar'], file(Buffer.from('plain text pretending to be a PNG\n'.repeat(4)), 'image/png', 'fake.png')), k), 415, 'unsupported_media_type');
    assert.equal(res.body.error!.details.reason, 'unrecognised');
    await createSession(t, k, { filename: 'x.txt', content_type: 'text/plain', file_size: 1, alias: 'liar' });
  });
});
