/**
 * INTAKE_FFMPEG_PATH and INTAKE_FFPROBE_PATH name the tools Intake runs: the processing
 * worker runs the configured ones, and a configured ffmpeg that is missing is an outage
 * (retried, then the asset fails as unprocessable), never a verdict that the media is bad.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, startIntake, type TestIntake } from '../helpers/intake.js';
import { fakeTool, ffmpegMedia, type FakeTool } from '../helpers/media.js';
import { createSession, put } from './error-helpers.js';

let song: Buffer;
const tools: FakeTool[] = [];
const intakes: TestIntake[] = [];

before(async () => {
  song = await ffmpegMedia('mp3');
});
after(async () => {
  await Promise.all(intakes.map((t) => t.close()));
  await Promise.all(tools.map((tool) => tool.remove()));
});

async function tool(name: string, body: string | null): Promise<FakeTool> {
  const made = await fakeTool(name, body);
  tools.push(made);
  return made;
}

async function intake(env: Record<string, string>): Promise<TestIntake> {
  const t = await startIntake({ INTAKE_JOB_RETRY_BASE_MS: '50', ...env });
  intakes.push(t);
  return t;
}

/** Uploads and completes the MP3; the asset it makes, once processing settles. */
async function processed(t: TestIntake): Promise<{ status: string; error: { code: string; message: string } | null; sources: Array<{ label: string }> }> {
  const { key } = await t.tenant();
  const s = await createSession(t, key, { filename: 'song.mp3', content_type: 'audio/mpeg', file_size: song.length });
  assert.equal((await put(s.upload_url, song, 'audio/mpeg')).status, 200);
  const done = await t.api('POST', `/v1/uploads/${s.upload_id}/complete`, { key });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  return eventually(async () => {
    const a = await t.api('GET', `/v1/assets/${s.asset_id}`, { key });
    return a.body.data.status === 'ready' || a.body.data.status === 'failed' ? a.body.data : null;
  }, 30_000, 'processing to settle');
}

describe('configured media tools', () => {
  it('the worker runs the ffmpeg and ffprobe at the configured paths', async () => {
    // Each stand-in notes that it ran, then runs the real tool.
    const ffmpeg = await tool('ffmpeg', null);
    const ffprobe = await tool('ffprobe', null);
    const log = path.join(path.dirname(ffmpeg.path), 'ran.log');
    await ffmpeg.set(`echo ffmpeg >> '${log}'\nexec ffmpeg "$@"`);
    await ffprobe.set(`echo ffprobe >> '${log}'\nexec ffprobe "$@"`);
    const t = await intake({ INTAKE_FFMPEG_PATH: ffmpeg.path, INTAKE_FFPROBE_PATH: ffprobe.path });

    const asset = await processed(t);
    assert.equal(asset.status, 'ready', JSON.stringify(asset));
    assert.ok(asset.sources.some((src) => src.label === 'audio'), JSON.stringify(asset.sources));
    const ran = (await fs.readFile(log, 'utf8')).trim().split('\n');
    assert.ok(ran.includes('ffmpeg'), `the configured ffmpeg ran: ${ran.join(',')}`);
    assert.ok(ran.includes('ffprobe'), `the configured ffprobe ran: ${ran.join(',')}`);
  });

  it('a configured ffmpeg that is not there is retried as an outage, then the asset fails as unprocessable, not as bad media', async () => {
    const missing = await tool('ffmpeg', null);
    const t = await intake({ INTAKE_FFMPEG_PATH: missing.path });

    const asset = await processed(t);
    assert.equal(asset.status, 'failed', JSON.stringify(asset));
    assert.equal(asset.error?.code, 'processing_failed');
    assert.match(asset.error!.message, /could not be processed after 5 attempts/);
  });
});
