#!/usr/bin/env node
// Compiles the project (tsc, which is also the type check), bundles the server as npm start
// runs it (scripts/bundle.mjs), and runs every test/**/*.test.ts
// as its compiled dist/test/**/*.test.js with Node's own test runner: plain node, no tsx,
// and the children tests spawn run compiled too (test/helpers/entry.ts). Extra arguments
// narrow the run: `npm test -- test/http` or a file path. One file from source, while
// working on it: `node --import tsx --test test/x.test.ts`.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const filters = process.argv.slice(2);

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return walk(full);
    return e.name.endsWith('.test.ts') ? [path.relative(root, full)] : [];
  });
}

// The list comes from the sources, so a test deleted since the last build never runs from dist/.
const files = walk(path.join(root, 'test'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x.replace(/^\.\//, '').replace(/^dist\//, '').replace(/\.js$/, '.ts'))))
  .sort();
if (files.length === 0) {
  process.stderr.write('no test files matched\n');
  process.exit(1);
}
try {
  execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--incremental', '--tsBuildInfoFile', path.join('dist', '.tsbuildinfo')], { cwd: root, stdio: 'inherit' });
} catch {
  process.stderr.write('tsc failed: fix the type errors above\n');
  process.exit(1);
}
// The server bundle npm start runs (scripts/bundle.mjs): the tests' `intake serve` runs it.
execFileSync(process.execPath, [path.join(root, 'scripts', 'bundle.mjs')], { cwd: root, stdio: 'inherit' });
const tap = path.join(os.tmpdir(), `intake-test-results-${process.pid}.tap`);
const res = spawnSync(
  process.execPath,
  [
    '--enable-source-maps', '--test', `--test-concurrency=${process.env.INTAKE_TEST_CONCURRENCY ?? 2}`, '--test-timeout=120000',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`,
    ...files.map((f) => path.join('dist', f.replace(/\.ts$/, '.js'))),
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
// A plain closing line, from the TAP summary, that any CI can read.
const summary = fs.existsSync(tap) ? fs.readFileSync(tap, 'utf8') : '';
const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(summary)?.[1] ?? 0);
process.stdout.write(`\n${count('pass')} passed, ${count('fail') + count('cancelled')} failed, ${count('skipped')} skipped\n`);
fs.rmSync(tap, { force: true });
process.exit(res.status ?? 1);
