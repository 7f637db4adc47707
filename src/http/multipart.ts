import type { FastifyRequest } from 'fastify';
import { incompleteBody } from '../uploads/receive-bytes.js';
import type { FormPart } from '../uploads/form-upload.js';

/**
 * The parts of a multipart/form-data request, in order. A body that is cut off or
 * malformed is the client's fault: a 400, never a 500.
 */
export async function* formParts(request: FastifyRequest): AsyncGenerator<FormPart> {
  const parts = request.parts()[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<Awaited<ReturnType<typeof parts.next>>['value']>;
    try {
      next = await parts.next();
    } catch (err) {
      if (String((err as { code?: unknown }).code ?? '').startsWith('FST_')) throw err;
      throw incompleteBody();
    }
    if (next.done) return;
    const part = next.value;
    if (part.type === 'file') yield { type: 'file', name: part.fieldname, filename: part.filename, mimetype: part.mimetype, stream: part.file };
    else yield { type: 'field', name: part.fieldname, value: String(part.value) };
  }
}
