import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { build } from 'esbuild';
import { repoRoot } from '../helpers/entry.js';

const sdk = path.join(repoRoot, 'clients/sdk');

test('the universal entry bundles for a browser with no Node module; the Node entry is the only one that needs them', async () => {
  const browser = await build({ entryPoints: [path.join(sdk, 'src/index.ts')], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent', metafile: true });
  const inputs = Object.keys(browser.metafile.inputs);
  assert.ok(inputs.some((i) => i.includes('@noble/hashes')), 'hashing is bundled');
  assert.ok(inputs.some((i) => i.includes('openapi-fetch')), 'the typed fetch layer is bundled');
  assert.ok(!inputs.some((i) => i.includes('/node.ts') || i.startsWith('node:')), inputs.join('\n'));
  assert.ok(browser.outputFiles[0]!.text.length < 150_000, `bundle is ${browser.outputFiles[0]!.text.length} bytes`);
  // The same build of the Node entry fails: the check above would catch a node: import leaking into the universal one.
  await assert.rejects(build({ entryPoints: [path.join(sdk, 'src/node.ts')], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent' }), /node:/);
});
