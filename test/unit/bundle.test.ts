/**
 * The server bundle npm start runs (dist/intake/, scripts/bundle.mjs; `npm test` makes it
 * after tsc): every path it computes from `import.meta.url` lands on the module's own
 * compiled file in dist/src/, the children and the checkpoint thread it starts are there,
 * and nothing in it looks for files through `__dirname` (undefined in an ES module).
 * The tests that spawn `intake serve` run this bundle too (test/helpers/entry.ts).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { repoRoot } from '../helpers/entry.js';

const dir = path.join(repoRoot, 'dist', 'intake');

function bundleFiles(): Array<{ file: string; text: string }> {
  assert.ok(fs.existsSync(path.join(dir, 'cli.js')), 'dist/intake/cli.js is missing: npm test (or node scripts/bundle.mjs after tsc) makes it');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => ({ file: path.join(dir, f), text: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

test('each import.meta.url in the bundle is rewritten to its module in dist/src, which exists', () => {
  const found: string[] = [];
  for (const { file, text } of bundleFiles()) {
    for (const m of text.matchAll(/new URL\("([^"]+)", import\.meta\.url\)\.href/g)) {
      const target = fileURLToPath(new URL(m[1]!, pathToFileURL(file)));
      assert.ok(target.startsWith(path.join(repoRoot, 'dist', 'src') + path.sep), `${m[1]} points outside dist/src`);
      assert.ok(fs.existsSync(target), `${path.basename(file)}: ${m[1]} does not exist`);
      found.push(path.relative(path.join(repoRoot, 'dist', 'src'), target));
    }
    // Any other use of import.meta.url would be the chunk's own location, not its module's.
    const bare = text.replace(/new URL\("[^"]+", import\.meta\.url\)\.href/g, '').replace("__intakeRequire(import.meta.url)", '');
    assert.doesNotMatch(bare, /import\.meta\.url/, `${path.basename(file)} uses import.meta.url unrewritten`);
  }
  // The modules that start children and the checkpoint thread are among them, with their entries beside them.
  for (const [starter, entry] of [['media/image.js', 'media/image-child.js'], ['media/image-renditions.js', 'media/render-child.js'], ['db/checkpointer.js', 'db/checkpoint-thread.js']] as const) {
    assert.ok(found.includes(path.normalize(starter)), `${starter} is not in the bundle`);
    assert.ok(fs.existsSync(path.join(repoRoot, 'dist', 'src', entry)), `dist/src/${entry} is missing`);
  }
});

test('nothing bundled looks for files through __dirname or __filename', () => {
  for (const { file, text } of bundleFiles()) {
    const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    assert.doesNotMatch(code, /\b__(dirname|filename)\b/, `${path.basename(file)}: keep that package external in scripts/bundle.mjs`);
  }
});
