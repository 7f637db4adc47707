import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

/** Every module a file imports at run time (type-only imports are erased), followed through relative paths. */
function runtimeImports(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = fs.readFileSync(file, 'utf8');
  for (const m of text.matchAll(/^import (?!type )[^;]*?from '(\.[^']+)'/gms)) {
    const target = path.resolve(path.dirname(file), m[1]!.replace(/\.js$/, '.ts'));
    if (fs.existsSync(target)) runtimeImports(target, seen);
  }
  return seen;
}

describe('the client commands are a client', () => {
  it('load nothing of the server: only src/cli, the entry point and the SDK', () => {
    // The entry point loads the client commands (src/cli/client-commands.ts) with import() unless a server command runs.
    const seen = runtimeImports(path.resolve('src/main/cli.ts'));
    assert.match(fs.readFileSync('src/main/cli.ts', 'utf8'), /await import\('\.\.\/cli\/client-commands\.js'\)/);
    const loaded = [...runtimeImports(path.resolve('src/cli/client-commands.ts'), seen)].map((f) => path.relative(process.cwd(), f));
    assert.ok(loaded.includes('src/cli/upload-command.ts'));
    const outside = loaded.filter((f) => f !== 'src/main/cli.ts' && !f.startsWith('src/cli/') && !f.startsWith('clients/sdk/'));
    assert.deepEqual(outside, []);
  });
});
