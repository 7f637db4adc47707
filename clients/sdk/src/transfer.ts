/**
 * Sending bytes to a signed URL (the only calls without the backend: the URL's signature
 * is the credential). A stream body goes with an exact `Content-Length` (S3 signs it) and
 * `duplex: 'half'` (what fetch needs to send a stream).
 */
import { errorFromAnswer, readBody, send } from './http.js';
import type { UploadSource } from './source.js';

export interface PutTarget {
  url: string;
  headers?: Record<string, string>;
}

/** PUTs bytes [start, end) of `source` to `target`; answers the stored object's ETag (quotes kept) or null. */
export async function putRange(fetchFn: typeof fetch, target: PutTarget, source: UploadSource, start: number, end: number, signal: AbortSignal): Promise<string | null> {
  const body = source.slice(start, end);
  const headers: Record<string, string> = { ...target.headers };
  const init: RequestInit & { duplex?: 'half' } = { method: 'PUT', headers, body, signal };
  if (!(body instanceof Blob)) {
    headers['content-length'] = String(end - start);
    init.duplex = 'half';
  }
  const response = await send(fetchFn, target.url, init);
  if (!response.ok) throw errorFromAnswer(response, await readBody(response));
  await response.arrayBuffer(); // drain: the connection goes back to the pool
  return response.headers.get('etag');
}
