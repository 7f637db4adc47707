/**
 * Minimum transfer rate for bodies and downloads. The socket idle timeout only catches
 * silence: a client sending (or reading) one byte every 25 s would hold a socket, a temp
 * file and an upload slot forever. Every watched transfer must move at least
 * `minBytesPerSecond × window` bytes in each window, or its socket is destroyed (which
 * aborts the body, so its temp file goes). One timer serves every watched transfer, and
 * it reads the socket's byte counters, never the stream, so nothing is switched into
 * flowing mode or delayed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';

interface Watch {
  socket: Socket;
  bytes: () => number;
  done: () => boolean;
  base: number;
  since: number;
}

export class TransferGuard {
  private readonly watched = new Set<Watch>();
  private timer: NodeJS.Timeout | undefined;
  /** Transfers cut off for being too slow, since start. */
  cutOff = 0;

  constructor(
    private readonly minBytesPerSecond: number,
    private readonly windowMs: number,
  ) {}

  /**
   * Watches a request body until it has fully arrived. An injected request (tests) has
   * no socket of its own and nothing to watch here.
   */
  watchBody(req: IncomingMessage): void {
    if (req.complete || !(req.socket instanceof Socket)) return;
    this.watch(req.socket, () => req.socket.bytesRead, () => req.complete || req.destroyed);
  }

  /** Watches a response until it is finished or its socket is gone. */
  watchResponse(res: ServerResponse): void {
    const socket = res.socket;
    if (!socket) return;
    this.watch(socket, () => socket.bytesWritten, () => res.writableFinished || res.destroyed);
  }

  /** Transfers being watched now. */
  get size(): number {
    return this.watched.size;
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.watched.clear();
  }

  private watch(socket: Socket, bytes: () => number, done: () => boolean): void {
    this.watched.add({ socket, bytes, done, base: bytes(), since: Date.now() });
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), Math.max(25, Math.min(1000, Math.floor(this.windowMs / 4))));
      this.timer.unref();
    }
  }

  private tick(): void {
    const now = Date.now();
    const need = (this.minBytesPerSecond * this.windowMs) / 1000;
    for (const w of this.watched) {
      if (w.done() || w.socket.destroyed) {
        this.watched.delete(w);
        continue;
      }
      if (now - w.since < this.windowMs) continue;
      const moved = w.bytes() - w.base;
      if (moved < need) {
        this.watched.delete(w);
        this.cutOff++;
        w.socket.destroy();
        continue;
      }
      w.base += moved;
      w.since = now;
    }
    if (this.watched.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
