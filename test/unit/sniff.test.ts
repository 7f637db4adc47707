import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { sniffType } from '../../src/media/sniff.js';
import { jpeg, png } from '../helpers/media.js';

const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>';
const utf8 = (s: string) => Buffer.from(s, 'utf8');

describe('sniffType', () => {
  let pngBytes: Buffer;
  let jpegBytes: Buffer;
  before(async () => {
    [pngBytes, jpegBytes] = await Promise.all([png(), jpeg()]);
  });

  it('detects PNG and JPEG from their bytes, whatever was declared', async () => {
    assert.equal(await sniffType(pngBytes, 'image/png'), 'image/png');
    assert.equal(await sniffType(jpegBytes, 'image/jpeg'), 'image/jpeg');
    assert.equal(await sniffType(jpegBytes, 'image/png'), 'image/jpeg');
    assert.equal(await sniffType(pngBytes.subarray(0, 64), 'image/png'), 'image/png', 'the head of the file is enough');
  });

  it('a JPEG declared as text is never accepted as text', async () => {
    // The detected type wins: the caller then rejects the kind mismatch (image vs document).
    assert.equal(await sniffType(jpegBytes, 'text/plain'), 'image/jpeg');
    assert.equal(await sniffType(jpegBytes, 'application/json'), 'image/jpeg');
  });

  it('accepts declared text types when the bytes are UTF-8 without NUL', async () => {
    assert.equal(await sniffType(utf8('hello, world\nsecond line\n'), 'text/plain'), 'text/plain');
    assert.equal(await sniffType(utf8('a,b\n1,2\n'), 'text/csv'), 'text/csv');
    assert.equal(await sniffType(utf8('# Títle — ünïcode ✓ 😀\n'), 'text/markdown'), 'text/markdown');
    assert.equal(await sniffType(utf8('{"a":[1,2,3]}'), 'application/json'), 'application/json');
  });

  it('refuses text with a NUL byte or invalid UTF-8', async () => {
    assert.equal(await sniffType(Buffer.concat([utf8('abc'), Buffer.from([0]), utf8('def')]), 'text/plain'), null);
    assert.equal(await sniffType(Buffer.concat([utf8('abc'), Buffer.from([0xc3, 0x28]), utf8('def')]), 'text/plain'), null);
    assert.equal(await sniffType(Buffer.concat([utf8('abc'), Buffer.from([0xe2, 0x82]), utf8('def')]), 'text/csv'), null, 'a cut character inside the sample');
    assert.equal(await sniffType(Buffer.concat([utf8('abc'), Buffer.from([0x80])]), 'text/plain'), null, 'a stray continuation byte at the end');
    assert.equal(await sniffType(Buffer.from([0x01, 0x02, 0x00, 0xff, 0x10, 0x00]), 'text/plain'), null);
  });

  it('a multi-byte character cut at the end of the sample is still text', async () => {
    for (const ch of ['é', '€', '😀']) {
      const whole = utf8(`some text ${ch}`);
      for (let cut = 1; cut < Buffer.byteLength(ch); cut++) {
        assert.equal(await sniffType(whole.subarray(0, whole.length - cut), 'text/plain'), 'text/plain', `${ch} minus ${cut} byte(s)`);
      }
    }
  });

  it('recognises SVG only when declared so and when it looks like SVG', async () => {
    assert.equal(await sniffType(utf8(SVG), 'image/svg+xml'), 'image/svg+xml');
    assert.equal(await sniffType(utf8(`<?xml version="1.0" encoding="UTF-8"?>\n${SVG}`), 'image/svg+xml'), 'image/svg+xml');
    assert.equal(await sniffType(utf8(`\uFEFF  \n<!-- made by hand -->\n${SVG}`), 'image/svg+xml'), 'image/svg+xml');
    assert.equal(await sniffType(utf8(`<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x">\n${SVG}`), 'image/svg+xml'), 'image/svg+xml');
    assert.equal(await sniffType(utf8('<?xml version="1.0"?><html><body/></html>'), 'image/svg+xml'), null);
    assert.equal(await sniffType(utf8(`<html><body>${SVG}</body></html>`), 'image/svg+xml'), null);
    assert.equal(await sniffType(utf8('<svgfoo></svgfoo>'), 'image/svg+xml'), null);
    assert.equal(await sniffType(pngBytes, 'image/svg+xml'), 'image/png');
    assert.equal(await sniffType(utf8(SVG), 'image/png'), null);
  });

  it('a gzip-compressed SVG (.svgz) declared SVG or sent untyped is an SVG; other gzip stays gzip', async () => {
    const svgz = gzipSync(utf8(SVG));
    assert.equal(await sniffType(svgz, 'image/svg+xml'), 'image/svg+xml');
    assert.equal(await sniffType(svgz, 'application/octet-stream'), 'image/svg+xml');
    assert.equal(await sniffType(svgz.subarray(0, 40), 'image/svg+xml'), 'image/svg+xml', 'the head of the gzip is enough');
    assert.equal(await sniffType(svgz, 'application/gzip'), 'application/gzip', 'only declared SVG or untyped bytes are looked into');
    assert.equal(await sniffType(gzipSync(utf8('<html><body/></html>')), 'image/svg+xml'), 'application/gzip');
    // 1 GiB of spaces would inflate from ~1 MiB of gzip: only the first KiBs are inflated.
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
    const started = process.hrtime.bigint();
    assert.equal(await sniffType(bomb.subarray(0, 64 * 1024), 'image/svg+xml'), 'application/gzip');
    assert.ok(process.hrtime.bigint() - started < 200_000_000n, 'stops inflating early');
  });

  it('RF64 and BW64 WAV (64-bit sizes) are audio/wav', async () => {
    const wave64 = (magic: string) => Buffer.concat([Buffer.from(magic, 'latin1'), Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.from('WAVEds64', 'latin1'), Buffer.alloc(64)]);
    assert.equal(await sniffType(wave64('RF64'), 'audio/wav'), 'audio/wav');
    assert.equal(await sniffType(wave64('BW64'), 'audio/x-wav'), 'audio/wav');
    assert.equal(await sniffType(Buffer.from('RF64\xff\xff\xff\xffAVI ', 'latin1'), 'audio/wav'), null, 'RF64 of anything else is not a WAV');
  });

  it('unknown bytes declared as a binary type are null', async () => {
    assert.equal(await sniffType(utf8('just some text'), 'image/png'), null);
    assert.equal(await sniffType(Buffer.alloc(0), 'video/mp4'), null);
  });
});
