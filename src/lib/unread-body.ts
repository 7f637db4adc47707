/**
 * A request refused before its body was read. Reading all of a large body only to discard
 * it wastes the bandwidth; closing the socket at once loses the answer: data the client
 * is still sending reaches a closed socket, the kernel answers with a reset, and a client
 * busy writing sees EPIPE or ECONNRESET instead of the 4xx (most often on a busy machine).
 * So, like nginx's lingering close, once the answer is sent the rest of the body is read
 * and discarded for a short while, then the connection closes; a client that stops
 * sending when it reads the answer (browsers, curl, the SDK) gets it every time.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';

/** Bodies up to this size are simply read to their end (the connection stays usable). */
export const DRAIN_WHOLE_BYTES = 1024 * 1024;
/** How long, and how much, is read and discarded after the answer before the connection closes. */
const LINGER_MS = 2000;
const LINGER_BYTES = 64 * 1024 * 1024;

/** True when the body is unread and too large to drain: call `lingerThenClose` after answering. */
export function tooLargeToDrain(req: IncomingMessage, status: number): boolean {
  const unread = !req.readableEnded && !req.complete;
  const length = Number(req.headers['content-length'] ?? Number.NaN);
  return unread && (status === 413 || !(length <= DRAIN_WHOLE_BYTES));
}

/**
 * Once the answer is sent: ends our side of the connection (the client reads the answer,
 * then our FIN), discards what still arrives for up to LINGER_MS or LINGER_BYTES, then
 * closes. Not `Connection: close`: Node would close the socket the moment the answer is
 * written, before the client has stopped sending.
 */
export function lingerThenClose(req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket as IncomingMessage['socket'] | null;
  // Gone already, or not a network connection (a request injected in-process).
  if (!(socket instanceof Socket)) return;
  res.once('finish', () => {
    if (socket.destroyed) return;
    let discarded = 0;
    const close = () => socket.destroy();
    const timer = setTimeout(close, LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    socket.end();
    req.unpipe();
    req.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > LINGER_BYTES) close();
    });
    req.once('end', close);
    req.resume();
  });
}
