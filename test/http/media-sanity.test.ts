/**
 * A media header is a claim. An MP4 cut after its header (the `moov` box with every sample
 * table, then part of the data) probes as whole, and a header can claim any duration; both
 * used to be accepted. Now the data the header promises must be in the file, and probed
 * values are bounded: refusals are 415 `undecodable` and leave nothing behind.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { CLIP, ffmpegFile, ffmpegMedia } from '../helpers/media.js';
import { assertRefusedAndGone, sendAndComplete } from './verify-steps.js';

let t: TestIntake;
let clip: Buffer;

before(async () => {
  t = await startIntake();
  clip = await ffmpegMedia('mp4'); // +faststart: the header comes first, then the data
});
after(() => t.close());

/** Top-level ISO BMFF boxes: type and where each starts and ends. */
function boxes(buf: Buffer, from = 0, to = buf.length): Array<{ type: string; start: number; end: number }> {
  const out = [];
  for (let pos = from; pos + 8 <= to; ) {
    const size = buf.readUInt32BE(pos);
    out.push({ type: buf.toString('latin1', pos + 4, pos + 8), start: pos, end: pos + size });
    pos += size;
  }
  return out;
}

function box(buf: Buffer, path: string[]): { start: number; end: number } {
  let range = { start: -8, end: buf.length };
  for (const type of path) {
    const found = boxes(buf, range.start + 8, range.end).find((b) => b.type === type);
    assert.ok(found, `no ${path.join('/')} box`);
    range = found;
  }
  return range;
}

const probe = (buf: Buffer) => ({ moov: box(buf, ['moov']), mdat: box(buf, ['mdat']) });

describe('an MP4 must hold the data its header promises', () => {
  it('the test clip is laid out header first (moov before mdat)', () => {
    const { moov, mdat } = probe(clip);
    assert.ok(moov.end <= mdat.start);
  });

  for (const [name, cut] of [
    ['cut in the middle of its data', () => Math.floor((probe(clip).mdat.start + clip.length) / 2)],
    ['cut just after its header (no data at all)', () => probe(clip).moov.end],
    ['cut a few bytes before its end', () => clip.length - 5],
  ] as const) {
    it(`an MP4 ${name} is 415 undecodable and leaves nothing`, async () => {
      const { key } = await t.tenant();
      const bytes = clip.subarray(0, cut());
      const { session, done } = await sendAndComplete(t, key, bytes, { filename: 'cut.mp4', content_type: 'video/mp4' });
      await assertRefusedAndGone(t, key, session, done, 415, 'unsupported_media_type', 'undecodable');
      assert.match(done.body.error!.message, /cut off/);
    });
  }

  it('an MP4 whose data box runs to the end of the file (size 0) is whole, and 415 once cut 10 bytes short', async () => {
    const open = Buffer.from(clip);
    open.writeUInt32BE(0, probe(open).mdat.start); // "extends to the end of the file"
    const whole = await t.tenant();
    const ok = await sendAndComplete(t, whole.key, open, { filename: 'open.mp4', content_type: 'video/mp4' });
    assert.equal(ok.done.status, 200, JSON.stringify(ok.done.body));
    const { key } = await t.tenant();
    const { session, done } = await sendAndComplete(t, key, open.subarray(0, open.length - 10), { filename: 'open-cut.mp4', content_type: 'video/mp4' });
    await assertRefusedAndGone(t, key, session, done, 415, 'unsupported_media_type', 'undecodable');
    assert.match(done.body.error!.message, /cut off/);
  });

  it('a fragmented MP4 (moof/mdat pairs) cut in its last fragment is refused too', async () => {
    const { key } = await t.tenant();
    const frag = await ffmpegFile(
      ['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25:duration=2', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-movflags', 'frag_keyframe+empty_moov', '-f', 'mp4'],
      'mp4',
    );
    const last = boxes(frag).filter((b) => b.type === 'mdat').at(-1)!;
    assert.ok(boxes(frag).filter((b) => b.type === 'moof').length > 1, 'several fragments');
    const { session, done } = await sendAndComplete(t, key, frag.subarray(0, last.end - 100), { filename: 'frag.mp4', content_type: 'video/mp4' });
    await assertRefusedAndGone(t, key, session, done, 415, 'unsupported_media_type', 'undecodable');
  });
});

describe('probed values are bounded', () => {
  it('an MP4 whose header claims 0xFFFFFFFF seconds gets the duration its tracks hold, and a bitrate from it', async () => {
    const { key } = await t.tenant();
    const bytes = Buffer.from(clip);
    // mvhd, version 0: header (8), version+flags (4), creation (4), modification (4), timescale (4), duration (4).
    const mvhd = box(bytes, ['moov', 'mvhd']);
    assert.equal(bytes[mvhd.start + 8], 0, 'mvhd version 0');
    bytes.writeUInt32BE(1, mvhd.start + 20);
    bytes.writeUInt32BE(0xffffffff, mvhd.start + 24);
    const { done } = await sendAndComplete(t, key, bytes, { filename: 'long.mp4', content_type: 'video/mp4' });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const a = done.body.data.asset;
    assert.ok(a.duration > 0.5 && a.duration < 1.5, `duration ${a.duration}, not the 4294967295 the header claims`);
    assert.ok(a.bitrate > 10_000 && a.bitrate < 10_000_000, `bitrate ${a.bitrate}`);
    assert.deepEqual([a.width, a.height, a.fps], [CLIP.width, CLIP.height, CLIP.fps]);
  });

  it('a Matroska file claiming a billion seconds (no track says otherwise) is 415 undecodable and leaves nothing', async () => {
    const { key } = await t.tenant();
    const mkv = await ffmpegFile(['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25:duration=1', '-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'matroska'], 'mkv');
    // Segment Info's Duration (ID 0x4489) as an 8-byte float in milliseconds.
    const at = mkv.indexOf(Buffer.from([0x44, 0x89, 0x88]));
    assert.ok(at > 0, 'a Duration element');
    mkv.writeDoubleBE(1e12, at + 3);
    const { session, done } = await sendAndComplete(t, key, mkv, { filename: 'forever.mkv', content_type: 'video/x-matroska' });
    await assertRefusedAndGone(t, key, session, done, 415, 'unsupported_media_type', 'undecodable');
    assert.match(done.body.error!.message, /claims to last/);
  });
});
