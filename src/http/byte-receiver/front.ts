/**
 * The listening socket of `intake serve` on local-disk storage. It reads the first bytes
 * of each connection: a PUT to a signed URL (`PUT /files/…`) goes, socket and all, to the
 * byte receiver (receiver.ts), a small child process that streams the body to disk; every
 * other connection goes to the API's own HTTP server, with nothing in between.
 *
 * The receiver decides nothing: each request it gets comes back here as an ordinary
 * request to the API routes (`inject`, marked with a one-time token), so signature,
 * session, admission, rate limits, logging and error envelopes are the ones every other
 * request gets. When the route wants the bytes, its storage driver asks the receiver to
 * pump them into the temp file it names (RemoteBody); the route's answer is sent back for
 * the receiver to write. If the receiver is down, uploads are received in this process,
 * as without it, until it is back.
 */
import { fork, type ChildProcess } from 'node:child_process';
import net, { type AddressInfo, type Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { TooLargeError } from '../../lib/hashing.js';
import { newId } from '../../lib/ids.js';
import { failure } from '../envelope.js';
import type { RemoteBody } from '../../storage/object-storage.js';
import type { FromReceiver, ToReceiver } from './protocol.js';
import type { ReceiverSettings } from './receiver.js';
import { RELAY_HEADER, type RelayedBodies } from './relayed.js';

/** Headers of the API's answer that describe its own connection, not the receiver's. */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding']);
const RESPAWN_DELAY_MS = 1000;
const STOP_GRACE_MS = 20_000;
/** A request head longer than this is not a signed-URL PUT's: the API server reads it (and refuses it as it would). */
const MAX_HEAD = 16 * 1024;
const PREFIX = 'PUT /files/';
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// eslint-disable-next-line no-control-regex
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;

interface Relayed {
  pump?: { resolve: (r: { size: number; sha256: string }) => void; reject: (err: Error) => void; maxSize: number };
  /** The handle never reached the receiver: nothing can be pumped or answered. */
  lost?: boolean;
}

export interface FrontOptions {
  app: FastifyInstance;
  relayed: RelayedBodies;
  settings: ReceiverSettings;
  log: FastifyBaseLogger;
}

/** A request head the receiver can take: a plain PUT to a signed URL with one Content-Length. */
export interface RelayableHead {
  method: 'PUT';
  url: string;
  headers: Record<string, string>;
  contentLength: number;
  /** Bytes of the body that arrived with the head. */
  prefix: Buffer;
}

/**
 * Reads the first bytes of a connection: 'more' while they could still be a relayable
 * head, the head once it is complete, or 'api' for anything else (any other request, or
 * anything unusual about this one: the API server's own parser then reads it from the
 * start and answers or refuses it as always).
 */
export function readHead(buf: Buffer): RelayableHead | 'more' | 'api' {
  const start = buf.subarray(0, PREFIX.length).toString('latin1');
  if (start !== PREFIX.slice(0, start.length)) return 'api';
  const end = buf.indexOf('\r\n\r\n');
  if (end === -1) return buf.length < MAX_HEAD ? 'more' : 'api';
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const request = /^PUT (\/files\/[\x21-\x7e]*) HTTP\/1\.[01]$/.exec(lines[0]!);
  if (!request) return 'api';
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return 'api';
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (!TOKEN.test(name) || BAD_VALUE.test(value)) return 'api';
    // Repeated framing headers are for the API server's parser to refuse.
    if (name in headers && (name === 'content-length' || name === 'host' || name === 'content-type')) return 'api';
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const length = headers['content-length'];
  if (length === undefined || !/^\d{1,16}$/.test(length) || 'transfer-encoding' in headers) return 'api';
  const expect = headers.expect?.toLowerCase();
  if (expect !== undefined && expect !== '100-continue') return 'api';
  return { method: 'PUT', url: request[1]!, headers, contentLength: Number(length), prefix: buf.subarray(end + 4) };
}

/** Stops the socket's handle reading from the kernel (pause() only stops emitting). */
function stopReading(socket: Socket): void {
  const handle = (socket as unknown as { _handle?: { reading?: boolean; readStop?: () => number } })._handle;
  if (handle?.readStop && handle.reading !== false) {
    handle.reading = false;
    handle.readStop();
  }
}

function receiverEntry(): string {
  // receiver.js when compiled, receiver.ts under tsx (the child inherits its --import).
  const self = fileURLToPath(import.meta.url);
  return path.join(path.dirname(self), `receiver${path.extname(self)}`);
}

export class ByteFront {
  private readonly server = net.createServer({ pauseOnConnect: true }, (socket) => this.accept(socket));
  private child: ChildProcess | undefined;
  private ready = false;
  private closing = false;
  private readonly requests = new Map<number, Relayed>();
  private nextId = 1;
  private readonly handoffs: (() => void)[] = [];
  private inHandoff: number | undefined;
  /** Connections handed to the receiver, since start. */
  relayedConnections = 0;

  constructor(private readonly o: FrontOptions) {}

  /** Connections open on the listening socket and not handed to the receiver (the API server's). */
  connections(): Promise<number> {
    return new Promise((resolve, reject) => this.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
  }

  /** The receiver's pid while it runs (tests kill it). */
  get receiverPid(): number | undefined {
    return this.ready ? this.child?.pid : undefined;
  }

  async listen(host: string, port: number): Promise<AddressInfo> {
    await this.o.app.ready();
    await this.spawn();
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    // The API server never listens itself, but Node starts its connection tracking on this
    // event: headers and request timeouts, and closing idle keep-alive connections on close.
    this.o.app.server.emit('listening');
    return this.server.address() as AddressInfo;
  }

  /** Stops accepting connections, lets the receiver answer what it holds, then stops it. */
  async close(): Promise<void> {
    this.closing = true;
    // Stops listening at once. Its callback would wait for every connection this server
    // accepted, the API's keep-alive ones included: the API server closes those itself.
    this.server.close();
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      if (child.connected) child.send({ t: 'stop' } satisfies ToReceiver);
      else child.kill('SIGTERM');
    });
  }

  private spawn(): Promise<void> {
    const child = fork(receiverEntry(), [JSON.stringify(this.o.settings)], {
      // A debugger or profiler flag of this process would fight over its port or file.
      // --expose-gc: the receiver collects its spent socket buffers itself (receiver.ts).
      execArgv: [...process.execArgv.filter((a) => !/^--(inspect|cpu-prof|heap-prof)/.test(a)), '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    return new Promise<void>((resolve) => {
      child.on('message', (m: FromReceiver) => {
        if (m.t === 'ready') {
          this.ready = true;
          resolve();
        } else this.onMessage(m);
      });
      child.once('exit', (code, signal) => {
        this.ready = false;
        // Its bodies are cut off: each route sees its client's stream end early.
        for (const r of this.requests.values()) r.pump?.reject(Object.assign(new Error('the byte receiver stopped'), { code: 'ECONNRESET' }));
        this.requests.clear();
        resolve();
        if (this.closing) return;
        this.o.log.error({ code, signal }, 'byte receiver exited; receiving uploads in the API process until it is back');
        setTimeout(() => {
          if (!this.closing) void this.spawn();
        }, RESPAWN_DELAY_MS).unref();
      });
      child.on('error', (err) => this.o.log.error({ err }, 'byte receiver failed'));
    });
  }

  private accept(socket: Socket): void {
    let buf: Buffer | undefined;
    const onError = () => socket.destroy();
    // Silence before the request head counts like silence anywhere else.
    socket.setTimeout(this.o.settings.idleTimeoutMs, () => socket.destroy());
    const onData = (chunk: Buffer) => {
      buf = buf ? Buffer.concat([buf, chunk]) : chunk;
      const head = readHead(buf);
      if (head === 'more') return;
      socket.off('data', onData);
      socket.off('error', onError);
      socket.setTimeout(0);
      // Stop reading now, not just emitting: the handle is sent asynchronously (one at a
      // time, each once the last was acknowledged), and whatever it read meanwhile would
      // go nowhere. Unread bytes wait in the kernel for whoever takes the socket.
      socket.pause();
      stopReading(socket);
      if (head !== 'api' && this.ready && this.child?.connected) {
        this.handOver(socket, head, this.child);
        return;
      }
      socket.unshift(buf);
      this.o.app.server.emit('connection', socket);
      // Paused above (and by pauseOnConnect): the HTTP server's own listener does not resume it.
      socket.resume();
    };
    socket.on('error', onError);
    socket.on('data', onData);
    socket.resume();
  }

  /** Gives the socket to the receiver and runs the route for its request here. */
  private handOver(socket: Socket, head: RelayableHead, child: ChildProcess): void {
    const id = this.nextId++;
    const entry: Relayed = {};
    this.requests.set(id, entry);
    this.relayedConnections++;
    const ip = socket.remoteAddress ?? '';
    this.handoffs.push(() => {
      this.inHandoff = id;
      // While it waited its turn, the paused socket may have read more (Node restarts reads
      // on its own): those bytes go with the head. read() may start reading again, so stop
      // it once more; nothing can arrive between here and the send, which is synchronous.
      const more = socket.readableLength > 0 ? (socket.read() as Buffer | null) : null;
      stopReading(socket);
      const prefix = more ? Buffer.concat([head.prefix, more]) : head.prefix;
      const message: ToReceiver = { t: 'connection', id, prefix: prefix.toString('base64'), contentLength: head.contentLength, expectContinue: head.headers.expect !== undefined };
      child.send(message, socket, (err) => {
        if (!err) return;
        socket.destroy();
        entry.lost = true;
        entry.pump?.reject(Object.assign(new Error('the byte receiver did not take the connection'), { code: 'ECONNRESET' }));
        this.nextHandoff(id);
      });
    });
    if (this.inHandoff === undefined) this.nextHandoff(undefined);
    void this.relay(id, head, ip, child, entry);
  }

  /**
   * One socket in flight to the receiver at a time, the next once it says it has it. Node
   * would queue the others behind its own acknowledgements and send them later with no
   * chance to collect what they read meanwhile: under load that lost a read's worth of
   * bytes (64 KiB) of a queued connection. Waiting costs one IPC round trip per upload.
   */
  private nextHandoff(done: number | undefined): void {
    if (done !== this.inHandoff) return;
    this.inHandoff = undefined;
    this.handoffs.shift()?.();
  }

  private onMessage(m: FromReceiver): void {
    switch (m.t) {
      case 'pumped': {
        const pump = this.requests.get(m.id)?.pump;
        if (pump) {
          this.requests.get(m.id)!.pump = undefined;
          pump.resolve({ size: m.size, sha256: m.sha256 });
        }
        return;
      }
      case 'pump-failed': {
        const pump = this.requests.get(m.id)?.pump;
        if (pump) {
          this.requests.get(m.id)!.pump = undefined;
          pump.reject(m.kind === 'too_large' ? new TooLargeError(pump.maxSize) : Object.assign(new Error(m.message), { code: m.code }));
        }
        return;
      }
      case 'taken':
        this.nextHandoff(m.id);
        return;
      case 'ready':
        return;
    }
  }

  /** Runs the API route for a request the receiver holds, and sends its answer back. */
  private async relay(id: number, head: RelayableHead, ip: string, child: ChildProcess, entry: Relayed): Promise<void> {
    const usable = () => !entry.lost && child.connected && this.child === child;
    const body: RemoteBody = {
      remote: true,
      pumpTo: (file, maxSize) =>
        new Promise((resolve, reject) => {
          if (!usable()) return reject(Object.assign(new Error('the byte receiver stopped'), { code: 'ECONNRESET' }));
          entry.pump = { resolve, reject, maxSize };
          child.send({ t: 'pump', id, file, maxSize } satisfies ToReceiver);
        }),
    };
    const token = this.o.relayed.add(body);
    try {
      const headers: Record<string, string> = { ...head.headers, [RELAY_HEADER]: token };
      const res = await this.o.app.inject({ method: head.method, url: head.url, headers, remoteAddress: ip });
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && !HOP_HEADERS.has(k)) out[k] = typeof v === 'number' ? String(v) : v;
      if (usable()) child.send({ t: 'respond', id, status: res.statusCode, headers: out, body: res.payload } satisfies ToReceiver);
    } catch (err) {
      this.o.log.error({ err }, 'relayed upload failed');
      const body = JSON.stringify(failure(newId('req'), 'internal_error', 'Internal error.'));
      if (usable()) child.send({ t: 'respond', id, status: 500, headers: { 'content-type': 'application/json; charset=utf-8' }, body } satisfies ToReceiver);
    } finally {
      this.o.relayed.remove(token);
      this.requests.delete(id);
    }
  }
}
