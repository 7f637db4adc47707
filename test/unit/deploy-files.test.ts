/**
 * The deployment files, checked by reading them (no Docker engine runs where the tests do):
 * the image builds and ships the web console on a supported Node LTS, compose starts Intake
 * only once PostgreSQL and Redis are healthy, and every Intake process gets the public URL.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { repoRoot as root } from '../helpers/entry.js';

const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

interface Stage {
  from: string;
  lines: string[];
}

/** The Dockerfile's stages, each with its instructions (continuation lines joined, comments dropped). */
function stages(text: string): Stage[] {
  const joined = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const out: Stage[] = [];
  for (const line of joined) {
    const from = /^FROM\s+(\S+)/i.exec(line);
    if (from) out.push({ from: from[1]!, lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

/** `COPY [--from=x] src… dest` → the sources. */
function copies(stage: Stage, opts: { from?: string } = {}): string[] {
  return stage.lines
    .filter((l) => /^COPY\s/i.test(l) && (opts.from === undefined ? !/--from=/.test(l) : l.includes(`--from=${opts.from}`)))
    .flatMap((l) => l.split(/\s+/).slice(1).filter((w) => !w.startsWith('--')).slice(0, -1));
}

test('the image runs on Node 22 LTS or later (an even major), in every stage', () => {
  const all = stages(read('deploy/Dockerfile'));
  assert.ok(all.length >= 1);
  for (const s of all) {
    const m = /^node:(\d+)/.exec(s.from);
    assert.ok(m, `stage from ${s.from} is not a node image`);
    const major = Number(m[1]);
    assert.ok(major >= 22 && major % 2 === 0, `node:${major} is not a supported LTS line`);
  }
});

test('the image builds the web console and the server bundle, and ships dist/ (console, bundle, children)', () => {
  const all = stages(read('deploy/Dockerfile'));
  const build = all.find((s) => s.lines.some((l) => /^RUN .*npm run build/.test(l)));
  assert.ok(build, 'no stage runs `npm run build` (tsc and the console build)');
  assert.match(JSON.parse(read('package.json')).scripts.build as string, /vite build --config console\/vite\.config\.ts/);
  // What the build reads: the console, the server, and the SDK sources both of them import.
  const sources = copies(build);
  for (const needed of ['console', 'src', 'clients/sdk/src', 'tsconfig.json', 'package-lock.json']) {
    assert.ok(sources.includes(needed), `the build stage does not copy ${needed}`);
  }
  const sdkImports = fs.readdirSync(path.join(root, 'src'), { recursive: true, encoding: 'utf8' }).some((f) => f.endsWith('.ts') && read(path.join('src', f)).includes('clients/sdk/src/'));
  assert.ok(sdkImports, 'src no longer imports clients/sdk: drop it from the image');
  // The running stage gets dist (dist/src and dist/console) from the build.
  const run = all.at(-1)!;
  assert.notEqual(run, build, 'the image ships its compiler: build in a stage of its own');
  const name = /AS\s+(\S+)/i.exec(read('deploy/Dockerfile').split('\n').find((l) => l.startsWith(`FROM ${build.from}`))!)?.[1];
  assert.ok(name, 'the build stage has no name');
  assert.ok(copies(run, { from: name }).some((p) => p === '/app/dist'), 'the running stage does not take dist/ from the build');
  // It runs the bundle (scripts/bundle.mjs, made by npm run build), whose children start from dist/src.
  assert.match(JSON.parse(read('package.json')).scripts.build as string, /node scripts\/bundle\.mjs/);
  assert.ok(copies(build).includes('scripts/bundle.mjs'), 'the build stage does not copy scripts/bundle.mjs');
  assert.ok(run.lines.some((l) => l.includes('dist/intake/cli.js')));
  assert.ok(fs.existsSync(path.join(root, '.dockerignore')) && /^node_modules$/m.test(read('.dockerignore')), 'a local node_modules would be sent to the build');
});

test('compose starts Intake only once PostgreSQL and Redis are healthy, and every Intake process knows the public URL', () => {
  const compose = parse(read('deploy/compose.yaml'), { merge: true }) as {
    services: Record<string, { healthcheck?: { test: string[] }; depends_on?: Record<string, { condition: string }>; environment?: Record<string, string>; command?: string[] }>;
  };
  const { services } = compose;
  for (const dep of ['postgres', 'redis']) assert.ok(services[dep]?.healthcheck?.test.length, `${dep} has no healthcheck`);
  const intake = Object.entries(services).filter(([, s]) => s.command?.[0] === 'serve' || s.command?.[0] === 'worker');
  assert.deepEqual(intake.map(([n]) => n).sort(), ['api', 'worker']);
  for (const [name, s] of intake) {
    assert.equal(s.depends_on?.postgres?.condition, 'service_healthy', `${name} does not wait for PostgreSQL's health`);
    assert.equal(s.depends_on?.redis?.condition, 'service_healthy', `${name} does not wait for Redis's health`);
    assert.match(s.environment?.INTAKE_PUBLIC_URL ?? '', /^\$\{INTAKE_PUBLIC_URL:-http/, `${name} has no INTAKE_PUBLIC_URL`);
  }
});

test('engines still admit Node 20.9 (CI), and the docs recommend Node 22', () => {
  assert.equal(JSON.parse(read('package.json')).engines.node, '>=20.9');
  assert.match(read('README.md'), /Node(\.js)? 22/);
  assert.match(read('docs/DEPLOY.md'), /Node 22/);
});
