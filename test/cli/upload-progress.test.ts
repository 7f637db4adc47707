import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, startIntake, type TestIntake } from '../helpers/intake.js';
import { runCli, slowRelay, spawnCli, stateDir } from './run-cli.js';

const MiB = 1024 * 1024;

/** Text a few MiB long (a document Intake accepts as text/plain), different per call. */
async function textFile(dir: string, name: string, size: number): Promise<{ file: string; sha256: string }> {
  const line = `${name} ${'lorem ipsum dolor sit amet '.repeat(3)}\n`;
  const buf = Buffer.alloc(size, line);
  const file = path.join(dir, name);
  await fs.writeFile(file, buf);
  return { file, sha256: createHash('sha256').update(buf).digest('hex') };
}

/** The byte counts of the plain progress lines for one file ("NAME: SENT/SIZE bytes …"). */
function progressOf(stderr: string, name: string): number[] {
  return [...stderr.matchAll(new RegExp(`^${name.replace('.', '\\.')}: (\\d+)/(\\d+) bytes`, 'gm'))].map((m) => Number(m[1]));
}

/** bytes_acknowledged of every whole JSON progress line so far. */
function acknowledgedOf(stderr: string): number[] {
  return stderr.split('\n').slice(0, -1).flatMap((l) => {
    try {
      return [Number((JSON.parse(l) as { bytes_acknowledged: number }).bytes_acknowledged)];
    } catch {
      return [];
    }
  });
}

describe('intake upload: progress and resume', () => {
  let intake: TestIntake;
  let relay: Awaited<ReturnType<typeof slowRelay>>;
  let key: string;
  let dir: string;
  let url: string;

  before(async () => {
    // Everything the CLI sends — API calls and the parts to the signed URLs — passes a relay at 4 MiB/s.
    const relayPort = await freePort();
    url = `http://127.0.0.1:${relayPort}`;
    intake = await startIntake({ INTAKE_PUBLIC_URL: url });
    relay = await slowRelay(relayPort, Number(new URL(intake.url).port), 4 * MiB);
    ({ key } = await intake.tenant());
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-cli-files-'));
  });
  after(async () => {
    await relay.close();
    await intake.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('prints plain progress lines to a non-TTY that grow, end at the size, and a JSON result', async () => {
    const size = 12 * MiB + 12_345;
    const { file, sha256 } = await textFile(dir, 'notes.txt', size);
    const run = await runCli(['upload', file, '--part-size', '5', '--parallel', '1', '--folder', 'root/cli', '--json'], {
      INTAKE_URL: url,
      INTAKE_API_KEY: key,
      XDG_STATE_HOME: await stateDir(),
    });
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /\x1b\[/, 'no terminal escapes when stderr is not a TTY');
    assert.match(run.stderr, new RegExp(`^notes\\.txt: uploading ${size} bytes`, 'm'));
    const sent = progressOf(run.stderr, 'notes.txt');
    assert.ok(sent.length >= 2, `a line while sending and one at the end:\n${run.stderr}`);
    assert.ok(sent.length <= 8, `at most a line a second, not one a chunk:\n${run.stderr}`);
    for (let i = 1; i < sent.length; i++) assert.ok(sent[i]! > sent[i - 1]!, `progress grows: ${sent.join(', ')}`);
    assert.equal(sent.at(-1), size);

    const result = JSON.parse(run.stdout);
    assert.equal(result.outcome, 'uploaded');
    assert.equal(result.file, file);
    assert.match(result.asset_id, /^med_/);
    const asset = await intake.api('GET', `/v1/assets/${result.asset_id}`, { key });
    assert.equal(asset.body.data.filesize, size);
    assert.equal(asset.body.data.sha256, sha256);
    assert.equal(asset.body.data.folder, 'root/cli');
  });

  it('--progress json: a 30 MB file over the slow relay gives at least 10 distinct growing values, counted as the socket takes them', async () => {
    const size = 30 * 1000 * 1000;
    const { file, sha256 } = await textFile(dir, 'thirty.txt', size);
    const run = await runCli(['upload', file, '--part-size', '8', '--parallel', '4', '--progress', 'json', '--json'], {
      INTAKE_URL: url,
      INTAKE_API_KEY: key,
      XDG_STATE_HOME: await stateDir(),
    });
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stderr.trim().split('\n').map((l) => JSON.parse(l) as { file: string; bytes_sent: number; bytes_acknowledged: number; bytes_total: number; state: string });
    assert.ok(lines.every((l) => l.file === 'thirty.txt' && l.bytes_total === size));
    for (let i = 1; i < lines.length; i++) {
      assert.ok(lines[i]!.bytes_sent >= lines[i - 1]!.bytes_sent, `sent went back at line ${i}`);
      assert.ok(lines[i]!.bytes_acknowledged >= lines[i - 1]!.bytes_acknowledged, `acknowledged went back at line ${i}`);
    }
    const distinct = new Set(lines.map((l) => l.bytes_sent));
    assert.ok(distinct.size >= 10, `${distinct.size} distinct values`);
    assert.ok([...distinct].filter((n) => n % (8 * MiB) !== 0 && n !== size).length >= 5, 'values inside parts: not a part at a time');
    assert.deepEqual(lines.at(-1), { file: 'thirty.txt', bytes_sent: size, bytes_acknowledged: size, bytes_total: size, state: 'done', note: 'ready' });
    const result = JSON.parse(run.stdout);
    const asset = await intake.api('GET', `/v1/assets/${result.asset_id}`, { key });
    assert.equal(asset.body.data.sha256, sha256);
  });

  it('pauses on Ctrl-C and, run again, resumes without resending the parts storage acknowledged', async () => {
    const size = 16 * MiB + 1;
    const { file, sha256 } = await textFile(dir, 'long.txt', size);
    const env = { INTAKE_URL: url, INTAKE_API_KEY: key, XDG_STATE_HOME: await stateDir() };
    // JSON progress: it tells what storage acknowledged (the bytes sent run ahead of it).
    const args = ['upload', file, '--part-size', '5', '--parallel', '1', '--json', '--progress', 'json'];

    const first = await spawnCli(args, env);
    await first.waitForStderr((s) => acknowledgedOf(s).some((n) => n >= 5 * MiB));
    first.child.kill('SIGINT');
    const paused = await first.done;
    assert.equal(paused.code, 130, paused.stderr);
    assert.match(paused.stderr, /paused/);
    const pausedLine = JSON.parse(paused.stdout);
    assert.equal(pausedLine.outcome, 'paused');
    // A part the CLI had finished writing into its socket when it stopped may still arrive
    // and be stored; what storage acknowledges is known once the relay has passed it on.
    await relay.settled();

    const open = await intake.api('GET', '/v1/uploads?status=uploading', { key });
    assert.equal(open.body.data.length, 1, 'the session stays open');
    const uploadId = open.body.data[0].id;
    assert.equal(pausedLine.upload_id, uploadId);
    const parts = await intake.api('GET', `/v1/uploads/${uploadId}/parts`, { key });
    const acknowledged = (parts.body.data as Array<{ size: number }>).reduce((n, p) => n + p.size, 0);
    assert.ok(acknowledged >= 5 * MiB && acknowledged < size, `some parts arrived: ${acknowledged}`);

    const before = relay.upstreamBytes();
    const resumed = await runCli(args, env);
    const sent = relay.upstreamBytes() - before;
    assert.equal(resumed.code, 0, resumed.stderr);
    const result = JSON.parse(resumed.stdout);
    assert.equal(result.upload_id, uploadId);
    assert.equal(result.resumed, true);
    // The rest of the file and a few small API calls; not the acknowledged parts again.
    assert.ok(sent >= size - acknowledged, `sent ${sent}`);
    assert.ok(sent < size - acknowledged + 256 * 1024, `sent ${sent}, but only ${size - acknowledged} were missing`);
    const asset = await intake.api('GET', `/v1/assets/${result.asset_id}`, { key });
    assert.equal(asset.body.data.filesize, size);
    assert.equal(asset.body.data.sha256, sha256);
  });
});
