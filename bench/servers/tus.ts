/**
 * Peer for the PUT benchmark: tus-node-server (`@tus/server` with `@tus/file-store`), the
 * upload server the field uses, on a bare node:http server. The client creates an upload
 * (POST) and sends the whole body in one PATCH. Its file store appends to a file; it does
 * not hash, fsync or rename, so it does less disk work per byte than the sink or Intake.
 * Usage: node tus.js <dir>; prints its URL once listening.
 */
import http from 'node:http';
import { FileStore } from '@tus/file-store';
import { Server } from '@tus/server';

const dir = process.argv[2];
if (!dir) throw new Error('usage: tus.js <dir>');

const tus = new Server({ path: '/files', datastore: new FileStore({ directory: dir }) });
const server = http.createServer((req, res) => void tus.handle(req, res));

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`tus listening on http://127.0.0.1:${port}\n`);
});
// The parent holds our stdin open; when it goes away, so do we.
process.stdin.on('end', () => process.exit(0)).resume();
process.on('SIGTERM', () => process.exit(0));
