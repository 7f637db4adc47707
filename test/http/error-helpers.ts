/**
 * Shared by the error-path suites (*-errors.test.ts, tenancy.test.ts): asserting the
 * contract's error envelope, and proving a refused request left nothing behind.
 */
import assert from 'node:assert/strict';
import type { ApiResponse, TestIntake } from '../helpers/intake.js';

/** Parses a raw fetch() answer (signed URLs, unauthenticated calls) like t.api() does. */
export async function parsed(res: Response): Promise<ApiResponse> {
  const text = await res.text();
  let body: ApiResponse['body'];
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    assert.fail(`${res.status} answer is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: res.status, headers: res.headers, body };
}

/**
 * The contract's failure: `status`, `{data: null, error: {code, message, details}, meta: {request_id}}`,
 * X-Request-Id equal to meta.request_id, and `details.field` when one is named.
 */
export function assertError(res: ApiResponse, status: number, code: string, field?: string): ApiResponse {
  const ctx = `${res.status} ${JSON.stringify(res.body)}`;
  assert.notEqual(res.status, 500, `a 500 is always a bug: ${ctx}`);
  assert.equal(res.status, status, ctx);
  assert.ok(res.body && typeof res.body === 'object', ctx);
  assert.equal(res.body.data, null, ctx);
  assert.ok(res.body.error, ctx);
  assert.equal(res.body.error.code, code, ctx);
  assert.equal(typeof res.body.error.message, 'string', ctx);
  assert.ok(res.body.error.message.length > 0, ctx);
  assert.ok(res.body.error.details && typeof res.body.error.details === 'object' && !Array.isArray(res.body.error.details), ctx);
  assert.match(String(res.body.meta?.request_id), /^req_[a-z0-9]{16,}$/, ctx);
  assert.equal(res.headers.get('x-request-id'), res.body.meta.request_id, ctx);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, ctx);
  if (field !== undefined) assert.equal(res.body.error.details.field, field, ctx);
  return res;
}

export interface Snapshot {
  stored: string[];
  temp: string[];
  uploads: string[];
  assets: string[];
  usage: { stored_bytes: number; reserved_bytes: number };
}

/** Everything a refused request must not change: bytes, temp files, sessions, assets, usage. */
export async function snapshot(t: TestIntake, key: string): Promise<Snapshot> {
  // storedFiles() first: it waits for background jobs, which change statuses too.
  const stored = await t.storedFiles();
  const [temp, uploads, assets, usage] = await Promise.all([
    t.tempFiles(),
    t.api('GET', '/v1/uploads?limit=50', { key }),
    t.api('GET', '/v1/assets?limit=50', { key }),
    t.api('GET', '/v1/usage', { key }),
  ]);
  assert.equal(uploads.status, 200, JSON.stringify(uploads.body));
  assert.equal(assets.status, 200, JSON.stringify(assets.body));
  assert.equal(usage.status, 200, JSON.stringify(usage.body));
  return {
    // Renditions (under med_…) are written by jobs in the background, maybe for an earlier
    // test's asset; what a refusal must not touch is the uploaded bytes.
    stored: stored.filter((f) => !f.split('/')[1]?.startsWith('med_')).sort(),
    temp: temp.sort(),
    uploads: uploads.body.data.map((u: any) => `${u.id}:${u.status}`),
    assets: assets.body.data.map((a: any) => `${a.id}:${a.status}:${a.alias}`),
    usage: { stored_bytes: usage.body.data.stored_bytes, reserved_bytes: usage.body.data.reserved_bytes },
  };
}

export async function assertUnchanged(t: TestIntake, key: string, before: Snapshot, what = 'state'): Promise<void> {
  assert.deepEqual(await snapshot(t, key), before, `${what} changed`);
}

/** Runs a request that must be refused with `status`/`code` and must leave no trace. */
export async function refused(
  t: TestIntake,
  key: string,
  call: () => Promise<ApiResponse>,
  status: number,
  code: string,
  field?: string,
): Promise<ApiResponse> {
  const before = await snapshot(t, key);
  const res = assertError(await call(), status, code, field);
  await assertUnchanged(t, key, before, `after ${status} ${code}`);
  return res;
}

/** POST /v1/uploads (JSON) that must succeed; returns the session. */
export async function createSession(t: TestIntake, key: string, json: Record<string, unknown>): Promise<any> {
  const res = await t.api('POST', '/v1/uploads', { key, json });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.data;
}

/** PUT bytes to a signed URL. */
export function put(url: string, body: Buffer | Uint8Array, contentType: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'PUT', headers: { 'content-type': contentType, ...headers }, body });
}

/** A stream body the test feeds by hand (enqueue/close), for chunked and in-flight requests. */
export function manualStream(): { body: ReadableStream<Uint8Array>; push(b: Uint8Array): void; end(): void } {
  let ctl!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (ctl = c) });
  return { body, push: (b) => ctl.enqueue(new Uint8Array(b)), end: () => ctl.close() };
}
