/**
 * A cheap look at an SVG before librsvg parses it: librsvg builds the whole document tree
 * (about 1.6 KB per element), so the element count bounds its memory. Streams the file;
 * stops as soon as the count passes the limit. Files that do not start like XML (every
 * raster format) are not read past their first chunk. A gzip-compressed SVG (`.svgz`,
 * which librsvg inflates itself) is counted as it inflates, and inflating stops past
 * `maxInflatedBytes`: a few KiB of gzip can inflate to gigabytes.
 */
import fs from 'node:fs';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

const LT = 0x3c;

function isNameStart(byte: number): boolean {
  return (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x5f || byte === 0x3a;
}

export interface SvgCount {
  /** Start tags (`<` then a name character), counted no further than `limit + 1`; 0 for non-XML files. */
  elements: number;
  /** A gzip-compressed file inflated past `maxInflatedBytes` (counting stopped there). */
  inflatedTooLarge: boolean;
}

/** Whether the file starts with the gzip magic number. */
async function isGzip(file: string): Promise<boolean> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/**
 * Counts the elements of `file` (inflated first when it is gzip). A broken gzip stream
 * rejects with zlib's error (its `code` starts `Z_`): bad bytes, not an outage.
 */
export async function countSvgElements(file: string, limit: number, maxInflatedBytes: number): Promise<SvgCount> {
  const gzip = await isGzip(file);
  const raw = fs.createReadStream(file, { highWaterMark: 256 * 1024 });
  const stream: Readable = gzip ? pipeline(raw, createGunzip({ chunkSize: 256 * 1024 }), () => undefined) : raw;
  let count = 0;
  let inflated = 0;
  let first = true;
  let pendingLt = false;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (gzip) {
        inflated += chunk.length;
        if (inflated > maxInflatedBytes) return { elements: count, inflatedTooLarge: true };
      }
      if (first) {
        first = false;
        const text = chunk.subarray(0, 64).toString('utf8').replace(/^\uFEFF/, '').trimStart();
        if (!text.startsWith('<')) return { elements: 0, inflatedTooLarge: false };
      }
      if (pendingLt && chunk.length > 0 && isNameStart(chunk[0]!)) count++;
      let i = chunk.indexOf(LT);
      while (i !== -1) {
        if (i + 1 < chunk.length && isNameStart(chunk[i + 1]!)) count++;
        i = chunk.indexOf(LT, i + 1);
      }
      pendingLt = chunk[chunk.length - 1] === LT;
      if (count > limit) return { elements: count, inflatedTooLarge: false };
    }
    return { elements: count, inflatedTooLarge: false };
  } finally {
    stream.destroy();
    raw.destroy();
  }
}
