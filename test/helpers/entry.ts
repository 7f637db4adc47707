/**
 * Which files a test's child processes run. The suite runs compiled (`npm test`: tsc emits
 * to dist/, plain node runs dist/test/**\/*.test.js) or from source (a developer's
 * `node --import tsx --test test/x.test.ts`); a child runs the same way as the test that
 * spawns it, so the compiled run never pays tsx's start-up in a child either.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { moduleEntry, type ModuleEntry } from '../../src/lib/module-entry.js';

/** True when this run is the compiled one (dist/test/…/*.js). */
export const compiled = !import.meta.url.endsWith('.ts');

/** The repository's root (where package.json is), in both runs. */
export const repoRoot = fileURLToPath(new URL(compiled ? '../../../' : '../../', import.meta.url));

/**
 * Node arguments that run the module whose source is `source` (a path from the repository's
 * root, `src/main/cli.ts`): dist's .js with no flags when compiled, else the .ts under tsx.
 * Absolute, so a child may run in any working folder.
 */
export function nodeArgs(source: string): string[] {
  const entry = sourceEntry(source);
  return [...entry.execArgv, entry.file];
}

/** The file this run loads for `source` and the Node flags it needs (tsx's hooks from source only). */
export function sourceEntry(source: string): ModuleEntry {
  // From dist/test/helpers/ as from test/helpers/, ../../ is where src/ (compiled or not) is.
  return moduleEntry(`../../${source.replace(/\.ts$/, '')}`, import.meta.url);
}

/**
 * `node ...CLI serve` runs the intake command line the way this run runs: compiled, the
 * bundle npm start runs (dist/intake/cli.js, scripts/bundle.mjs, made by npm test after
 * tsc), so every test that starts `intake serve` or `intake worker` tests what operators run.
 */
export const CLI: readonly string[] = compiled ? [path.join(repoRoot, 'dist', 'intake', 'cli.js')] : nodeArgs('src/main/cli.ts');

