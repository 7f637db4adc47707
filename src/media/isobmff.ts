/**
 * Whether an ISO base media file (MP4, QuickTime, M4A, 3GP) holds the data its header
 * promises. ffprobe reads the header (`moov`) and believes it, so a file cut after the
 * header probes as whole; here every top-level box must fit in the file, every chunk
 * offset of every track must point inside it, and the data boxes (`mdat`) must be at
 * least as large as the samples the tracks list (a last `mdat` of size 0 runs to the end
 * of the file, so only this catches a cut inside it).
 */
import fs from 'node:fs/promises';

/** The sniffed types stored as ISO BMFF boxes. */
export const ISO_BMFF_TYPES: ReadonlySet<string> = new Set(['video/mp4', 'video/quicktime', 'video/3gpp', 'video/3gpp2', 'audio/mp4', 'audio/x-m4a']);

/** Boxes that only hold other boxes, on the way from `moov` to the chunk offsets. */
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl']);

/** A hostile file could hold millions of empty boxes; real ones have a handful at the top. */
const MAX_BOXES = 100_000;

interface Box {
  type: string;
  start: number;
  /** Where the payload starts. */
  body: number;
  end: number;
}

/** Null when the promised data is there; otherwise what is missing, in a sentence. */
export async function missingMediaData(file: string): Promise<string | null> {
  const handle = await fs.open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    const reader = new BoxReader(handle, size);
    return await reader.check();
  } finally {
    await handle.close();
  }
}

class BoxReader {
  private boxes = 0;
  private sampleBytes = 0;
  private dataBytes = 0;

  constructor(
    private readonly handle: fs.FileHandle,
    private readonly size: number,
  ) {}

  async check(): Promise<string | null> {
    const problem = await this.walk(0, this.size, true);
    if (problem) return problem;
    if (this.sampleBytes > this.dataBytes) {
      return `the tracks list ${this.sampleBytes} bytes of samples but the file holds ${this.dataBytes} bytes of media data: it was cut off`;
    }
    return null;
  }

  private async walk(from: number, to: number, top: boolean): Promise<string | null> {
    for (let pos = from; pos < to; ) {
      if (++this.boxes > MAX_BOXES) return 'the file has too many boxes';
      const box = await this.readBox(pos, to);
      if (typeof box === 'string') return box;
      if (box.end > this.size) return `the ${box.type} box needs ${box.end - this.size} bytes more than the file has: it was cut off`;
      if (box.end > to) return `the ${box.type} box overruns the box that holds it`;
      if (CONTAINERS.has(box.type)) {
        const inner = await this.walk(box.body, box.end, false);
        if (inner) return inner;
      } else if (box.type === 'stco' || box.type === 'co64') {
        const bad = await this.chunkOffsetsPastEnd(box, box.type === 'co64' ? 8 : 4);
        if (bad) return bad;
      } else if (box.type === 'stsz') {
        const bad = await this.addSampleSizes(box);
        if (bad) return bad;
      } else if (top && box.type === 'mdat') {
        this.dataBytes += box.end - box.body;
      }
      pos = box.end;
      if (!top && to - pos > 0 && to - pos < 8) return 'a box ends in a fragment of a box header';
    }
    return null;
  }

  private async readBox(pos: number, limit: number): Promise<Box | string> {
    if (this.size - pos < 8) return `the file ends inside a box header, ${this.size - pos} bytes from its end`;
    const head = await this.read(pos, 16);
    const size32 = head.readUInt32BE(0);
    const type = head.toString('latin1', 4, 8);
    if (size32 === 1) {
      if (head.length < 16) return `the ${type} box header was cut off`;
      const size64 = Number(head.readBigUInt64BE(8));
      if (size64 < 16) return `the ${type} box has an impossible size`;
      return { type, start: pos, body: pos + 16, end: pos + size64 };
    }
    // Size 0: the box runs to the end of the file (or of its container).
    if (size32 === 0) return { type, start: pos, body: pos + 8, end: limit };
    if (size32 < 8) return `the ${type} box has an impossible size`;
    return { type, start: pos, body: pos + 8, end: pos + size32 };
  }

  /** stco/co64: version+flags, entry count, then one offset per chunk. */
  private async chunkOffsetsPastEnd(box: Box, width: 4 | 8): Promise<string | null> {
    const count = (await this.read(box.body + 4, 4)).readUInt32BE(0);
    if (box.body + 8 + count * width > box.end) return `the ${box.type} box lists more chunks than it holds`;
    const perRead = 8192;
    for (let i = 0; i < count; i += perRead) {
      const n = Math.min(perRead, count - i);
      const buf = await this.read(box.body + 8 + i * width, n * width);
      for (let j = 0; j < n; j++) {
        const offset = width === 4 ? buf.readUInt32BE(j * 4) : Number(buf.readBigUInt64BE(j * 8));
        if (offset >= this.size) return `a track's data starts at byte ${offset}, past the end of the ${this.size}-byte file: it was cut off`;
      }
    }
    return null;
  }

  /** stsz: version+flags, one size for every sample (or 0), the count, then each size. */
  private async addSampleSizes(box: Box): Promise<string | null> {
    const head = await this.read(box.body + 4, 8);
    if (head.length < 8) return 'the stsz box was cut off';
    const uniform = head.readUInt32BE(0);
    const count = head.readUInt32BE(4);
    if (uniform !== 0) {
      this.sampleBytes += uniform * count;
      return null;
    }
    if (box.body + 12 + count * 4 > box.end) return 'the stsz box lists more samples than it holds';
    const perRead = 16384;
    for (let i = 0; i < count; i += perRead) {
      const n = Math.min(perRead, count - i);
      const buf = await this.read(box.body + 12 + i * 4, n * 4);
      for (let j = 0; j < n; j++) this.sampleBytes += buf.readUInt32BE(j * 4);
    }
    return null;
  }

  private async read(pos: number, length: number): Promise<Buffer> {
    const buf = Buffer.alloc(Math.max(0, Math.min(length, this.size - pos)));
    if (buf.length === 0) return buf;
    const { bytesRead } = await this.handle.read(buf, 0, buf.length, pos);
    return buf.subarray(0, bytesRead);
  }
}
