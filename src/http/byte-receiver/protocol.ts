/**
 * Messages between the API process and its byte receiver (see front.ts and receiver.ts).
 * The receiver owns the sockets of signed-URL PUTs and streams their bodies to disk; the
 * API process parsed the request head, decides everything else (signature, session,
 * admission, the answer) and never holds a byte of the body past the first read. Only
 * small JSON crosses the IPC channel.
 */

/** API process → receiver. `connection` comes with the socket handle. */
export type ToReceiver =
  /**
   * A PUT to a signed URL whose head the API process has read: `prefix` (base64) holds the
   * body bytes that came with the head, `contentLength` the whole body's length.
   */
  | { t: 'connection'; id: number; prefix: string; contentLength: number; expectContinue: boolean }
  /** Stream request `id`'s body into `file` (created exclusively), at most `maxSize` bytes, SHA-256 on the way. */
  | { t: 'pump'; id: number; file: string; maxSize: number }
  /** The answer for request `id`; the receiver closes the connection after it. */
  | { t: 'respond'; id: number; status: number; headers: Record<string, string | string[]>; body: string }
  /** Stop taking connections; exit once the ones held have been answered. */
  | { t: 'stop' };

/** Why a pump failed: over `maxSize`, or an error with its `code` (the disk's, or the client's stream). */
export type PumpFailure = 'too_large' | 'failed';

/** Receiver → API process. */
export type FromReceiver =
  | { t: 'ready' }
  /** The socket of connection `id` arrived: the next one may be sent. */
  | { t: 'taken'; id: number }
  | { t: 'pumped'; id: number; size: number; sha256: string }
  | { t: 'pump-failed'; id: number; kind: PumpFailure; code?: string; message: string };
