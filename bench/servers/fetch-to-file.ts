/**
 * The plain-Node peer of an import: one GET with node:http, its body hashed (SHA-256) and
 * written to a new file, the way Intake's import does it, without anything else (no queue,
 * session, quota or verification). Prints the seconds from the request to the file's close.
 * Usage: node fetch-to-file.js <url> <file>
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';

const [url, file] = process.argv.slice(2);
if (!url || !file) throw new Error('usage: fetch-to-file.js <url> <file>');
const started = performance.now();
const res = await new Promise<http.IncomingMessage>((resolve, reject) => http.get(url, resolve).once('error', reject));
const hash = createHash('sha256');
const hashing = new Transform({
  transform(chunk: Buffer, _enc, done) {
    hash.update(chunk);
    done(null, chunk);
  },
});
await pipeline(res, hashing, fs.createWriteStream(file, { flags: 'wx' }));
hash.digest('hex');
process.stdout.write(`${(performance.now() - started) / 1000}\n`);
