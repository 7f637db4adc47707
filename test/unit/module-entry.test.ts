/**
 * lib/module-entry.ts: a child's or thread's entry is its caller's sibling, run the way
 * the caller runs: compiled .js with no flags, or .ts with tsx's hooks (never tsx when
 * compiled). The entries themselves are run from their files in test/media/media-children
 * and test/db/checkpointer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { moduleEntry } from '../../src/lib/module-entry.js';

describe('module entries', () => {
  it('a compiled caller runs its sibling .js, with no flags', () => {
    const entry = moduleEntry('./image-child', 'file:///srv/intake/dist/src/media/image.js');
    assert.equal(entry.file, '/srv/intake/dist/src/media/image-child.js');
    assert.equal(entry.url.href, 'file:///srv/intake/dist/src/media/image-child.js');
    assert.deepEqual(entry.execArgv, []);
  });

  it('a caller run from source runs its sibling .ts, with tsx\'s hooks from an absolute URL', () => {
    const entry = moduleEntry('./checkpoint-thread', new URL('../../src/db/checkpointer.ts', import.meta.url).href);
    assert.equal(entry.file, fileURLToPath(new URL('../../src/db/checkpoint-thread.ts', import.meta.url)));
    assert.equal(entry.execArgv.length, 2);
    assert.equal(entry.execArgv[0], '--import');
    const hooks = decodeURIComponent(entry.execArgv[1]!);
    assert.match(hooks, /^data:text\/javascript,/);
    // Resolved here, not by the child from its working directory.
    assert.match(hooks, /"file:\/\/\/[^"]*\/node_modules\/tsx\/[^"]*"/);
  });
});
