/**
 * POST /v1/uploads as multipart/form-data: the file is streamed to storage with SHA-256
 * on the way, never held in memory. The session rows are written in the same
 * transaction that makes the bytes visible, so a crash leaves either both or neither.
 * Fields sent after the file are applied afterwards; if they are bad, the session is
 * discarded whole.
 */
import type { Readable } from 'node:stream';
import { MEDIA_KINDS, type MediaKind } from '../config/config.js';
import type { Tenant } from '../auth/principal.js';
import { checkAlias, checkFolder, checkMetadata, checkTitle, mapAliasConflict, metadataTooLarge, refuseTakenAlias } from '../assets/fields.js';
import { NO_ASSET, type NamespaceRow, type UploadRow } from '../db/schema.js';
import { peekStream } from '../lib/peek-stream.js';
import { essence } from '../media/kinds.js';
import { SNIFF_BYTES } from '../media/sniff.js';
import { checkBytesType, typeFromBytes, UNTYPED } from './check-type.js';
import { IntakeError, invalid } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { parseClientJson } from '../lib/safe-json.js';
import { incompleteBody, writeFailure } from './receive-bytes.js';
import { discardSession } from './close-session.js';
import {
  baseRow,
  checkUploadFields,
  insertSessionRows,
  currentNamespace,
  refuseAssetFields,
} from './create-upload.js';
import type { AppContext } from '../core/context.js';
import { originalKey, quotaExceeded, sizeLimit, tooLarge } from './limits.js';
import { FormBodies } from './form-quota.js';

export type FormPart =
  /** `truncated`: the value was longer than a form field may be (http/app.ts), and was cut. */
  | { type: 'field'; name: string; value: string; truncated?: boolean }
  | { type: 'file'; name: string; filename: string; mimetype: string; stream: Readable };

const FIELDS = new Set(['folder', 'title', 'alias', 'metadata', 'create_asset', 'kind']);
/** A form session's URL is never signed; this only bounds how long it may wait for completion. */
const FORM_SESSION_SECONDS = 3600;

/**
 * `bodyLength` is the request's Content-Length when it sent one: with it a body that
 * cannot fit the size limit or the quota is refused before a byte is stored. `bodies` is
 * the process's registry of streaming form bodies (form-quota.ts): one shared by every
 * request makes a namespace's parallel bodies share its quota fairly.
 */
export async function formUpload(deps: AppContext, tenant: Tenant, parts: AsyncIterable<FormPart>, bodyLength?: number, bodies = new FormBodies()): Promise<UploadRow> {
  const fields: Record<string, string> = {};
  let upload: UploadRow | null = null;
  try {
    for await (const part of parts) {
      if (part.type === 'field') {
        if (!FIELDS.has(part.name)) throw invalid(`Unknown form field "${part.name}".`, part.name);
        if (part.truncated) throw part.name === 'metadata' ? metadataTooLarge('metadata') : invalid(`The form field "${part.name}" is too long.`, part.name);
        fields[part.name] = part.value;
        continue;
      }
      if (part.name !== 'file') throw invalid(`The file must be sent in the field "file", not "${part.name}".`, part.name);
      if (upload) throw invalid('Send exactly one file.', 'file');
      upload = await receiveFile(deps, tenant, part, fields, { bodyLength, bodies });
    }
    if (!upload) throw invalid('The form has no "file" field.', 'file');
    // receiveFile consumed the fields sent before the file; what is left came after it.
    if (fields.create_asset !== undefined) throw invalid('create_asset must be sent before the file.', 'create_asset');
    if (fields.kind !== undefined) throw invalid('kind must be sent before the file.', 'kind');
    if (upload.asset_id === NO_ASSET) refuseAssetFields(fields);
    if (Object.keys(fields).length) await applyTrailingFields(deps, upload, fields);
    // Queued only once the form is whole (trailing fields can still discard it). A crash
    // before this line leaves a received, uncompleted session: start-up and the sweeper queue it.
    const accepted = upload;
    await deps.store.transaction((r) => deps.jobs.enqueue(r, { name: 'upload.verify', payload: { uploadId: accepted.id } }));
    return upload;
  } catch (err) {
    // Whatever is wrong with the rest of the form, a stored file must not outlive the refusal.
    if (upload) await discardSession(deps, upload);
    throw err;
  }
}

/** The `kind` field: the kind the file must be (another is 415), or undefined. */
function kindField(raw: string | undefined): MediaKind | undefined {
  if (raw === undefined) return undefined;
  if ((MEDIA_KINDS as readonly string[]).includes(raw)) return raw as MediaKind;
  throw invalid(`kind must be one of ${MEDIA_KINDS.join(', ')}.`, 'kind');
}

function refuseOtherKind(wanted: MediaKind | undefined, kind: MediaKind): void {
  if (wanted && wanted !== kind) {
    throw new IntakeError('unsupported_media_type', `This upload takes a ${wanted} file; this one is a ${kind}.`, { field: 'file', reason: 'kind_mismatch' });
  }
}

function createAssetField(raw: string | undefined): boolean | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw invalid('create_asset must be "true" or "false".', 'create_asset');
}

/** The same parser and rules as a JSON body: `__proto__` and `constructor.prototype` keys are refused. */
function parseMetadata(raw: string | undefined): unknown {
  if (raw === undefined) return undefined;
  try {
    return parseClientJson(raw);
  } catch (err) {
    throw invalid(`metadata must be a JSON object string: ${(err as Error).message}.`, 'metadata');
  }
}

async function receiveFile(
  deps: AppContext,
  tenant: Tenant,
  part: Extract<FormPart, { type: 'file' }>,
  fields: Record<string, string>,
  { bodyLength, bodies }: { bodyLength: number | undefined; bodies: FormBodies },
): Promise<UploadRow> {
  const detached = createAssetField(fields.create_asset) === false;
  if (detached) refuseAssetFields(fields);
  const check = (contentType: string) =>
    checkUploadFields(deps, {
      filename: part.filename,
      content_type: contentType,
      folder: fields.folder,
      title: fields.title,
      alias: fields.alias,
      metadata: parseMetadata(fields.metadata) as Record<string, unknown> | undefined,
    });
  // `curl -F file=@clip.mp4` says application/octet-stream: such a file is typed by its bytes.
  const untyped = UNTYPED.has(essence(part.mimetype));
  // Fresh counters: the early quota refusal and the stream's room below are judged on them.
  const namespace = await currentNamespace(deps, tenant);
  const declared = untyped ? null : check(part.mimetype);
  // What needs no bytes is refused before any are read; an untyped file's kind limit waits for its type.
  await refuseEarly(deps, namespace, declared ?? { alias: checkAlias(fields.alias), kind: 'file' }, declared ? sizeLimit(deps, namespace, declared.kind) : deps.config.uploads.maxUploadBytes, bodyLength);
  const { head, stream } = await peekStream(part.stream, SNIFF_BYTES).catch((err: unknown) => {
    throw err instanceof IntakeError ? err : incompleteBody();
  });
  if (head.length === 0) throw invalid('The file is empty.', 'file');
  const checked = declared ?? check(await typeFromBytes(head));
  refuseOtherKind(kindField(fields.kind), checked.kind);
  const limit = sizeLimit(deps, namespace, checked.kind);
  if (!declared) await refuseEarly(deps, namespace, checked, limit, bodyLength);
  // Bytes that are not what was declared are refused before anything is stored.
  await checkBytesType(deps.types, head, checked.contentType, checked.kind);
  const now = deps.clock.now();
  const uploadId = newId('upl');
  let row: UploadRow | null = null;
  // A form body announces no file size (a chunked one no size at all): it reserves quota
  // ahead of its bytes while it streams, so parallel bodies never put more than the quota
  // on disk together, and the newest are refused first when they do not all fit (form-quota.ts).
  const meter = namespace.quota_bytes === null ? null : bodies.start(deps.store, namespace.id);
  try {
    await deps.storage.write(originalKey(namespace.id, uploadId), meter ? meter.wrap(stream) : stream, {
      maxSize: limit,
      contentType: checked.contentType,
      around: async (w, publish) => {
        if (w.size === 0) throw invalid('The file is empty.', 'file');
        row = {
          ...baseRow(namespace.id, uploadId, detached ? NO_ASSET : newId('med'), checked, { file_size: w.size }, now, FORM_SESSION_SECONDS),
          create_asset: detached ? 0 : 1,
          status: 'pending',
          method: 'form',
          reserved_bytes: w.size,
          received_size: w.size,
          received_sha256: w.sha256,
          received_etag: w.etag,
        };
        const inserted = row;
        await mapAliasConflict(checked, () =>
          deps.store.transaction(async (r) => {
            // What was reserved while streaming becomes the session's reservation, in this transaction.
            if (meter?.held) await r.namespaces.adjust(namespace.id, { reserved: -meter.held });
            await insertSessionRows(r, namespace, inserted, checked);
            // Last, so nothing after it can fail and leave the file without its rows.
            await publish();
          }),
        );
        meter?.handOver();
      },
    });
  } catch (err) {
    await meter?.release();
    if (meter?.refused) throw quotaExceeded((await deps.store.namespaces.find(namespace.id)) ?? namespace, meter.received);
    throw writeFailure(deps, err, () => tooLarge(limit + 1, limit, checked.kind));
  } finally {
    await meter?.release();
  }
  const inserted = await deps.store.uploads.findById(uploadId);
  if (!inserted) throw new IntakeError('unavailable', 'The upload was not recorded; try again.');
  // Which of the fields were known when the file arrived; the rest are applied afterwards.
  for (const k of Object.keys(fields)) delete fields[k];
  return inserted;
}

/** Multipart framing and the other fields are a few KiB; this much is surely not file. */
const FORM_OVERHEAD = 2 * 1024 * 1024;

/** The checks that need no bytes: a taken alias, a full quota, a body that cannot fit. Transactions still enforce them. */
async function refuseEarly(deps: AppContext, ns: NamespaceRow, checked: { alias: string | null; kind: string }, limit: number, bodyLength: number | undefined): Promise<void> {
  await refuseTakenAlias(deps, ns.id, checked.alias);
  const fileAtLeast = bodyLength === undefined ? 1 : Math.max(1, bodyLength - FORM_OVERHEAD);
  if (fileAtLeast > limit) throw tooLarge(fileAtLeast, limit, checked.kind);
  if (ns.quota_bytes !== null && ns.stored_bytes + ns.reserved_bytes + fileAtLeast > ns.quota_bytes) throw quotaExceeded(ns, fileAtLeast);
}

async function applyTrailingFields(deps: AppContext, upload: UploadRow, fields: Record<string, string>): Promise<void> {
  const patch: Record<string, string | null> = {};
  if (fields.folder !== undefined) patch.folder = checkFolder(fields.folder);
  if (fields.title !== undefined) patch.title = checkTitle(fields.title);
  if (fields.alias !== undefined) patch.alias = checkAlias(fields.alias);
  if (fields.metadata !== undefined) patch.metadata = JSON.stringify(checkMetadata(parseMetadata(fields.metadata)));
  await mapAliasConflict({ alias: patch.alias ?? null }, () => deps.store.assets.update(upload.namespace_id, upload.asset_id, patch));
}
