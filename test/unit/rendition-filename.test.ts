import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renditionFilename } from '../../src/assets/views.js';

describe('rendition download names', () => {
  it('put the label before the original name and carry the rendition’s own extension', () => {
    assert.equal(renditionFilename('poster', 'clip.mp4', 'ns_a/med_b/poster.jpg'), 'poster-clip.jpg');
    assert.equal(renditionFilename('240p', 'talk.mov', 'ns_a/med_b/240p.mp4'), '240p-talk.mp4');
    assert.equal(renditionFilename('thumbnail', 'photo.png', 'ns_a/med_b/thumbnail.webp'), 'thumbnail-photo.webp');
  });

  it('keep a name without an extension, and a leading dot, whole', () => {
    assert.equal(renditionFilename('poster', 'README', 'ns_a/med_b/poster.jpg'), 'poster-README.jpg');
    assert.equal(renditionFilename('poster', '.hidden', 'ns_a/med_b/poster.jpg'), 'poster-.hidden.jpg');
  });
});
