/** SHA-256 of a source, computed while reading it once in chunks: no whole file in memory. */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { UploadSource } from './source.js';
import type { Progress } from './upload-types.js';

const HEX_SHA256 = /^[0-9a-f]{64}$/;

export async function sha256Hex(source: UploadSource, opts: { signal?: AbortSignal; onProgress?: (p: Pick<Progress, 'bytesUploaded' | 'bytesTotal'>) => void } = {}): Promise<string> {
  const hash = sha256.create();
  const reader = source.stream().getReader();
  let read = 0;
  try {
    for (;;) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      const { done, value } = await reader.read();
      if (done) break;
      hash.update(value);
      read += value.byteLength;
      opts.onProgress?.({ bytesUploaded: read, bytesTotal: source.size });
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return bytesToHex(hash.digest());
}

/** A precomputed hash, checked and lower-cased (the API takes 64 hex characters). */
export function normaliseHash(hash: string): string {
  const lower = hash.trim().toLowerCase();
  if (!HEX_SHA256.test(lower)) throw new TypeError('sha256 must be 64 hexadecimal characters.');
  return lower;
}
