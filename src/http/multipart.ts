import { once } from 'node:events';
import type { FastifyRequest } from 'fastify';
import { incompleteBody } from '../uploads/receive-bytes.js';
import type { FormPart } from '../uploads/form-upload.js';

/**
 * The parts of a multipart/form-data request, in order. A body that is cut off or
 * malformed is the client's fault: a 400, never a 500.
 */
export async function* formParts(request: FastifyRequest): AsyncGenerator<FormPart> {
  const parts = request.parts()[Symbol.asyncIterator]();
  let watch: ClosingBoundary | undefined;
  for (;;) {
    let next: IteratorResult<Awaited<ReturnType<typeof parts.next>>['value']>;
    try {
      const pending = parts.next();
      // The first next() piped the body into the parser; watch the same bytes from now on.
      watch ??= new ClosingBoundary(request);
      next = await pending;
    } catch (err) {
      if (String((err as { code?: unknown }).code ?? '').startsWith('FST_')) throw err;
      throw incompleteBody();
    }
    if (next.done) {
      // The parser ends quietly on a body cut off between parts; only the closing delimiter proves it whole.
      if (!(await watch.sawEnd())) throw incompleteBody();
      return;
    }
    const part = next.value;
    if (part.type === 'file') yield { type: 'file', name: part.fieldname, filename: part.filename, mimetype: part.mimetype, stream: part.file };
    else yield { type: 'field', name: part.fieldname, value: String(part.value) };
  }
}

/** Remembers the last bytes of a multipart body to tell a whole one from a cut-off one. */
class ClosingBoundary {
  private tail = Buffer.alloc(0);
  private readonly closing: Buffer | null;

  constructor(private readonly request: FastifyRequest) {
    const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(request.headers['content-type'] ?? '');
    const boundary = m?.[1] ?? m?.[2];
    this.closing = boundary ? Buffer.from(`--${boundary}--`) : null;
    const keep = (this.closing?.length ?? 0) + 4;
    request.raw.on('data', (chunk: Buffer) => {
      this.tail = Buffer.concat([this.tail, chunk.subarray(Math.max(0, chunk.length - keep))]);
      if (this.tail.length > keep) this.tail = this.tail.subarray(this.tail.length - keep);
    });
  }

  /** Whether the body, once fully read, ended with the closing delimiter (and at most a line break). */
  async sawEnd(): Promise<boolean> {
    const raw = this.request.raw;
    if (!raw.readableEnded && !raw.destroyed) await once(raw, 'end').catch(() => undefined);
    if (!this.closing) return false;
    let end = this.tail.length;
    while (end > 0 && (this.tail[end - 1] === 0x0a || this.tail[end - 1] === 0x0d)) end--;
    return this.tail.subarray(0, end).subarray(-this.closing.length).equals(this.closing);
  }
}
