/**
 * Baseline for the PUT benchmark: the least a server can do and still give Intake's
 * guarantees for a PUT body: SHA-256 on the way, write to a temp file, rename into place
 * (Intake's complete, not its PUT, fsyncs them). No framework, no database, no signature.
 * Usage: node sink.js <dir>; prints its URL once listening.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const dir = process.argv[2];
if (!dir) throw new Error('usage: sink.js <dir>');

async function receive(req: http.IncomingMessage, n: number): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const temp = path.join(dir!, `${n}.part`);
  const target = path.join(dir!, `${n}.bin`);
  // Same write-stream buffer as Intake's local driver, so only the framework differs.
  await pipeline(req, hasher, createWriteStream(temp, { flags: 'wx', highWaterMark: 1024 * 1024 }));
  await fs.rename(temp, target);
  return { size, sha256: hash.digest('hex') };
}

let count = 0;
const server = http.createServer((req, res) => {
  if (req.method !== 'PUT') {
    res.writeHead(405).end();
    return;
  }
  receive(req, ++count).then(
    (result) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result)),
    (err: unknown) => res.writeHead(500).end(String(err)),
  );
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`sink listening on http://127.0.0.1:${port}\n`);
});
// The parent holds our stdin open; when it goes away, so do we.
process.stdin.on('end', () => process.exit(0)).resume();
process.on('SIGTERM', () => process.exit(0));
