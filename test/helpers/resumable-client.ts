/**
 * A small resumable-upload client, as a browser or app would write one against the
 * contract: create a session, PUT parts (any order, some in parallel), list what arrived,
 * ask for fresh URLs, complete. It holds the file in memory only because tests' files are small.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ApiResponse, TestIntake } from './intake.js';

export interface PartUrl {
  part_number: number;
  url: string;
  offset: number;
  size: number;
}

export interface Session {
  upload_id: string;
  parts: { part_size: number; count: number; urls: PartUrl[] };
  [field: string]: any;
}

type Api = <T = any>(method: string, route: string, opts?: { key?: string; json?: unknown }) => Promise<ApiResponse<T>>;

export class ResumableClient {
  constructor(
    private readonly api: Api,
    private readonly key: string,
  ) {}

  async create(json: Record<string, unknown>): Promise<Session> {
    const res = await this.api('POST', '/v1/uploads', { key: this.key, json: { resumable: true, ...json } });
    if (res.status !== 201) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.data as Session;
  }

  /** PUTs `bytes` to a part URL; returns the answer's status and ETag. */
  async sendPart(url: string, bytes: Uint8Array, headers: Record<string, string> = {}): Promise<{ status: number; etag: string | null; body: any }> {
    const res = await fetch(url, { method: 'PUT', body: bytes, headers });
    const text = await res.text();
    // Intake answers JSON envelopes; an S3 store answers XML (or nothing).
    const json = res.headers.get('content-type')?.includes('json');
    return { status: res.status, etag: res.headers.get('etag'), body: json && text ? JSON.parse(text) : text || null };
  }

  /** The bytes of part `p` of `file`. */
  slice(file: Buffer, p: PartUrl): Buffer {
    return file.subarray(p.offset, p.offset + p.size);
  }

  /** Sends `urls` with at most `concurrency` in flight; throws on the first refusal. */
  async sendParts(file: Buffer, urls: PartUrl[], concurrency = 4): Promise<Map<number, string>> {
    const etags = new Map<number, string>();
    const queue = [...urls];
    const worker = async () => {
      for (let p = queue.shift(); p; p = queue.shift()) {
        const res = await this.sendPart(p.url, this.slice(file, p));
        if (res.status !== 200 || !res.etag) throw new Error(`part ${p.part_number}: ${res.status} ${JSON.stringify(res.body)}`);
        etags.set(p.part_number, res.etag);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return etags;
  }

  listParts(id: string): Promise<ApiResponse<Array<{ part_number: number; size: number; etag: string }>>> {
    return this.api('GET', `/v1/uploads/${id}/parts`, { key: this.key });
  }

  signParts(id: string, partNumbers: number[]): Promise<ApiResponse<Session['parts']>> {
    return this.api('POST', `/v1/uploads/${id}/parts`, { key: this.key, json: { part_numbers: partNumbers } });
  }

  complete(id: string, parts?: Array<{ part_number: number; etag: string }>): Promise<ApiResponse> {
    return this.api('POST', `/v1/uploads/${id}/complete`, { key: this.key, json: parts ? { parts } : {} });
  }

  /** Resumes an upload: lists what arrived, signs URLs for the rest, sends them and completes. */
  async resume(id: string, file: Buffer, count: number): Promise<ApiResponse> {
    const held = await this.listParts(id);
    if (held.status !== 200) throw new Error(`list: ${held.status} ${JSON.stringify(held.body)}`);
    const have = new Set(held.body.data.map((p) => p.part_number));
    const missing = Array.from({ length: count }, (_, i) => i + 1).filter((n) => !have.has(n));
    if (missing.length) {
      const signed = await this.signParts(id, missing);
      if (signed.status !== 200) throw new Error(`sign: ${signed.status} ${JSON.stringify(signed.body)}`);
      await this.sendParts(file, signed.body.data.urls);
    }
    return this.complete(id);
  }
}

/** `size` bytes of printable text (a text/plain document passes verification), different per seed. */
export function textFile(size: number, seed = 1): Buffer {
  const buf = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    buf[i] = i % 64 === 63 ? 0x0a : 0x61 + ((x >>> 16) % 26);
  }
  return buf;
}

/** Every file of every multipart upload still on the local disk. */
export async function partFiles(t: TestIntake): Promise<string[]> {
  const root = path.join(t.dataDir, 'storage', 'multipart');
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}
