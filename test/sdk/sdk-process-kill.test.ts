import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { moduleEntry } from '../../src/lib/module-entry.js';
import { eventually } from '../helpers/intake.js';
import { MiB, sdkFixture, textFile, type SdkFixture } from './fixtures.js';

const child = moduleEntry('./upload-child', import.meta.url);

function runChild(args: Record<string, unknown>) {
  const proc = spawn(process.execPath, [...child.execArgv, child.file, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal, out, err })));
  return { proc, exited };
}

let fx: SdkFixture;
before(async () => {
  fx = await sdkFixture();
});
after(() => fx.close());

test('an upload whose process is killed resumes when run again: acknowledged parts are not sent twice, one asset with the right SHA-256', async () => {
  const { file, sha256 } = await textFile(fx.dir, 'killed.txt', 16 * MiB + 123);
  const stateFile = path.join(fx.dir, 'state', 'uploads.json');
  const args = { baseUrl: fx.proxy.url, apiKey: fx.key, file, stateFile, partSize: 5 * MiB };

  // First run: two parts pass, the others hang at the proxy; the process is killed there.
  fx.proxy.policy = (i) => (i < 2 ? 'pass' : 'stall');
  const first = runChild(args);
  await eventually(async () => fx.proxy.acknowledged().length === 2 && fx.proxy.puts.length === 4, 20_000, 'two parts stored and two hanging');
  first.proc.kill('SIGKILL');
  const killed = await first.exited;
  assert.equal(killed.signal, 'SIGKILL', killed.err);
  const stored = Object.values(JSON.parse(await fs.readFile(stateFile, 'utf8'))) as { upload_id: string }[];
  assert.equal(stored.length, 1, 'the session was kept in the state file');
  const acknowledged = fx.proxy.acknowledged();

  // Second run: everything passes.
  fx.proxy.puts.length = 0;
  fx.proxy.policy = () => 'pass';
  const second = runChild(args);
  const done = await second.exited;
  assert.equal(done.code, 0, done.err);
  const result = JSON.parse(done.out.trim().split('\n').at(-1)!);
  assert.equal(result.outcome, 'uploaded');
  assert.equal(result.resumed, true);
  assert.equal(result.uploadId, stored[0]!.upload_id);
  assert.equal(result.asset.sha256, sha256);
  assert.equal(result.asset.filesize, 16 * MiB + 123);

  const resent = fx.proxy.puts.map((p) => p.part).sort();
  assert.deepEqual(resent, [1, 2, 3, 4].filter((n) => !acknowledged.includes(n)), `parts ${acknowledged} were acknowledged before the kill`);
  assert.deepEqual(JSON.parse(await fs.readFile(stateFile, 'utf8')), {}, 'the state file forgets a finished upload');
  const assets = await fx.intake.api('GET', '/v1/assets', { key: fx.key });
  assert.equal(assets.body.data.length, 1, 'one asset');
  const uploads = await fx.intake.api('GET', '/v1/uploads', { key: fx.key });
  assert.deepEqual(uploads.body.data.map((u: { status: string }) => u.status), ['completed'], 'one session, completed');
});
