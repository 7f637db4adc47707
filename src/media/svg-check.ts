/**
 * A cheap look at an SVG before librsvg parses it: librsvg builds the whole document tree
 * (about 1.6 KB per element), so the element count bounds its memory. Streams the file;
 * stops as soon as the count passes the limit. Files that do not start like XML (every
 * raster format) are not read past their first chunk.
 */
import fs from 'node:fs';

const LT = 0x3c;

function isNameStart(byte: number): boolean {
  return (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x5f || byte === 0x3a;
}

/** Start tags (`<` then a name character) in the file, counting no further than `limit + 1`; 0 for non-XML files. */
export async function countSvgElements(file: string, limit: number): Promise<number> {
  const stream = fs.createReadStream(file, { highWaterMark: 256 * 1024 });
  let count = 0;
  let first = true;
  let pendingLt = false;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (first) {
        first = false;
        const text = chunk.subarray(0, 64).toString('utf8').replace(/^\uFEFF/, '').trimStart();
        if (!text.startsWith('<')) return 0;
      }
      if (pendingLt && chunk.length > 0 && isNameStart(chunk[0]!)) count++;
      let i = chunk.indexOf(LT);
      while (i !== -1) {
        if (i + 1 < chunk.length && isNameStart(chunk[i + 1]!)) count++;
        i = chunk.indexOf(LT, i + 1);
      }
      pendingLt = chunk[chunk.length - 1] === LT;
      if (count > limit) return count;
    }
    return count;
  } finally {
    stream.destroy();
  }
}
