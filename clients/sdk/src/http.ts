/** Reading Intake's envelope (and a store's own answers) into data or typed errors. */
import { IntakeError, IntakeNetworkError, isRecord, type ErrorEnvelope } from './errors.js';

/** Calls fetch, turning "no answer" into an `IntakeNetworkError` (an abort stays the abort's reason). */
export async function send(fetchFn: typeof fetch, url: string | URL | Request, init?: RequestInit): Promise<Response> {
  try {
    return await fetchFn(url, init);
  } catch (err) {
    const signal = init?.signal ?? (url instanceof Request ? url.signal : undefined);
    if (signal?.aborted) throw signal.reason;
    if (err instanceof IntakeNetworkError) throw err;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new IntakeNetworkError(`No answer from ${describe(url)}: ${cause?.code ?? cause?.message ?? (err as Error).message}`, { cause: err });
  }
}

function describe(url: string | URL | Request): string {
  const href = typeof url === 'string' ? url : url instanceof URL ? url.href : url.url;
  try {
    const u = new URL(href);
    return u.origin + u.pathname; // never the query: signed URLs carry their signature there
  } catch {
    return 'the server';
  }
}

/** Seconds from a `Retry-After` header (seconds or an HTTP date). */
export function retryAfterOf(headers: Headers): number | null {
  const value = headers.get('retry-after');
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, (date - Date.now()) / 1000);
}

/** The error an answer carries: Intake's envelope, or a store's XML `<Code>`, or just the status. */
export function errorFromAnswer(response: Response, body: unknown): IntakeError {
  const extra = { requestId: response.headers.get('x-request-id'), retryAfter: retryAfterOf(response.headers) };
  if (isRecord(body) && isRecord(body.error) && typeof body.error.code === 'string') {
    return new IntakeError(response.status, body.error as unknown as ErrorEnvelope, extra);
  }
  const text = typeof body === 'string' ? body : '';
  const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
  const message = /<Message>([^<]+)<\/Message>/.exec(text)?.[1];
  return new IntakeError(
    response.status,
    { code: 'storage_error', message: message ?? `Storage answered ${response.status}${code ? ` (${code})` : ''}.`, details: code ? { storage_code: code } : {} },
    extra,
  );
}

/** Reads an answer's body as JSON when it is JSON, else as text. */
export async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return null;
  if (!(response.headers.get('content-type') ?? '').includes('json')) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `data` of a 2xx envelope, or the `IntakeError` of any other answer. */
export async function envelopeData<T>(response: Response): Promise<T> {
  const body = await readBody(response);
  if (!response.ok) throw errorFromAnswer(response, body);
  if (!isRecord(body) || !('data' in body)) throw new IntakeError(response.status, { code: 'invalid_response', message: 'The answer is not an Intake envelope.' });
  return body.data as T;
}
