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
    else yield { type: 'field', name: part.fieldname, value: String(part.value), truncated: part.valueTruncated };
  }
}

/**
 * Watches a multipart body for its close delimiter (`CRLF--boundary--`), anywhere: an
 * epilogue may follow it (RFC 2046). A body that ends without it was cut off.
 */
class ClosingBoundary {
  private tail: Buffer = Buffer.alloc(0);
  private seen = false;
  private readonly closing: Buffer | null;

  constructor(private readonly request: FastifyRequest) {
    const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(request.headers['content-type'] ?? '');
    const boundary = m?.[1] ?? m?.[2];
    this.closing = boundary ? Buffer.from(`\r\n--${boundary}--`) : null;
    const closing = this.closing;
    if (!closing) return;
    request.raw.on('data', (chunk: Buffer) => {
      if (this.seen) return;
      // The delimiter may straddle two chunks: search the end of the last one plus this one.
      const window = Buffer.concat([this.tail, chunk.subarray(0, closing.length - 1)]);
      this.seen = window.includes(closing) || chunk.includes(closing);
      this.tail = (chunk.length >= closing.length - 1 ? chunk : Buffer.concat([this.tail, chunk])).subarray(-(closing.length - 1));
    });
  }

  /** Whether the body, once fully read, carried the close delimiter. */
  async sawEnd(): Promise<boolean> {
    const raw = this.request.raw;
    if (!raw.readableEnded && !raw.destroyed) await once(raw, 'end').catch(() => undefined);
    return this.seen;
  }
}
