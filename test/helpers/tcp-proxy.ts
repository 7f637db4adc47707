/**
 * A TCP relay a test can cut and restore, to play a storage outage without touching the
 * shared server behind it: stop() refuses new connections and drops open ones. With
 * `bytesPerSecond` it is also a slow uplink: what clients send goes on at that rate (shared
 * by every connection), answers come back at once.
 */
import net from 'node:net';

export class TcpProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  /** When the throttled uplink is free again (ms since the epoch). */
  private freeAt = 0;
  /** Bytes passed from clients to the target. */
  uplinkBytes = 0;

  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
    /** `bytesPerSecond` may be changed while connections are open: the next chunk goes at the new rate. */
    readonly opts: { bytesPerSecond?: number } = {},
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      upstream.pipe(client);
      if (this.opts.bytesPerSecond) this.throttle(client, upstream);
      else {
        client.on('data', (chunk: Buffer) => void (this.uplinkBytes += chunk.length));
        client.pipe(upstream);
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  /** Each chunk waits for its turn on the shared uplink before it goes on: a steady, slow upload. */
  private throttle(client: net.Socket, upstream: net.Socket): void {
    let passed = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      client.pause();
      const now = Date.now();
      this.freeAt = Math.max(this.freeAt, now) + (chunk.length / this.opts.bytesPerSecond!) * 1000;
      passed = new Promise((resolve) =>
        setTimeout(() => {
          this.uplinkBytes += chunk.length;
          if (!upstream.destroyed) upstream.write(chunk);
          client.resume();
          resolve();
        }, this.freeAt - now),
      );
    });
    client.on('end', () => void passed.then(() => upstream.end()));
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
