/**
 * The client side of the scale-out proof: uploads as an app would send them, each through
 * one API process and completed through the other, failing over to the other process when
 * one does not answer (connection refused or reset: it was killed). The bytes go straight
 * to the bucket through the signed URLs, so a dead API process never interrupts a transfer.
 */
import { createHash } from 'node:crypto';
import type { Media } from './media.js';

const MIB = 1024 * 1024;
/** How long one API call keeps failing over before the upload counts as failed. */
const CALL_DEADLINE_MS = 60_000;
/** How long a client retries a complete that answers `verifying` before leaving it to the claim's owner. */
const VERIFYING_DEADLINE_MS = 5_000;

export interface DriveStats {
  /** Sessions created (those orphaned by a retried create included). */
  sessions: number;
  /** Requests sent again to the other API process because one did not answer. */
  failovers: number;
  /** Creates retried after a lost answer: a session may have been made and left pending. */
  retriedCreates: number;
  /**
   * Uploads whose complete was accepted (200, or 202 for async ones), or already claimed by
   * an earlier complete (`claimed`: one sent to a process that was then killed). A claim
   * whose verification died with its process is taken over once its lease runs out
   * (INTAKE_VERIFY_LEASE_SECONDS), by a retried complete or a worker.
   */
  accepted: Array<{ uploadId: string; kind: Media['kind']; size: number; claimed: boolean }>;
  failed: Array<{ filename: string; error: string }>;
}

export function emptyStats(): DriveStats {
  return { sessions: 0, failovers: 0, retriedCreates: 0, accepted: [], failed: [] };
}

interface Answer {
  status: number;
  body: any;
}

export class Client {
  constructor(
    private readonly apis: readonly string[],
    private readonly key: string,
    readonly stats: DriveStats,
  ) {}

  /** One API call, starting at process `first` and failing over to the next while none answers. */
  async call(method: string, route: string, json: unknown, first: number): Promise<Answer & { failedOver: boolean }> {
    const deadline = Date.now() + CALL_DEADLINE_MS;
    let failedOver = false;
    for (let attempt = 0; ; attempt++) {
      const base = this.apis[(first + attempt) % this.apis.length]!;
      try {
        const res = await fetch(base + route, {
          method,
          headers: { authorization: `Bearer ${this.key}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
          body: json === undefined ? undefined : JSON.stringify(json),
          signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        return { status: res.status, body: text ? JSON.parse(text) : null, failedOver };
      } catch (err) {
        if (Date.now() > deadline) throw err;
        this.stats.failovers++;
        failedOver = true;
        if (attempt % this.apis.length === this.apis.length - 1) await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** Create, send the bytes to the bucket, complete; `i` picks the API process for each step. */
  async upload(m: Media, i: number): Promise<void> {
    try {
      const id = await this.send(m, i);
      await this.complete(m, id, i + 1);
    } catch (err) {
      this.stats.failed.push({ filename: m.filename, error: err instanceof Error ? err.message : String(err) });
    }
  }

  private async send(m: Media, i: number): Promise<string> {
    const resumable = m.kind === 'resumable';
    const json = {
      filename: m.filename,
      content_type: m.contentType,
      file_size: m.bytes.length,
      file_hash: createHash('sha256').update(m.bytes).digest('hex'),
      resumable,
      ...(resumable ? { part_size: 5 * MIB } : {}),
    };
    const created = await this.call('POST', '/v1/uploads', json, i);
    if (created.failedOver) this.stats.retriedCreates++;
    if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
    this.stats.sessions++;
    const s = created.body.data;
    if (!resumable) {
      await put(s.upload_url, m.bytes, s.upload_method.headers);
      return s.upload_id;
    }
    if (s.parts.count !== s.parts.urls.length || s.parts.count < 2) throw new Error(`expected every part URL at once and ≥ 2 parts: ${JSON.stringify(s.parts)}`);
    await Promise.all(s.parts.urls.map((p: { url: string; offset: number; size: number }) => put(p.url, m.bytes.subarray(p.offset, p.offset + p.size), {})));
    return s.upload_id;
  }

  /** Images complete synchronously; videos and resumable uploads with `async: true` (verified by a worker). */
  private async complete(m: Media, id: string, i: number): Promise<void> {
    const body = m.kind === 'image' ? {} : { async: true };
    const deadline = Date.now() + VERIFYING_DEADLINE_MS;
    for (;;) {
      const res = await this.call('POST', `/v1/uploads/${id}/complete`, body, i);
      if (res.status === 200 || res.status === 202) {
        this.stats.accepted.push({ uploadId: id, kind: m.kind, size: m.bytes.length, claimed: false });
        return;
      }
      const verifying = res.status === 409 && res.body?.error?.details?.reason === 'verifying';
      if (!verifying) throw new Error(`complete ${id}: ${res.status} ${JSON.stringify(res.body)}`);
      // Another complete holds the claim: the one a killed process was running, if this one failed over.
      if (Date.now() > deadline) {
        this.stats.accepted.push({ uploadId: id, kind: m.kind, size: m.bytes.length, claimed: true });
        return;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** A PUT to a signed bucket URL; one retry (the bucket is never killed, but a socket may be reset). */
async function put(url: string, bytes: Buffer, headers: Record<string, string>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(url, { method: 'PUT', body: bytes, headers });
      await res.arrayBuffer();
      if (res.status === 200) return;
      throw new Error(`PUT to the bucket: ${res.status}`);
    } catch (err) {
      if (attempt >= 2) throw err;
    }
  }
}

/** Runs `work(item, index)` over `items` with at most `concurrency` at once. */
export async function pool<T>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) await work(items[i]!, i);
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}
