/**
 * Baseline for the session benchmark: a bare Fastify 5 route doing the least a session
 * create must do: parse the JSON body, insert one row into SQLite (a file in WAL mode with
 * synchronous=NORMAL, as Intake opens its database) and sign one URL with HMAC-SHA256.
 * No auth, no validation, no quota. The gap between this and POST /v1/uploads is what
 * Intake's own checks and bookkeeping cost.
 * Usage: node insert-hmac.js <dir>; prints its URL once listening.
 */
import { createHmac, randomUUID } from 'node:crypto';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import Fastify from 'fastify';

const dir = process.argv[2];
if (!dir) throw new Error('usage: insert-hmac.js <dir>');

const db = new SQLite(path.join(dir, 'baseline.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('CREATE TABLE sessions (id TEXT PRIMARY KEY, filename TEXT NOT NULL, content_type TEXT NOT NULL, file_size INTEGER NOT NULL, created_at TEXT NOT NULL)');
const insert = db.prepare('INSERT INTO sessions (id, filename, content_type, file_size, created_at) VALUES (?, ?, ?, ?, ?)');
const SECRET = 'baseline-signing-secret-0123456789';

const app = Fastify({ logger: false });

app.post('/v1/uploads', async (request, reply) => {
  const body = request.body as { filename: string; content_type: string; file_size: number };
  const id = `upl_${randomUUID()}`;
  const expires = Math.floor(Date.now() / 1000) + 3600;
  insert.run(id, body.filename, body.content_type, body.file_size, new Date().toISOString());
  const sig = createHmac('sha256', SECRET).update(`PUT\n${id}\n${expires}\n${body.content_type}\n${body.file_size}`).digest('base64url');
  return reply.code(201).send({ data: { id, upload_url: `http://127.0.0.1/files/${id}?expires=${expires}&sig=${sig}` }, error: null });
});

const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`insert-hmac listening on ${address}\n`);
// The parent holds our stdin open; when it goes away, so do we.
process.stdin.on('end', () => process.exit(0)).resume();
process.on('SIGTERM', () => process.exit(0));
