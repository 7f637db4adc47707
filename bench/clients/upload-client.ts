/**
 * One upload client per process, so its own memory and CPU are what is measured:
 * `node upload-client.js <plain|sdk|sdk-hash> <baseUrl> <apiKey> <file> <partSize> <parallel>`.
 * `plain` is the least a client can do (create, PUT each part's file range with fetch,
 * complete); `sdk` is `uploadFile()`; `sdk-hash` adds the SHA-256 read. Prints one JSON line.
 */
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { createIntakeClient, intakeBackend, memoryStateStore, uploadFile } from '../../clients/sdk/src/node.js';

const [mode, baseUrl, apiKey, file, partSizeText, parallelText] = process.argv.slice(2) as [string, string, string, string, string, string];
const partSize = Number(partSizeText);
const parallel = Number(parallelText);
const size = fs.statSync(file).size;
const client = createIntakeClient({ baseUrl, apiKey });

async function plain(): Promise<string | null> {
  const session = await client.uploads.create({ filename: 'bench.txt', content_type: 'text/plain', file_size: size, resumable: true, part_size: partSize });
  if (!('parts' in session) || !session.parts) throw new Error('no parts');
  const urls = [...session.parts.urls];
  const parts: { part_number: number; etag: string }[] = [];
  const worker = async () => {
    for (let u = urls.shift(); u; u = urls.shift()) {
      const body = Readable.toWeb(fs.createReadStream(file, { start: u.offset, end: u.offset + u.size - 1 })) as unknown as ReadableStream;
      const res = await fetch(u.url, { method: 'PUT', body, headers: { 'content-length': String(u.size) }, duplex: 'half' } as RequestInit);
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`part ${u.part_number}: ${res.status}`);
      parts.push({ part_number: u.part_number, etag: res.headers.get('etag')! });
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  const done = await client.uploads.complete(session.upload_id, { parts: parts.sort((a, b) => a.part_number - b.part_number) });
  return done.asset_id;
}

async function sdk(sha256: boolean): Promise<string | null> {
  const result = await uploadFile(file, { backend: intakeBackend(client), filename: 'bench.txt', resumable: true, partSize, parallel, sha256, stateStore: memoryStateStore() });
  if (result.outcome !== 'uploaded') throw new Error(`unexpected ${result.outcome}`);
  return result.assetId;
}

const cpuBefore = process.cpuUsage();
const started = process.hrtime.bigint();
const assetId = mode === 'plain' ? await plain() : await sdk(mode === 'sdk-hash');
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const cpu = process.cpuUsage(cpuBefore);
process.stdout.write(`${JSON.stringify({ mode, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssBytes: process.resourceUsage().maxRSS * 1024, assetId })}\n`);
