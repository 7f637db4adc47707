/**
 * Shared by the suites that send real media through create → PUT → complete: one call
 * for the round trip, and the proof that a refused complete left nothing behind.
 */
import assert from 'node:assert/strict';
import type { ApiResponse, TestIntake } from '../helpers/intake.js';
import { sha256 } from '../helpers/media.js';
import { assertError, createSession, put } from './error-helpers.js';

/** Creates a session for `bytes`, PUTs them, and calls complete; returns the session and the answer. */
export async function sendAndComplete(
  t: TestIntake,
  key: string,
  bytes: Buffer,
  json: { filename: string; content_type: string } & Record<string, unknown>,
): Promise<{ session: any; done: ApiResponse }> {
  const session = await createSession(t, key, { file_size: bytes.length, file_hash: sha256(bytes), skip_duplicates: false, ...json });
  const sent = await put(session.upload_url, bytes, json.content_type);
  assert.equal(sent.status, 200, await sent.text());
  const done = await t.api('POST', `/v1/uploads/${session.upload_id}/complete`, { key, json: {} });
  return { session, done };
}

/**
 * A complete refused with `status`/`code`/`reason`: the session reads `failed` with that
 * code, its pending asset is gone, no stored byte or temp file is left, and the tenant's
 * usage is back to nothing (suites give each such case a fresh tenant).
 */
export async function assertRefusedAndGone(t: TestIntake, key: string, session: any, done: ApiResponse, status: number, code: string, reason?: string): Promise<void> {
  assertError(done, status, code);
  if (reason) assert.equal(done.body.error!.details.reason, reason, JSON.stringify(done.body));
  const upload = await t.api('GET', `/v1/uploads/${session.upload_id}`, { key });
  assert.equal(upload.body.data.status, 'failed', JSON.stringify(upload.body));
  assert.equal(upload.body.data.error.code, code);
  assert.equal((await t.api('GET', `/v1/assets/${session.asset_id}`, { key })).status, 404);
  assert.deepEqual((await t.storedFiles()).filter((f) => f.includes(session.upload_id)), [], 'no stored bytes');
  assert.deepEqual(await t.tempFiles(), [], 'no temp files');
  const usage = await t.api('GET', '/v1/usage', { key });
  assert.deepEqual([usage.body.data.stored_bytes, usage.body.data.reserved_bytes], [0, 0], 'no bytes counted or reserved');
  // The same answer every time.
  assertError(await t.api('POST', `/v1/uploads/${session.upload_id}/complete`, { key, json: {} }), status, code);
}
