/**
 * The Node transport for signed URLs: node:http(s), counting the bytes the socket has taken
 * (each chunk counts when its write completes), not what was handed to a client library —
 * on a slow link fetch pulls megabytes ahead of the network, and a bar fed by that runs ahead.
 */
import http from 'node:http';
import https from 'node:https';
import { IntakeNetworkError } from './errors.js';
import { NULL_BODY, type PutTransport } from './transfer.js';

export function nodeHttpTransport(): PutTransport {
  return ({ url, headers, body, size, signal, onSent }) => {
    if (signal.aborted) return Promise.reject(signal.reason);
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    return new Promise<Response>((resolve, reject) => {
      let failed = false;
      const fail = (err: unknown) => {
        if (failed) return;
        failed = true;
        request.destroy();
        reject(signal.aborted ? signal.reason : err instanceof IntakeNetworkError ? err : new IntakeNetworkError(`No answer from ${target.origin}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err }));
      };
      const request = client.request(target, { method: 'PUT', headers: { ...headers, 'content-length': String(size) }, signal }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('error', fail);
        answer.on('end', () => {
          if (failed) return;
          const status = answer.statusCode ?? 502;
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
          resolve(new Response(NULL_BODY.has(status) ? null : Buffer.concat(chunks), { status, headers: responseHeaders }));
        });
      });
      request.on('error', fail);
      writeBody(request, body, onSent).catch(fail);
    });
  };
}

/** Writes the body with backpressure; `onSent` grows as the socket takes each chunk. */
async function writeBody(request: http.ClientRequest, body: Blob | ReadableStream<Uint8Array>, onSent: (bytes: number) => void): Promise<void> {
  let sent = 0;
  const stream = body instanceof Blob ? (body.stream() as ReadableStream<Uint8Array>) : body;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (request.destroyed) return;
      const more = request.write(value, (err) => {
        if (!err) onSent((sent += value.byteLength));
      });
      if (!more) await new Promise<void>((resolve) => {
        const go = () => (request.off('drain', go), request.off('close', go), resolve());
        request.on('drain', go).on('close', go);
      });
    }
    request.end();
  } finally {
    reader.releaseLock();
    if (request.destroyed) await stream.cancel().catch(() => undefined);
  }
}
