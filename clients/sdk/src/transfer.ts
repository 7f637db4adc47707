/**
 * Sending bytes to a signed URL (the only calls without the backend: the URL's signature
 * is the credential). How the bytes go is a `PutTransport`, chosen for the progress it can
 * see: XMLHttpRequest in browsers (its upload events count what the network took),
 * node:http in `@intake/sdk/node` (it counts what the socket took), fetch elsewhere (it
 * counts what fetch pulled from a stream, or nothing until the answer for a Blob).
 */
import { errorFromAnswer, readBody, send } from './http.js';
import { IntakeNetworkError } from './errors.js';
import type { UploadSource } from './source.js';

export interface PutTarget {
  url: string;
  headers?: Record<string, string>;
}

export interface PutRequest {
  url: string;
  headers: Record<string, string>;
  /** A Blob, or a stream of exactly `size` bytes. */
  body: Blob | ReadableStream<Uint8Array>;
  size: number;
  signal: AbortSignal;
  /** Called as bytes leave, with the bytes of this request sent so far (growing). */
  onSent(bytes: number): void;
}

/** Sends one PUT; answers the response (any status), or rejects on no answer (the signal's reason when aborted). */
export type PutTransport = (request: PutRequest) => Promise<Response>;

/** PUTs bytes [start, end) of `source` to `target`; answers the stored object's ETag (quotes kept) or null. */
export async function putRange(transport: PutTransport, target: PutTarget, source: UploadSource, start: number, end: number, signal: AbortSignal, onSent: (bytes: number) => void = () => undefined): Promise<string | null> {
  const body = source.slice(start, end);
  const response = await transport({ url: target.url, headers: { ...target.headers }, body, size: end - start, signal, onSent });
  if (!response.ok) throw errorFromAnswer(response, await readBody(response));
  await response.arrayBuffer(); // drain: the connection goes back to the pool
  return response.headers.get('etag');
}

/**
 * Through fetch: a stream body goes with an exact `Content-Length` (S3 signs it) and
 * `duplex: 'half'`, counted as fetch pulls it; a Blob is counted when the answer arrives.
 */
export function fetchTransport(fetchFn: typeof fetch): PutTransport {
  return async ({ url, headers, body, size, signal, onSent }) => {
    const init: RequestInit & { duplex?: 'half' } = { method: 'PUT', headers, signal };
    if (body instanceof Blob) init.body = body;
    else {
      let sent = 0;
      init.body = body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          controller.enqueue(chunk);
          onSent((sent += chunk.byteLength));
        },
      }));
      headers['content-length'] = String(size);
      init.duplex = 'half';
    }
    const response = await send(fetchFn, url, init);
    if (body instanceof Blob && response.ok) onSent(size);
    return response;
  };
}

interface Xhr {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  getAllResponseHeaders(): string;
  send(body: Blob): void;
  abort(): void;
  status: number;
  responseText: string;
  upload: { onprogress: ((e: { loaded: number }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

/**
 * Through XMLHttpRequest, whose upload `progress` events report the bytes the network took
 * (fetch has no upload progress in browsers). Streams (not a browser's File) go by fetch.
 */
export function xhrTransport(XhrClass: new () => Xhr, fallback: PutTransport): PutTransport {
  return (request) => {
    const { url, headers, body, signal, onSent } = request;
    if (!(body instanceof Blob)) return fallback(request);
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<Response>((resolve, reject) => {
      const xhr = new XhrClass();
      const onAbort = () => xhr.abort();
      const settle = () => signal.removeEventListener('abort', onAbort);
      xhr.open('PUT', url);
      for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
      xhr.upload.onprogress = (e) => onSent(e.loaded);
      xhr.onload = () => {
        settle();
        if (xhr.status >= 200 && xhr.status < 300) onSent(body.size);
        resolve(new Response(NULL_BODY.has(xhr.status) ? null : xhr.responseText, { status: xhr.status, headers: parseHeaders(xhr.getAllResponseHeaders()) }));
      };
      xhr.onerror = () => {
        settle();
        reject(signal.aborted ? signal.reason : new IntakeNetworkError(`No answer from ${new URL(url).origin}.`));
      };
      xhr.onabort = () => {
        settle();
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      xhr.send(body);
    });
  };
}

/** Statuses a Response may not carry a body with. */
export const NULL_BODY = new Set([101, 204, 205, 304]);

function parseHeaders(all: string): Headers {
  const headers = new Headers();
  for (const line of all.trim().split(/[\r\n]+/)) {
    const at = line.indexOf(':');
    if (at > 0) headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return headers;
}

/** XMLHttpRequest where there is one (browsers), fetch elsewhere; `fetch` given: always fetch. */
export function defaultTransport(fetchFn?: typeof fetch): PutTransport {
  const viaFetch = fetchTransport(fetchFn ?? globalThis.fetch.bind(globalThis));
  const XhrClass = (globalThis as { XMLHttpRequest?: new () => Xhr }).XMLHttpRequest;
  return !fetchFn && XhrClass ? xhrTransport(XhrClass, viaFetch) : viaFetch;
}
