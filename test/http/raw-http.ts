/**
 * Requests fetch() cannot make: a body that stops before its multipart closing boundary,
 * or a Content-Length the client never finishes sending (to prove the server answered
 * without waiting for the body).
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { ApiResponse } from '../helpers/intake.js';

export interface RawOptions {
  method?: string;
  headers?: Record<string, string>;
  /** The bytes actually sent. */
  body: Buffer;
  /**
   * The Content-Length announced (default: body.length). When larger, the request is
   * left open after `body`: only an answer that needs none of the rest can arrive.
   */
  contentLength?: number;
  /** Give up (and fail) when no answer came in this long. */
  timeoutMs?: number;
}

/** Sends the request and parses the answer like t.api() does. */
export function rawRequest(url: string, opts: RawOptions): Promise<ApiResponse> {
  const length = opts.contentLength ?? opts.body.length;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(url, {
      method: opts.method ?? 'POST',
      headers: { ...opts.headers, 'content-length': String(length) },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms: the server waited for ${length - opts.body.length} more body bytes`));
    }, timeoutMs);
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      res.on('end', () => {
        clearTimeout(timer);
        // Whatever was left unsent is abandoned now.
        if (length > opts.body.length) req.destroy();
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
        const text = Buffer.concat(chunks).toString('utf8');
        let body: ApiResponse['body'];
        try {
          body = text ? JSON.parse(text) : null;
        } catch {
          return reject(new Error(`${res.statusCode} answer is not JSON: ${text.slice(0, 200)}`));
        }
        resolve({ status: res.statusCode ?? 0, headers, body });
      });
    });
    req.on('error', (err) => {
      // A server that answered and closed may reset the unsent rest: that is not a failure.
      if (answered) return;
      clearTimeout(timer);
      reject(err);
    });
    req.write(opts.body);
    if (length === opts.body.length) req.end();
  });
}

export type Part = { name: string; value: string } | { name: string; filename: string; type: string; data: Buffer };

/** A multipart/form-data body; `closed: false` leaves off the closing boundary (and the file's CRLF). */
export function multipart(parts: Part[], opts: { closed?: boolean } = {}): { body: Buffer; contentType: string } {
  const boundary = `----intake-test-${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  parts.forEach((p, i) => {
    const last = i === parts.length - 1;
    if ('value' in p) {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"\r\n\r\n${p.value}\r\n`));
    } else {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: ${p.type}\r\n\r\n`));
      chunks.push(p.data);
      if (!last || opts.closed !== false) chunks.push(Buffer.from('\r\n'));
    }
  });
  if (opts.closed !== false) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}
