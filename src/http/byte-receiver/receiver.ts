/**
 * The byte receiver: a small child process of `intake serve` (local-disk storage) that
 * takes the sockets of signed-URL PUTs from the API process and streams their bodies to
 * disk, SHA-256 on the way. It loads Node's own modules and the few of Intake's the bytes
 * need (hashing, the local driver's stream-to-file), so its heap stays a few megabytes
 * and V8 leaves the byte stream alone: in the API process, whose heap holds
 * Fastify, the schemas and the database drivers, the same stream ran dozens of full
 * collections per GiB (docs/BENCHMARKS.md, "The byte path").
 *
 * It decides nothing and parses no HTTP: the API process has read the request head (only
 * plain `Content-Length` bodies come here) and runs the route; when the route wants the
 * bytes it asks for a pump into a temp file it names, and it sends the answer to write.
 * The body is read from the raw socket as an ordinary stream, so backpressure is the
 * socket's own. Every connection is closed after its answer. When the API process goes
 * away, so does the receiver.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { TooLargeError } from '../../lib/hashing.js';
import { bodyToFile } from '../../storage/local-file.js';
import { TransferGuard } from '../plugins/transfer-guard.js';
import type { FromReceiver, PumpFailure, ToReceiver } from './protocol.js';

export interface ReceiverSettings {
  minBytesPerSecond: number;
  windowMs: number;
  /** A connection silent this long is closed (the API server's connection timeout). */
  idleTimeoutMs: number;
}

/** After an answer sent before the body was read, how long the rest may still arrive (and be dropped) before the socket is cut. */
const DRAIN_MS = 5_000;
/** Messages for a connection whose handle has not arrived yet (handles queue behind acknowledgements, messages do not) wait this long. */
const EARLY_MS = 60_000;

/**
 * Every socket read is a fresh 64 KiB buffer; V8 frees them only when a collection finds
 * their small wrappers dead, and with a heap this small that waits until about 64 MB of
 * them have piled up. A minor collection (of a young generation of a few objects, well
 * under a millisecond) every few MiB received keeps the receiver at ~60 MB instead of
 * ~90 MB for one stream, ~125 MB for eight (docs/BENCHMARKS.md). Needs --expose-gc (front.ts).
 */
const COLLECT_EVERY = 4 * 1024 * 1024;
let sinceCollect = 0;
const collect = (globalThis as { gc?: (options?: { type: 'minor' | 'major' }) => void }).gc;

function received(bytes: number): void {
  sinceCollect += bytes;
  if (sinceCollect < COLLECT_EVERY) return;
  sinceCollect = 0;
  collect?.({ type: 'minor' });
}

function send(message: FromReceiver): void {
  process.send?.(message);
}

/** The API process maps the failure exactly as it maps its own stream's (storage/local-file.ts). */
function failureOf(err: unknown): { kind: PumpFailure; code?: string; message: string } {
  const code = (err as { code?: string }).code;
  const message = (err as Error).message ?? String(err);
  return { kind: err instanceof TooLargeError ? 'too_large' : 'failed', code, message };
}

function aborted(): Error {
  return Object.assign(new Error('the client closed the connection before the whole body arrived'), { code: 'ECONNRESET' });
}

/**
 * The request body: the bytes that came with the head, then exactly the rest of
 * Content-Length from the socket. Anything after it on the socket is not ours and is never
 * read (the connection closes after the answer).
 */
class SocketBody extends Readable {
  private left: number;
  private ended = false;

  constructor(
    private readonly socket: Socket,
    prefix: Buffer,
    length: number,
  ) {
    super({ highWaterMark: 1024 * 1024 });
    const first = prefix.subarray(0, length);
    this.left = length - first.length;
    if (first.length) this.push(first);
    if (this.left === 0) this.finish();
    else {
      socket.on('data', this.onData);
      socket.on('end', this.onGone);
      socket.on('close', this.onGone);
    }
  }

  /** All of the body has been read from the socket. */
  get complete(): boolean {
    return this.ended;
  }

  private readonly onData = (chunk: Buffer) => {
    received(chunk.length);
    const mine = chunk.length > this.left ? chunk.subarray(0, this.left) : chunk;
    this.left -= mine.length;
    const more = this.push(mine);
    if (this.left === 0) this.finish();
    else if (!more) this.socket.pause();
  };

  private readonly onGone = () => {
    if (!this.ended) this.destroy(aborted());
  };

  private finish(): void {
    this.ended = true;
    this.socket.pause();
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onGone);
    this.socket.off('close', this.onGone);
    this.push(null);
  }

  override _read(): void {
    if (!this.ended) this.socket.resume();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onGone);
    this.socket.off('close', this.onGone);
    cb(err);
  }
}

interface Held {
  socket: Socket;
  body: SocketBody;
  pumping: boolean;
}

export function runReceiver(settings: ReceiverSettings): void {
  const guard = new TransferGuard(settings.minBytesPerSecond, settings.windowMs);
  const held = new Map<number, Held>();
  const early = new Map<number, ToReceiver[]>();
  let stopping = false;

  const exitIfDone = () => {
    if (stopping && held.size === 0) process.exit(0);
  };

  const pump = async (h: Held, id: number, file: string, maxSize: number): Promise<void> => {
    h.pumping = true;
    try {
      // The local driver's own stream-to-file (storage/local-file.ts): same file mode, buffer, hash and size cap.
      const { size, sha256 } = await bodyToFile(h.body, file, maxSize);
      send({ t: 'pumped', id, size, sha256 });
    } catch (err) {
      send({ t: 'pump-failed', id, ...failureOf(err) });
    }
  };

  const respond = (h: Held, id: number, m: Extract<ToReceiver, { t: 'respond' }>): void => {
    held.delete(id);
    const { socket } = h;
    if (socket.destroyed) return exitIfDone();
    const lines = [`HTTP/1.1 ${m.status} ${STATUS_CODES[m.status] ?? ''}`, `date: ${new Date().toUTCString()}`, 'connection: close'];
    for (const [name, value] of Object.entries(m.headers)) for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
    const body = Buffer.from(m.body);
    if (!('content-length' in m.headers)) lines.push(`content-length: ${body.length}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    socket.end(body);
    if (!h.body.complete) {
      // Answered before the body was read (a refusal): drop what is still coming for a
      // moment, so the client sees the answer rather than a reset, then cut it.
      h.body.destroy();
      socket.on('data', () => undefined);
      socket.resume();
      setTimeout(() => socket.destroy(), DRAIN_MS).unref();
    }
    socket.once('close', exitIfDone);
  };

  const handle = (m: ToReceiver): void => {
    if (m.t === 'stop' || m.t === 'connection') return;
    const h = held.get(m.id);
    if (!h) {
      // Its connection is still queued behind another handle's acknowledgement.
      const list = early.get(m.id) ?? [];
      list.push(m);
      early.set(m.id, list);
      setTimeout(() => early.delete(m.id), EARLY_MS).unref();
      return;
    }
    if (m.t === 'pump') {
      if (h.pumping) return send({ t: 'pump-failed', id: m.id, kind: 'failed', message: 'the body was already read' });
      void pump(h, m.id, m.file, m.maxSize);
    } else respond(h, m.id, m);
  };

  process.on('message', (m: ToReceiver, socket?: Socket) => {
    switch (m.t) {
      case 'connection': {
        if (!socket) return;
        send({ t: 'taken', id: m.id });
        if (stopping) {
          socket.destroy();
          return;
        }
        // A client may close its side once the body is sent (as HTTP servers allow): the answer still goes out.
        socket.allowHalfOpen = true;
        socket.setTimeout(settings.idleTimeoutMs, () => socket.destroy());
        socket.on('error', () => socket.destroy());
        const body = new SocketBody(socket, Buffer.from(m.prefix, 'base64'), m.contentLength);
        body.on('error', () => undefined); // A pump reports it; unread, it only ends the request.
        const h: Held = { socket, body, pumping: false };
        held.set(m.id, h);
        guard.watchSocket(socket, () => body.complete || socket.destroyed);
        socket.once('close', () => {
          if (held.get(m.id) === h) held.delete(m.id);
          exitIfDone();
        });
        if (m.expectContinue) socket.write('HTTP/1.1 100 Continue\r\n\r\n');
        for (const queued of early.get(m.id) ?? []) handle(queued);
        early.delete(m.id);
        return;
      }
      case 'stop':
        stopping = true;
        exitIfDone();
        return;
      default:
        handle(m);
    }
  });
  // The API process is gone (or closed the channel): nothing here can be committed any more.
  process.on('disconnect', () => process.exit(0));
  send({ t: 'ready' });
}

const settingsArg = process.argv[2];
if (settingsArg && process.send) runReceiver(JSON.parse(settingsArg) as ReceiverSettings);
