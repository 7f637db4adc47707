/**
 * An HTTP proxy on loopback in front of Intake (signed URLs point at it through
 * INTAKE_PUBLIC_URL) that counts every signed-URL PUT and can break some of them: drop the
 * connection after part of the body, answer 503 or 403 (as a store does for an expired
 * URL), or hold the request without answering.
 */
import http from 'node:http';
import type net from 'node:net';

export type Fault = 'pass' | 'drop' | 'fail-503' | 'fail-403' | 'stall';

export interface PutRecord {
  /** `part` of the signed URL (0 for a simple upload's PUT). */
  part: number;
  fault: Fault;
  /** The status the client was answered (null when dropped or stalled). */
  status: number | null;
}

export class FaultProxy {
  readonly puts: PutRecord[] = [];
  /** Decides the fate of each PUT to a signed URL, in arrival order (0-based). */
  policy: (index: number, part: number) => Fault = () => 'pass';
  private server: http.Server | null = null;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    readonly port: number,
    private readonly targetPort: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** PUTs answered 2xx, by part number. */
  acknowledged(): number[] {
    return this.puts.filter((p) => p.status !== null && p.status < 300).map((p) => p.part);
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const signedPut = req.method === 'PUT' && url.pathname.startsWith('/files/');
    let record: PutRecord | null = null;
    if (signedPut) {
      const part = Number(url.searchParams.get('part') ?? 0);
      record = { part, fault: this.policy(this.puts.length, part), status: null };
      this.puts.push(record);
      if (record.fault === 'stall') return void req.pause();
      if (record.fault === 'fail-503' || record.fault === 'fail-403') {
        const status = record.fault === 'fail-503' ? 503 : 403;
        const code = status === 503 ? 'unavailable' : 'forbidden';
        req.resume();
        req.on('end', () => {
          record!.status = status;
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ data: null, error: { code, message: 'Injected by the test proxy.', details: {} }, meta: {} }));
        });
        return;
      }
    }
    const upstream = http.request({ host: '127.0.0.1', port: this.targetPort, method: req.method, path: req.url, headers: req.headers, agent: false }, (answer) => {
      if (record) record.status = answer.statusCode ?? null;
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    if (record?.fault === 'drop') {
      // Forward a little of the body, then cut both sides, as a network failure mid-upload would.
      let seen = 0;
      req.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        upstream.write(chunk);
        if (seen >= 64 * 1024) {
          upstream.destroy();
          req.socket.destroy();
        }
      });
      return;
    }
    req.pipe(upstream);
  }
}
