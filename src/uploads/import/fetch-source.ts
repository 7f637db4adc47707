/**
 * Fetching an import's source: GET over http(s) with the webhooks' address guard on every
 * connection (redirects included, followed by hand so each hop is checked), a deadline on
 * the whole transfer, and a size cap checked on Content-Length before a byte and again
 * while streaming. Answers the response body as a stream; the caller stores it.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Readable } from 'node:stream';
import { IntakeError, invalid, withReason } from '../../lib/errors.js';
import { guardedLookup, isPrivateAddress, PrivateAddressError, resolveAll } from '../../webhooks/url-guard.js';

const MAX_REDIRECTS = 5;

export interface FetchOptions {
  allowPrivate: boolean;
  maxSize: number;
  /** Aborts the fetch (and the body being read) when the deadline passes. */
  signal: AbortSignal;
}

export interface Source {
  body: Readable;
  /** Content-Length, when the server sent one. */
  length: number | null;
  /** The response's Content-Type, essence only. */
  contentType: string | null;
}

/** A source URL as accepted: http or https, no credentials, at most 2048 characters. */
export function checkSourceUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('source_url is not a URL.', 'source_url');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('source_url must be http or https.', 'source_url');
  if (url.username || url.password) throw invalid('source_url must not carry credentials.', 'source_url');
  if (text.length > 2048) throw invalid('source_url may have at most 2048 characters.', 'source_url');
  return url;
}

/** Refuses, when the session is created, a host that resolves to a special-purpose address (checked again on every connection). */
export async function refusePrivateHost(url: URL, allowPrivate: boolean): Promise<void> {
  if (allowPrivate) return;
  let addresses: string[];
  try {
    addresses = await resolveAll(url.hostname);
  } catch {
    throw withReason('unresolvable', `The host of source_url (${url.hostname}) does not resolve.`, { field: 'source_url' });
  }
  if (addresses.some(isPrivateAddress)) {
    throw withReason('private_address', 'source_url resolves to a private, loopback or otherwise special-purpose address.', { field: 'source_url' });
  }
}

function failed(message: string, cause: string, extra: Record<string, unknown> = {}): IntakeError {
  return new IntakeError('invalid_request', message, { reason: 'source_failed', field: 'source_url', cause, ...extra });
}

/** A failure of the fetch as the upload records it. */
export function sourceError(err: unknown, timeoutMs: number): IntakeError {
  if (err instanceof IntakeError) return err;
  if (err instanceof PrivateAddressError) return withReason('private_address', 'source_url (or a redirect) reached a private, loopback or otherwise special-purpose address.', { field: 'source_url' });
  if ((err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError') return failed(`The source did not arrive within ${timeoutMs / 1000} s.`, 'timeout');
  const code = (err as { code?: string }).code;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return withReason('unresolvable', 'The host of source_url does not resolve.', { field: 'source_url' });
  return failed(`The source could not be fetched (${code ?? (err as Error).message}).`, 'network');
}

export async function fetchSource(url: URL, opts: FetchOptions): Promise<Source> {
  let current = url;
  for (let hop = 0; ; hop++) {
    const res = await get(current, opts);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      if (hop >= MAX_REDIRECTS) throw failed(`The source redirected more than ${MAX_REDIRECTS} times.`, 'redirects');
      current = checkSourceUrl(new URL(res.headers.location, current).toString());
      continue;
    }
    if (status !== 200) {
      res.resume();
      throw failed(`The source answered HTTP ${status}.`, 'http_status', { http_status: status });
    }
    const length = res.headers['content-length'] === undefined ? null : Number(res.headers['content-length']);
    if (length !== null && length > opts.maxSize) {
      res.destroy();
      throw new IntakeError('file_too_large', `The source is ${length} bytes; at most ${opts.maxSize} may be imported.`, { max_size: opts.maxSize, field: 'source_url' });
    }
    const type = res.headers['content-type']?.split(';')[0]?.trim().toLowerCase() || null;
    return { body: res, length, contentType: type };
  }
}

function get(url: URL, opts: FetchOptions): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    // An IP literal skips the DNS lookup, so it is checked here.
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (!opts.allowPrivate && net.isIP(literal) && isPrivateAddress(literal)) return reject(new PrivateAddressError(literal));
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(url, { method: 'GET', headers: { 'user-agent': 'Intake-Import/1', accept: '*/*' }, lookup: guardedLookup(opts.allowPrivate), signal: opts.signal }, resolve);
    req.once('error', reject);
    req.end();
  });
}
