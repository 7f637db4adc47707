/**
 * Clients that fetch() cannot be: one that trickles its body over a raw socket, one that
 * stops reading a download, and a PUT held open mid-body for as long as the test likes.
 */
import http from 'node:http';
import net from 'node:net';

export interface Trickler {
  socket: net.Socket;
  /** Resolves when the server closed (or reset) the connection. */
  closed: Promise<void>;
  /** Bytes of body sent so far. */
  sent(): number;
  stop(): void;
}

/**
 * Sends `head` (request line and headers, announcing a body of `length` bytes), then one
 * byte of `fill` every `everyMs` until the server hangs up or `stop()` is called.
 */
export function trickle(url: string, method: string, headers: Record<string, string>, length: number, everyMs: number, prefix: Uint8Array = new Uint8Array(0)): Trickler {
  const u = new URL(url);
  const socket = net.connect(Number(u.port), u.hostname);
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  const closed = new Promise<void>((resolve) => {
    socket.on('close', () => {
      clearInterval(timer);
      resolve();
    });
  });
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
  socket.on('connect', () => {
    const lines = [`${method} ${u.pathname}${u.search} HTTP/1.1`, `Host: ${u.host}`, `Content-Length: ${length}`];
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (prefix.length) {
      socket.write(prefix);
      sent += prefix.length;
    }
    timer = setInterval(() => {
      if (socket.destroyed || sent >= length) return clearInterval(timer);
      socket.write('x');
      sent++;
    }, everyMs);
  });
  return {
    socket,
    closed,
    sent: () => sent,
    stop: () => {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

export interface HeldPut {
  /** Sends more of the body. */
  write(chunk: Buffer): void;
  /** Sends the rest and resolves with the answer. */
  finish(rest: Buffer): Promise<{ status: number; body: any; headers: http.IncomingHttpHeaders }>;
  /** The answer, whenever it comes (also before the body is complete). */
  answer: Promise<{ status: number; body: any; headers: http.IncomingHttpHeaders }>;
  abort(): void;
}

/** A PUT announcing `length` bytes, of which only what the test writes is sent. */
export function heldPut(url: string, contentType: string, length: number): HeldPut {
  const req = http.request(url, { method: 'PUT', headers: { 'content-type': contentType, 'content-length': String(length) } });
  const answer = new Promise<{ status: number; body: any; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : null });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  answer.catch(() => undefined);
  req.flushHeaders();
  return {
    write: (chunk) => void req.write(chunk),
    finish: (rest) => {
      req.end(rest);
      return answer;
    },
    answer,
    abort: () => req.destroy(),
  };
}

/** Opens a GET and never reads the body: the server's send buffer fills and stays full. */
export function stalledGet(url: string): { socket: net.Socket; closed: Promise<void>; received(): number } {
  const u = new URL(url);
  const socket = net.connect(Number(u.port), u.hostname);
  let received = 0;
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => undefined);
  socket.on('connect', () => {
    socket.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\n\r\n`);
    // Read a little, then stop: the kernel buffers fill and the server can send no more.
    socket.once('data', (c: Buffer) => {
      received += c.length;
      socket.pause();
    });
  });
  return { socket, closed, received: () => received };
}
