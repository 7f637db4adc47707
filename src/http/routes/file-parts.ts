/**
 * PUT of one part of a resumable session to a URL Intake signed (local disk). Same rules as
 * a simple PUT (files.ts): the signature binds method, key, session, size cap, expiry and
 * here the part number; a body over the cap is refused before a byte is read; the session
 * must be open; the same in-flight cap admits it. No Content-Type is bound: a part is raw
 * bytes, as with S3's UploadPart.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IntakeError } from '../../lib/errors.js';
import { receivePart } from '../../multipart/receive-part.js';
import type { LocalDiskStorage } from '../../storage/local.js';
import type { UploadDeps } from '../../uploads/deps.js';
import { openSessionFor } from '../../uploads/receive-bytes.js';
import { sendOk } from '../envelope.js';
import { bodyOf, check, int, keyOf, type FileTraffic } from './files.js';

export async function putPart(deps: UploadDeps, storage: LocalDiskStorage, traffic: FileTraffic, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const q = request.query as Record<string, string | undefined>;
  const key = keyOf(request);
  const maxSize = int(q.max);
  const part = int(q.part);
  check(storage, { method: 'PUT', key, expires: int(q.expires), maxSize, uploadId: q.upload, part }, q.sig, deps.clock.now().getTime());
  const declared = int(request.headers['content-length']);
  if (declared > maxSize) throw new IntakeError('file_too_large', `Part ${part} may be at most ${maxSize} bytes.`, { max_size: maxSize, part_number: part });
  return traffic.gate.admit(async () => {
    const upload = await openSessionFor(deps, q.upload!, key);
    // Parts of one session arrive in parallel; one writer per part keeps a part's temp files
    // (and so the disk a session can fill) to one at a time.
    const { etag, size } = await traffic.gate.exclusive(`${upload.id}#${part}`, () => receivePart(deps, storage, upload, part, bodyOf(traffic, request)));
    return sendOk(reply.header('ETag', etag), { upload_id: upload.id, key, part_number: part, size, etag });
  });
}
