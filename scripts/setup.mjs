#!/usr/bin/env node
// Everything a fresh clone needs before Intake starts or its tests run, installed by the
// project itself: npm dependencies (npm ci when node_modules is missing or stale) and
// ffmpeg/ffprobe from Debian's package. `--build` also compiles TypeScript to dist/ and
// builds the web console (dist/console/); `--console` builds only the console (npm test).
// Plain Node with no dependencies, so it runs before anything is installed.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const log = (msg) => process.stderr.write(`[setup] ${msg}\n`);

function run(cmd, argv, opts = {}) {
  const res = spawnSync(cmd, argv, { stdio: 'inherit', cwd: root, ...opts });
  if (res.status !== 0) {
    log(`failed: ${cmd} ${argv.join(' ')}`);
    process.exit(res.status ?? 1);
  }
}

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

// 1. npm dependencies: install when node_modules is absent or older than the lock file.
const lock = path.join(root, 'package-lock.json');
const installed = path.join(root, 'node_modules', '.package-lock.json');
// A node_modules that is a symlink belongs to another checkout (a git worktree sharing one
// install): npm ci here would empty that checkout's install through the link, so leave it.
const linked = fs.lstatSync(path.join(root, 'node_modules'), { throwIfNoEntry: false })?.isSymbolicLink() ?? false;
if (linked) {
  if (!fs.existsSync(installed)) log('node_modules is a symlink to an install that is missing: install it in the checkout it points to.');
} else if (args.has('--no-install')) {
  // Asked by a test (the console's): the suite is running on this install; two test files
  // running npm ci at once under it emptied it. npm test's own setup installed it.
} else if (!fs.existsSync(installed) || mtime(installed) < mtime(lock)) {
  log('installing npm dependencies (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

// 2. ffmpeg and ffprobe: Debian's package, installed when missing (root, as on CI).
if (!has('ffmpeg') || !has('ffprobe')) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !has('apt-get')) {
    log('ffmpeg is missing: install it (Debian/Ubuntu: sudo apt-get install -y ffmpeg) and run again.');
    process.exit(1);
  }
  log('installing ffmpeg (apt-get install -y ffmpeg)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'ffmpeg'], { env });
}

// 2b. libheif's heif-convert (Debian's libheif-examples): HEIC/HEIF renditions (sharp's
//     prebuilt libvips cannot decode HEVC). Installed when missing and root; else a note.
if (!has('heif-convert')) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !has('apt-get')) {
    log('heif-convert is missing: HEIC/HEIF images will fail processing (Debian/Ubuntu: sudo apt-get install -y libheif-examples).');
  } else {
    log('installing heif-convert (apt-get install -y libheif-examples)');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'libheif-examples'], { env });
  }
}

// 3. Ceph RGW, the real S3 server the S3 tests and benchmarks start on loopback
//    (scripts/ceph-rgw/start.sh): Debian's packages, installed when asked (npm test,
//    npm run bench) and missing, as root. Without them those tests fail, loudly.
if (args.has('--ceph') && !['ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'monmaptool', 'ceph-authtool', 'curl'].every(has)) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && has('apt-get')) {
    log('installing Ceph RGW for the S3 tests (apt-get install -y ceph-mon ceph-osd radosgw ceph-common curl)');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    run('apt-get', ['update', '-qq'], { env });
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'ceph-mon', 'ceph-osd', 'radosgw', 'ceph-common', 'curl'], { env });
  } else {
    log('Ceph RGW is missing and cannot be installed here (needs root and apt-get): the S3 tests will fail.');
  }
}

// 4. Chromium, the real browser the web console and Uppy tests drive through
//    playwright-core (test/helpers/browser.ts): Debian's package, installed when asked
//    (npm test) and missing, as root. Without it those tests fail, loudly.
if (args.has('--browser') && !fs.existsSync('/usr/bin/chromium')) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && has('apt-get')) {
    log('installing Chromium for the browser tests (apt-get install -y chromium)');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    run('apt-get', ['update', '-qq'], { env });
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { env });
  } else {
    log('Chromium is missing and cannot be installed here (needs root and apt-get): the browser tests will fail.');
  }
}

// 5. Build when asked (npm start, npm run bench), skipped when the last build is newer than
//    every source tsconfig.json compiles (a restart must not pay a compile it does not need).
if (args.has('--build')) {
  const stamp = path.join(root, 'dist', '.tsc-built');
  const inputs = ['src', 'test', 'bench', path.join('clients', 'sdk', 'src'), path.join('clients', 'sdk', 'scripts'), 'tsconfig.json', 'package-lock.json'];
  const built = mtime(stamp);
  if (built === 0 || inputs.some((p) => newest(path.join(root, p)) > built)) {
    log('compiling TypeScript');
    const startedAt = new Date();
    execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
    // Stamped with the time the compile began: a source saved during it is newer, and rebuilt next time.
    fs.writeFileSync(stamp, '');
    fs.utimesSync(stamp, startedAt, startedAt);
  }
  // The server as npm start runs it: one bundle of what tsc just wrote (scripts/bundle.mjs).
  if (mtime(path.join(root, 'dist', 'intake', 'cli.js')) <= mtime(stamp)) {
    log('bundling the server (esbuild)');
    run(process.execPath, [path.join(root, 'scripts', 'bundle.mjs')]);
  }
}

// 6. The web console (console/ → dist/console/ with Vite), served by Intake at `/`: built
//    for npm start and for npm test (its browser tests load it), skipped when the build is
//    newer than every source it is made from (the console, the SDK it uploads with, the lock).
if (args.has('--build') || args.has('--console')) {
  const sources = [path.join(root, 'console'), path.join(root, 'clients', 'sdk', 'src'), lock];
  const built = mtime(path.join(root, 'dist', 'console', 'index.html'));
  if (built === 0 || sources.some((s) => newest(s) > built)) {
    log('building the web console (vite build)');
    run(process.execPath, [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'console/vite.config.ts', '--logLevel', 'warn']);
  }
}

/** The newest modification time of a file, or of any file under a folder. */
function newest(p) {
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  // What the benchmarks write (bench/results/) is output, not a source of the build.
  if (p === path.join(root, 'bench', 'results')) return 0;
  return fs.readdirSync(p).reduce((max, name) => Math.max(max, newest(path.join(p, name))), st.mtimeMs);
}
