/**
 * Local-disk driver for the embedded default. Objects live under `<root>/objects/<key>`;
 * writes go to `<root>/tmp` first and are fsynced and renamed into place, so a reader
 * never sees half an object and a crash leaves only a temp file that start-up removes
 * once it is clearly abandoned. Folders are 0700 and files 0600: only Intake's user reads them.
 * Intake itself serves the signed URLs this driver hands out (see http/routes/files.ts).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { TooLargeError } from '../lib/hashing.js';
import { randomToken } from '../lib/ids.js';
import {
  ObjectAbortedError,
  ObjectNotFoundError,
  ObjectTooLargeError,
  StorageUnavailableError,
  type ByteRange,
  type ListedObject,
  type ObjectInfo,
  type ObjectStorage,
  type AssembledObject,
  type OpenMultipart,
  type PartChoice,
  type PartWriter,
  type PresignPart,
  type StoredPart,
  type PresignGet,
  type PresignUpload,
  type PresignedPost,
  type PresignedPut,
  type WriteOptions,
  type WrittenObject,
} from './object-storage.js';
import { bodyToFile, etagOf, isDiskError, isMissing, renameInto, syncDir, syncFile } from './disk.js';
import { isValidKey } from './keys.js';
import { LocalParts } from './local-parts.js';
import { sign, verify, type SignedFields, type Verdict } from './signed-url.js';

/** When the machine started (wall clock, as file times are). */
function bootedAt(): number {
  return Date.now() - os.uptime() * 1000;
}

/** A temp file untouched this long belongs to no live upload. */
export const TEMP_STALE_MS = 3600_000;

/** Form field names of a signed POST; they mirror S3's POST policy fields. */
export const POST_FIELDS = {
  expires: 'x-intake-expires',
  maxSize: 'x-intake-max-size',
  upload: 'x-intake-upload',
  signature: 'x-intake-signature',
} as const;

export class LocalDiskStorage implements ObjectStorage, PartWriter {
  readonly provider = 'local' as const;
  private readonly objects: string;
  private readonly tmp: string;
  private readonly parts: LocalParts;

  constructor(
    root: string,
    private readonly publicUrl: string,
    private readonly secret: string,
  ) {
    this.objects = path.join(root, 'objects');
    this.tmp = path.join(root, 'tmp');
    this.parts = new LocalParts(path.join(root, 'multipart'));
  }

  /**
   * Creates the folders and removes temp files a crash left behind. Another live process
   * (a second `serve`, any CLI command) may share the folder, so only files untouched for
   * `staleMs` go: a live upload writes to its file at least once per transfer window, or
   * the minimum-rate guard cuts it off.
   */
  async init(staleMs = TEMP_STALE_MS): Promise<void> {
    await fs.mkdir(this.objects, { recursive: true, mode: 0o700 });
    await fs.mkdir(this.tmp, { recursive: true, mode: 0o700 });
    // Folders made by an older version were 0755; they are ours alone.
    for (const dir of [path.dirname(this.objects), this.objects, this.tmp]) await fs.chmod(dir, 0o700);
    const cutoff = Date.now() - staleMs;
    for (const name of await fs.readdir(this.tmp)) {
      const file = path.join(this.tmp, name);
      const st = await fs.stat(file).catch(() => null);
      if (st && st.mtimeMs < cutoff) await fs.rm(file, { recursive: true, force: true });
    }
    await this.parts.init(staleMs);
  }

  verifySignature(fields: SignedFields, signature: string, nowMs = Date.now()): Verdict {
    return verify(this.secret, fields, signature, nowMs);
  }

  private fileUrl(key: string, query: Record<string, string>): string {
    const qs = new URLSearchParams(query).toString();
    const encoded = key.split('/').map(encodeURIComponent).join('/');
    return `${this.publicUrl}/files/${encoded}${qs ? `?${qs}` : ''}`;
  }

  private uploadFields(method: 'PUT' | 'POST', key: string, o: PresignUpload): SignedFields {
    return { method, key, expires: Math.floor(o.expiresAt.getTime() / 1000), contentType: o.contentType, maxSize: o.maxSize, uploadId: o.uploadId };
  }

  async presignPut(key: string, o: PresignUpload): Promise<PresignedPut> {
    const fields = this.uploadFields('PUT', key, o);
    const url = this.fileUrl(key, {
      expires: String(fields.expires),
      max: String(o.maxSize),
      upload: o.uploadId,
      sig: sign(this.secret, fields),
    });
    return { url, headers: { 'Content-Type': o.contentType } };
  }

  async presignPost(key: string, o: PresignUpload): Promise<PresignedPost> {
    const fields = this.uploadFields('POST', key, o);
    return {
      url: this.fileUrl(key, {}),
      fields: {
        'Content-Type': o.contentType,
        [POST_FIELDS.expires]: String(fields.expires),
        [POST_FIELDS.maxSize]: String(o.maxSize),
        [POST_FIELDS.upload]: o.uploadId,
        [POST_FIELDS.signature]: sign(this.secret, fields),
      },
    };
  }

  async presignGet(key: string, o: PresignGet): Promise<string> {
    const fields: SignedFields = {
      method: 'GET',
      key,
      expires: Math.floor(o.expiresAt.getTime() / 1000),
      contentType: o.contentType,
      disposition: o.disposition,
      filename: o.filename,
    };
    return this.fileUrl(key, {
      expires: String(fields.expires),
      type: o.contentType,
      disposition: o.disposition,
      filename: o.filename,
      sig: sign(this.secret, fields),
    });
  }

  private pathOf(key: string): string {
    if (!isValidKey(key)) throw new ObjectNotFoundError(key);
    return path.join(this.objects, key);
  }

  localPath(key: string): string {
    return this.pathOf(key);
  }

  async head(key: string): Promise<ObjectInfo | null> {
    if (!isValidKey(key)) return null;
    try {
      const st = await fs.stat(this.pathOf(key), { bigint: true });
      if (!st.isFile()) return null;
      return { size: Number(st.size), etag: etagOf(st) };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const handle = await fs.open(this.pathOf(key), 'r').catch((err: unknown) => {
      throw isMissing(err) ? new ObjectNotFoundError(key) : err;
    });
    const st = await handle.stat();
    if (!st.isFile()) {
      await handle.close();
      throw new ObjectNotFoundError(key);
    }
    // The stream owns the handle (and closes it): a bare fd would be closed when the
    // FileHandle is garbage-collected, mid-read. It ends at the size just read: left to find the
    // end itself, it allocates a 256 KiB buffer for each read and one more for the read that
    // finds nothing, and V8 answers that much memory outside its heap with full collections
    // (every small file served paid for them).
    const end = range?.end ?? (st.size > 0 ? st.size - 1 : undefined);
    return handle.createReadStream({ start: range?.start, end, highWaterMark: 256 * 1024 });
  }

  async write(key: string, body: Readable, opts: WriteOptions): Promise<WrittenObject> {
    const target = this.pathOf(key);
    const temp = path.join(this.tmp, `${randomToken(16)}.part`);
    let published: ObjectInfo | undefined;
    try {
      let received: { size: number; sha256: string };
      try {
        received = await bodyToFile(body, temp, opts.maxSize);
      } catch (err) {
        if (err instanceof TooLargeError) throw new ObjectTooLargeError(opts.maxSize);
        if (isDiskError(err)) throw new StorageUnavailableError(err);
        throw new ObjectAbortedError(err);
      }
      // fsync is per file, not per descriptor: the bytes are on disk before they are visible
      // (or, deferred, before complete builds anything on them: sync()).
      let etag: string;
      try {
        // rename keeps inode, size and mtime, so this is the ETag the published object has.
        etag = etagOf(opts.deferSync ? await fs.stat(temp, { bigint: true }) : await syncFile(temp));
      } catch (err) {
        throw new StorageUnavailableError(err);
      }
      const written: WrittenObject = { ...received, etag };
      // publish() is often called inside a database transaction: it only renames (the
      // etag was read from the same inode above); the folder is fsynced after it returns.
      const publish = async (): Promise<ObjectInfo> => {
        await renameInto(temp, target);
        published = { size: written.size, etag };
        return published;
      };
      if (opts.around) await opts.around(written, publish);
      else await publish();
      if (!published) throw new Error('write(): around() returned without publishing');
      if (!opts.deferSync) await syncDir(path.dirname(target));
      return { ...published, sha256: written.sha256 };
    } finally {
      if (!published) {
        await fs.rm(temp, { force: true });
        await this.pruneEmptyParents(path.dirname(target));
      }
    }
  }

  async sync(key: string): Promise<boolean> {
    const file = this.pathOf(key);
    const st = await syncFile(file).catch((err: unknown) => {
      throw isMissing(err) ? new ObjectNotFoundError(key) : err;
    });
    await syncDir(path.dirname(file));
    return Number(st.mtimeMs) >= bootedAt();
  }

  async delete(key: string): Promise<void> {
    if (!isValidKey(key)) return;
    await fs.rm(path.join(this.objects, key), { force: true });
    await this.pruneEmptyParents(path.dirname(path.join(this.objects, key)));
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    for (const key of keys) await this.delete(key);
  }

  /** Intake serves this driver's URLs itself and refuses them once a session is closed: nothing to move. */
  async seal(key: string): Promise<string> {
    return key;
  }

  async deletePrefix(prefix: string): Promise<void> {
    if (!isValidKey(prefix)) return;
    const dir = path.join(this.objects, prefix);
    await fs.rm(dir, { recursive: true, force: true });
    await this.pruneEmptyParents(path.dirname(dir));
  }

  async *list(prefix = ''): AsyncIterable<ListedObject> {
    yield* this.walk(this.objects, prefix);
  }

  /** Streams the tree folder by folder (opendir), so a huge store is never held in memory. */
  private async *walk(dir: string, prefix: string): AsyncGenerator<ListedObject> {
    const handle = await fs.opendir(dir).catch((err: unknown) => {
      if (isMissing(err)) return null;
      throw err;
    });
    if (!handle) return;
    for await (const e of handle) {
      const full = path.join(dir, e.name);
      const key = path.relative(this.objects, full).split(path.sep).join('/');
      // Skip folders that cannot hold a key under the prefix.
      if (!(key.startsWith(prefix) || prefix.startsWith(`${key}/`))) continue;
      if (e.isDirectory()) yield* this.walk(full, prefix);
      else if (e.isFile() && key.startsWith(prefix) && isValidKey(key)) {
        const st = await fs.stat(full).catch(() => null);
        if (st) yield { key, size: st.size, lastModified: st.mtime };
      }
    }
  }

  async ping(): Promise<void> {
    await fs.access(this.objects, fs.constants.W_OK);
  }

  // Multipart uploads (resumable sessions): see local-parts.ts.

  createMultipart(key: string): Promise<string> {
    this.pathOf(key);
    return this.parts.create(key);
  }

  async presignPart(key: string, _multipartId: string, partNumber: number, o: PresignPart): Promise<string> {
    // No content type: a part is raw bytes, as with S3's UploadPart.
    const fields: SignedFields = { method: 'PUT', key, expires: Math.floor(o.expiresAt.getTime() / 1000), maxSize: o.maxSize, uploadId: o.uploadId, part: partNumber };
    return this.fileUrl(key, { part: String(partNumber), expires: String(fields.expires), max: String(o.maxSize), upload: o.uploadId, sig: sign(this.secret, fields) });
  }

  writePart(key: string, multipartId: string, partNumber: number, body: Readable, opts: WriteOptions): Promise<WrittenObject> {
    return this.parts.write(key, multipartId, partNumber, body, opts);
  }

  listParts(key: string, multipartId: string): Promise<StoredPart[]> {
    return this.parts.list(key, multipartId);
  }

  completeMultipart(key: string, multipartId: string, parts: PartChoice[]): Promise<AssembledObject> {
    return this.parts.complete(key, multipartId, parts, this.pathOf(key));
  }

  abortMultipart(key: string, multipartId: string): Promise<void> {
    return this.parts.abort(key, multipartId);
  }

  listMultipart(): AsyncIterable<OpenMultipart> {
    return this.parts.open();
  }

  /** Removes now-empty folders up to (not including) the objects root. */
  private async pruneEmptyParents(dir: string): Promise<void> {
    let current = dir;
    while (current.startsWith(this.objects + path.sep)) {
      try {
        await fs.rmdir(current);
      } catch {
        return;
      }
      current = path.dirname(current);
    }
  }
}
