import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, startIntake, type TestIntake } from '../helpers/intake.js';
import { png } from '../helpers/media.js';
import { runCli, stateDir } from './run-cli.js';

describe('intake client commands: exit codes', () => {
  let intake: TestIntake;
  let key: string;
  let photo: string;
  let state: string;

  before(async () => {
    intake = await startIntake();
    ({ key } = await intake.tenant());
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-cli-exit-'));
    photo = path.join(dir, 'photo.png');
    await fs.writeFile(photo, await png());
    state = await stateDir();
  });
  after(() => intake.close());

  const cli = (args: string[], env: Record<string, string | undefined> = {}) =>
    runCli(args, { INTAKE_URL: intake.url, INTAKE_API_KEY: key, XDG_STATE_HOME: state, ...env });

  it('3 for a key the server refuses, and for no key at all', async () => {
    const badKey = { INTAKE_API_KEY: 'sk_notakey0000000000000000000000000000000' };
    const [list, upload, none] = await Promise.all([cli(['uploads', 'ls'], badKey), cli(['upload', photo], badKey), cli(['assets', 'ls'], { INTAKE_API_KEY: undefined })]);
    for (const res of [list, upload]) {
      assert.equal(res.code, 3, res.stderr);
      assert.match(res.stderr, /unauthorized/);
    }
    assert.equal(none.code, 3);
    assert.match(none.stderr, /INTAKE_API_KEY/);
  });

  it('4 for a file that does not exist (nothing is sent) and for an asset the server does not have', async () => {
    const missing = await cli(['upload', photo, '/no/such/file.png']);
    assert.equal(missing.code, 4, missing.stderr);
    assert.match(missing.stderr, /no such file: \/no\/such\/file\.png/);
    const listed = await intake.api('GET', '/v1/uploads', { key });
    assert.equal(listed.body.data.length, 0, 'no upload started before the files were checked');
    const gone = await cli(['assets', 'show', 'med_00000000000000000000']);
    assert.equal(gone.code, 4, gone.stderr);
    assert.match(gone.stderr, /not_found/);
  });

  it('5 when the server cannot be reached', async () => {
    const down = { INTAKE_URL: `http://127.0.0.1:${await freePort()}` };
    for (const res of await Promise.all([cli(['uploads', 'ls'], down), cli(['upload', photo, '--retries', '1'], down)])) {
      assert.equal(res.code, 5, res.stderr);
      assert.match(res.stderr, /cannot reach Intake/);
    }
  });

  it('2 for usage errors; 0 and the exit codes for --help', async () => {
    const usage = [['upload'], ['assets', 'ls', '--limit', '0'], ['uploads', 'ls', '--status', 'nope'], ['uploads', 'ls', '--frobnicate'], ['upload', 'x.png', '--part-size', '4'], ['webhooks', 'add', 'https://example.com/h', '--events', 'nope']];
    const runs = await Promise.all([...usage.map((args) => cli(args)), cli(['uploads', 'ls'], { INTAKE_URL: 'ftp://example.com' })]);
    for (const [i, res] of runs.entries()) assert.equal(res.code, 2, `${(usage[i] ?? ['--url ftp:']).join(' ')}: ${res.stderr}`);
    const [help, uploadHelp] = await Promise.all([cli(['--help']), cli(['upload', '--help'])]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /upload \[options\] \[file\.\.\.\]/);
    assert.match(help.stdout, /5 +unreachable/);
    assert.equal(uploadHelp.code, 0);
    assert.match(uploadHelp.stdout, /--parallel <n>/);
    assert.match(uploadHelp.stdout, /env: INTAKE_API_KEY/);
  });

  it('0 for an upload that went through', async () => {
    const res = await cli(['upload', photo]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /photo\.png: uploaded med_[a-z0-9]{25} ready/);
  });
});
