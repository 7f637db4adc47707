/**
 * Every default allowed type this machine can generate goes through create → PUT →
 * complete and ends `completed` (images, documents) or `processing` (video, audio) with
 * sensible probed fields, the sniffed type named as in the allowed list (file-type says
 * video/vnd.avi, video/matroska, video/MP1S, audio/ogg; codecs=opus — Intake must not).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import {
  AV_FORMATS, CLIP, avClip, compoundFile, ffmpegEncoders, officeOpenXml, pdf, raster, sha256, svg, zipOf, zippedDocument, type AvFormat, type RasterFormat,
} from '../helpers/media.js';
import { assertError, createSession, put } from './error-helpers.js';

interface Case {
  /** Declared Content-Type. */
  type: string;
  filename: string;
  /** Makes the bytes, or says why they cannot be made here. */
  make: () => Promise<Buffer | { skip: string }>;
  /** The asset's mimetype (the sniffed type) may be any of these. */
  mimetypes: string[];
  shape: 'video' | 'audio' | 'image' | 'document';
  /** An image's expected width and height (default 64x48). */
  size?: [number, number];
  /** Marks a known bug: the test still runs, its failure is reported but not counted. */
  todo?: string;
}

const av = (format: AvFormat, type: string, mimetypes: string[] = [type], extra: Partial<Case> = {}): Case => ({
  type,
  filename: `clip.${format}`,
  mimetypes,
  shape: AV_FORMATS[format].kind,
  ...extra,
  make: async () => {
    const have = await ffmpegEncoders();
    const missing = AV_FORMATS[format].encoders.filter((e) => !have.has(e));
    return missing.length ? { skip: `this ffmpeg has no ${missing.join(', ')} encoder` } : avClip(format);
  },
});

const image = (format: RasterFormat, type: string, ext: string = format): Case => ({
  type,
  filename: `pic.${ext}`,
  mimetypes: [type],
  shape: 'image',
  make: () => raster(format, 64, 48),
});

const doc = (type: string, filename: string, make: Case['make']): Case => ({ type, filename, mimetypes: [type], shape: 'document', make });
const NO_ZIP = { skip: 'no `zip` command on this machine' };
const zipped = (make: () => Promise<Buffer | null>) => async () => (await make()) ?? NO_ZIP;
const OOXML = 'application/vnd.openxmlformats-officedocument';

const CASES: Case[] = [
  av('mp4', 'video/mp4'),
  av('mov', 'video/quicktime'),
  av('webm', 'video/webm'),
  av('mkv', 'video/x-matroska'),
  av('avi', 'video/x-msvideo'),
  av('mpg', 'video/mpeg'),
  av('mp3', 'audio/mpeg'),
  av('wav', 'audio/wav'),
  av('ogg', 'audio/ogg'),
  // Opus in Ogg: the container is Ogg, either name is the truth.
  av('opus', 'audio/opus', ['audio/opus', 'audio/ogg']),
  av('flac', 'audio/flac'),
  av('aac', 'audio/aac'),
  // file-type names an M4A by its brand.
  av('m4a', 'audio/mp4', ['audio/mp4', 'audio/x-m4a']),
  image('png', 'image/png'),
  image('jpeg', 'image/jpeg', 'jpg'),
  image('gif', 'image/gif'),
  image('webp', 'image/webp'),
  image('avif', 'image/avif'),
  image('tiff', 'image/tiff', 'tif'),
  { type: 'image/svg+xml', filename: 'pic.svg', mimetypes: ['image/svg+xml'], shape: 'image', make: async () => svg(64, 48) },
  doc('application/pdf', 'doc.pdf', async () => pdf()),
  doc('text/plain', 'notes.txt', async () => Buffer.from('Plain text, with a non-ASCII letter: é.\n')),
  doc('text/csv', 'table.csv', async () => Buffer.from('name,size\nclip.mp4,24796\n')),
  doc('application/json', 'data.json', async () => Buffer.from(JSON.stringify({ ok: true, list: [1, 2, 3] }))),
  doc('application/zip', 'archive.zip', zipped(() => zipOf('inside.txt', 'zipped text\n'))),
  // The rest of the default list, and the other names it accepts for the same types.
  av('ts', 'video/mpeg'), // file-type: video/mp2t
  av('3gp', 'video/3gpp'),
  av('ogv', 'video/ogg'),
  av('aiff', 'audio/aiff'), // file-type: audio/x-aiff
  av('aiff', 'audio/x-aiff', ['audio/aiff']),
  av('weba', 'audio/webm'), // audio-only WebM sniffs as video/webm
  av('mka', 'audio/x-matroska'), // audio-only Matroska sniffs as video/matroska
  av('wav', 'audio/x-wav', ['audio/wav']),
  av('flac', 'audio/x-flac', ['audio/flac']),
  av('m4a', 'audio/x-m4a'),
  doc('text/markdown', 'readme.md', async () => Buffer.from('# Intake\n\n- *uploads*\n- `assets`\n')),
  doc(`${OOXML}.wordprocessingml.document`, 'letter.docx', zipped(() => officeOpenXml('docx'))),
  doc(`${OOXML}.spreadsheetml.sheet`, 'sheet.xlsx', zipped(() => officeOpenXml('xlsx'))),
  doc(`${OOXML}.presentationml.presentation`, 'deck.pptx', zipped(() => officeOpenXml('pptx'))),
  doc('application/vnd.oasis.opendocument.text', 'letter.odt', zipped(() => zippedDocument('odt'))),
  doc('application/epub+zip', 'book.epub', zipped(() => zippedDocument('epub'))),
  // file-type: application/x-cfb; the declared legacy Office type says which.
  doc('application/msword', 'letter.doc', async () => compoundFile()),
];

let t: TestIntake;
let key: string;
const made = new Map<Case, Promise<Buffer | { skip: string }>>();

before(async () => {
  t = await startIntake();
  ({ key } = await t.tenant());
  // All generators at once: ffmpeg runs are independent and short.
  for (const c of CASES) made.set(c, c.make());
  await Promise.allSettled(made.values());
});
after(() => t.close());

describe('every default allowed type that can be generated here', () => {
  for (const c of CASES) {
    it(`${c.type} (${c.filename}) → ${c.shape === 'video' || c.shape === 'audio' ? 'processing' : 'completed'}, probed`, { todo: c.todo }, async (ctx) => {
      const bytes = await made.get(c)!;
      if (!Buffer.isBuffer(bytes)) return ctx.skip(bytes.skip);
      const s = await createSession(t, key, { filename: c.filename, content_type: c.type, file_size: bytes.length, file_hash: sha256(bytes), skip_duplicates: false });
      const sent = await put(s.upload_url, bytes, c.type);
      assert.equal(sent.status, 200, await sent.text());

      const done = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key, json: {} });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      const timed = c.shape === 'video' || c.shape === 'audio';
      assert.equal(done.body.data.status, timed ? 'processing' : 'completed');
      const a = done.body.data.asset;
      const ctxt = JSON.stringify(a);
      assert.equal(a.status, timed ? 'processing' : 'ready', ctxt);
      assert.equal(a.kind, c.shape, ctxt);
      assert.ok(c.mimetypes.includes(a.mimetype), `mimetype ${a.mimetype} is one of ${c.mimetypes.join(', ')}`);
      assert.equal(a.filesize, bytes.length);
      assert.equal(a.sha256, sha256(bytes));

      switch (c.shape) {
        case 'video':
          assert.deepEqual([a.width, a.height, a.fps], [CLIP.width, CLIP.height, CLIP.fps], ctxt);
          assert.ok(a.duration > 0.5 && a.duration < 1.5, `duration ${a.duration}`);
          assert.ok(a.bitrate > 0, `bitrate ${a.bitrate}`);
          break;
        case 'audio':
          assert.deepEqual([a.width, a.height, a.fps], [null, null, null], ctxt);
          assert.ok(a.duration > 0.5 && a.duration < 1.5, `duration ${a.duration}`);
          assert.ok(a.bitrate > 0, `bitrate ${a.bitrate}`);
          break;
        case 'image':
          assert.deepEqual([a.width, a.height, a.duration, a.fps], [...(c.size ?? [64, 48]), null, null], ctxt);
          break;
        case 'document':
          assert.deepEqual([a.width, a.height, a.duration, a.fps, a.bitrate], [null, null, null, null, null], ctxt);
          break;
      }

      // The stored original is exactly what was sent, under the sniffed type.
      const got = await fetch(a.url);
      assert.equal(got.status, 200);
      assert.equal(sha256(Buffer.from(await got.arrayBuffer())), sha256(bytes));
      assert.equal((got.headers.get('content-type') ?? '').split(';')[0], a.mimetype);
    });
  }
});

describe('a container is trusted only for the types it can hold', () => {
  it('an OLE compound file declared as a PDF is 415 (only legacy Office types may be one)', async () => {
    const bytes = compoundFile();
    const s = await createSession(t, key, { filename: 'fake.pdf', content_type: 'application/pdf', file_size: bytes.length });
    assert.equal((await put(s.upload_url, bytes, 'application/pdf')).status, 200);
    const res = assertError(await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key }), 415, 'unsupported_media_type');
    assert.equal(res.body.error!.details.detected, 'application/x-cfb', JSON.stringify(res.body));
  });
});

describe('types the bundled image decoder cannot read are not on the default list', () => {
  for (const type of ['image/bmp']) {
    it(`${type} is refused when the session is created (415), before any byte moves`, async () => {
      const res = await t.api('POST', '/v1/uploads', { key, json: { filename: 'x.img', content_type: type, file_size: 100 } });
      assert.equal(res.status, 415, JSON.stringify(res.body));
      assert.equal(res.body.error?.code, 'unsupported_media_type');
    });
  }
});
