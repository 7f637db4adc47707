/**
 * S3-compatible driver (AWS S3, R2, MinIO, Ceph RGW). Browsers send bytes straight to the
 * bucket through presigned URLs; Intake only signs, inspects and copies server-side.
 * Every SDK failure is translated here (s3-client.ts): nothing above storage/ sees one.
 */
import { pipeline, Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { HashingMeter, TooLargeError } from '../lib/hashing.js';
import { randomToken } from '../lib/ids.js';
import { isValidKey } from './keys.js';
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
  type PresignPart,
  type StoredPart,
  type PresignGet,
  type PresignUpload,
  type PresignedPost,
  type PresignedPut,
  type WriteOptions,
  type WrittenObject,
} from './object-storage.js';
import { copyObject, type CopyOptions } from './s3-copy.js';
import { createS3Clients, isNotFound, quoted, storageError, type S3Clients, type S3Settings } from './s3-client.js';
import { SigV4Presigner, type PresignRequest } from './sigv4.js';
import { S3Multipart } from './s3-multipart.js';
import { S3Appender } from './s3-append.js';

/** Suffix of the key complete copies verified bytes to; the driver never signs a URL for it. */
const SEALED_SUFFIX = '.sealed';
/** Marks the temporary object write() streams to before publish() copies it into place. */
const TEMP_MARK = '.tmp-';
/** S3 allows at most 1,000 keys per DeleteObjects. */
const DELETE_BATCH = 1000;
/** Parts of write()'s multipart upload. */
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE = 2;

export class S3Storage implements ObjectStorage {
  readonly provider = 's3' as const;
  /** S3's PutObject limit: larger objects are only possible as multipart uploads (resumable sessions). */
  readonly maxSingleUpload = 5 * 1024 ** 3;
  readonly clients: S3Clients;
  /** Keys per ListObjectsV2 page (S3's maximum; smaller in tests, to exercise paging). */
  pageSize = 1000;
  /** How copies are made (part sizes are smaller in tests, to exercise copying in parts). */
  copyOptions: CopyOptions;
  private readonly s3: S3Client;
  private readonly signer: SigV4Presigner;
  /** Multipart uploads of resumable sessions (s3-multipart.ts). */
  readonly multipart: S3Multipart;

  /** tus sessions' growing objects (s3-append.ts); null without a folder for their tails. */
  readonly appender: S3Appender | null;

  constructor(readonly settings: S3Settings, clients?: S3Clients, opts: { appendDir?: string } = {}) {
    this.clients = clients ?? createS3Clients(settings);
    this.s3 = this.clients.api;
    this.signer = new SigV4Presigner(this.clients.presign, settings.bucket);
    // Where the store verifies checksums, it computes the copy's SHA-256 itself: complete
    // then needs no pass over the bytes.
    this.copyOptions = { checksumSha256: settings.verifiesChecksums };
    this.multipart = new S3Multipart({ s3: this.s3, bucket: settings.bucket, sign: (r) => this.sign(r), ttl: (d) => this.ttl(d), head: (k) => this.head(k) });
    this.appender = opts.appendDir ? new S3Appender(this.multipart, (k) => this.head(k), opts.appendDir) : null;
  }

  private ttl(expiresAt: Date): number {
    // SigV4 query signatures last 1 s to 7 days.
    return Math.min(604_800, Math.max(1, Math.floor((expiresAt.getTime() - Date.now()) / 1000)));
  }

  private checkUploadKey(key: string): void {
    if (!isValidKey(key) || key.endsWith(SEALED_SUFFIX)) throw new Error(`refusing to sign an upload URL for ${key}`);
  }

  async presignPut(key: string, o: PresignUpload): Promise<PresignedPut> {
    this.checkUploadKey(key);
    // Signed headers make the store itself refuse another type or size; If-None-Match: *
    // makes it refuse a second PUT while the object exists (where it honours that).
    const headers: Record<string, string> = { 'Content-Type': o.contentType };
    if (this.settings.conditionalWrites && o.ifNoneMatch !== false) headers['If-None-Match'] = '*';
    if (this.settings.verifiesChecksums && o.sha256) headers['x-amz-checksum-sha256'] = Buffer.from(o.sha256, 'hex').toString('base64');
    const url = await this.sign({ method: 'PUT', key, expiresIn: this.ttl(o.expiresAt), headers: { ...headers, 'Content-Length': String(o.maxSize) } });
    return { url, headers };
  }

  async presignPost(key: string, o: PresignUpload): Promise<PresignedPost> {
    this.checkUploadKey(key);
    const post = await createPresignedPost(this.clients.presign, {
      Bucket: this.settings.bucket,
      Key: key,
      Expires: this.ttl(o.expiresAt),
      Fields: { 'Content-Type': o.contentType },
      // The policy binds the exact key (added by the SDK), the type and the size range.
      Conditions: [['content-length-range', 1, o.maxSize], ['eq', '$Content-Type', o.contentType]],
    }).catch((err: unknown) => {
      throw storageError(err);
    });
    return { url: post.url, fields: post.fields };
  }

  /** Signing needs no request, but resolving credentials (an instance role, say) may fail. */
  private async sign(req: PresignRequest): Promise<string> {
    try {
      return await this.signer.presign(req);
    } catch (err) {
      throw storageError(err);
    }
  }

  async presignGet(key: string, o: PresignGet): Promise<string> {
    return this.sign({
      method: 'GET',
      key,
      expiresIn: this.ttl(o.expiresAt),
      query: {
        'response-content-type': o.contentType,
        'response-content-disposition': `${o.disposition}; filename*=UTF-8''${encodeURIComponent(o.filename)}`,
      },
    });
  }

  async head(key: string): Promise<ObjectInfo | null> {
    if (!isValidKey(key)) return null;
    try {
      const checksums = this.settings.verifiesChecksums;
      const out = await this.s3.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: key, ChecksumMode: checksums ? 'ENABLED' : undefined }));
      const info: ObjectInfo = { size: out.ContentLength ?? 0, etag: quoted(out.ETag) };
      // Trusted only from a store known to verify it, and only a whole-object one (a
      // multipart upload's is a checksum of part checksums).
      if (checksums && out.ChecksumSHA256 && out.ChecksumType !== 'COMPOSITE' && !out.ChecksumSHA256.includes('-')) {
        info.sha256 = Buffer.from(out.ChecksumSHA256, 'base64').toString('hex');
      }
      return info;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw storageError(err);
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    if (!isValidKey(key)) throw new ObjectNotFoundError(key);
    try {
      const out = await this.s3.send(
        new GetObjectCommand({ Bucket: this.settings.bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
      );
      return out.Body as Readable;
    } catch (err) {
      // A range starting past the end of an object (an empty one, say): no bytes, as on disk.
      if (range && (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416) return Readable.from([]);
      throw storageError(err, key);
    }
  }

  async write(key: string, body: Readable, opts: WriteOptions): Promise<WrittenObject> {
    if (!isValidKey(key)) throw new Error(`invalid key ${key}`);
    // Streamed to a temporary key first, so the object is never visible half-written and
    // around() can still say no; publish() copies it into place server-side.
    const temp = `${key}${TEMP_MARK}${randomToken(12)}`;
    let published: ObjectInfo | undefined;
    try {
      const { size, sha256 } = await this.upload(temp, body, opts);
      const stored = await this.head(temp);
      if (!stored) throw new StorageUnavailableError(new Error(`the store lost ${temp}`));
      const written: WrittenObject = { size, sha256, etag: stored.etag };
      const publish = async (): Promise<ObjectInfo> => {
        published = await copyObject(this.s3, this.settings.bucket, temp, key, stored, this.copyOptions);
        return published;
      };
      if (opts.around) await opts.around(written, publish);
      else await publish();
      if (!published) throw new Error('write(): around() returned without publishing');
      return { ...published, sha256: written.sha256 };
    } finally {
      await this.delete(temp).catch(() => undefined);
    }
  }

  /**
   * Streams `body` to `key` with SHA-256 and the size limit on the way: one PutObject when
   * it fits a part, else a multipart upload aborted on failure. Memory stays at about
   * PART_SIZE × QUEUE whatever the size.
   */
  private async upload(key: string, body: Readable, opts: WriteOptions): Promise<{ size: number; sha256: string }> {
    const meter = new HashingMeter(opts.maxSize);
    let bodyError: unknown;
    const source = pipeline(body, meter, (err) => {
      bodyError ??= err;
    });
    try {
      await new Upload({
        client: this.s3,
        params: { Bucket: this.settings.bucket, Key: key, Body: source, ContentType: opts.contentType },
        partSize: PART_SIZE,
        queueSize: QUEUE,
        leavePartsOnError: false,
      }).done();
    } catch (err) {
      const cause = bodyError ?? err;
      if (cause instanceof TooLargeError) throw new ObjectTooLargeError(opts.maxSize);
      if (bodyError) throw new ObjectAbortedError(bodyError);
      // The store failed: stop reading the body (and let its sender go) rather than leave it paused.
      source.destroy();
      throw storageError(err);
    }
    return { size: meter.bytes, sha256: meter.digest() };
  }

  async delete(key: string): Promise<void> {
    if (!isValidKey(key)) return;
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: key }));
    } catch (err) {
      if (!isNotFound(err)) throw storageError(err);
    }
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    const valid = keys.filter(isValidKey);
    for (let i = 0; i < valid.length; i += DELETE_BATCH) {
      const batch = valid.slice(i, i + DELETE_BATCH);
      const out = await this.s3
        .send(new DeleteObjectsCommand({ Bucket: this.settings.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }))
        .catch((err: unknown) => {
          throw storageError(err);
        });
      const failed = (out.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length) throw new StorageUnavailableError(new Error(`could not delete ${failed.length} objects: ${failed[0]?.Code} ${failed[0]?.Message}`));
    }
  }

  async seal(key: string): Promise<string> {
    const sealed = `${key}${SEALED_SUFFIX}`;
    // Three tries: without conditional writes a PUT may replace the object between HEAD and copy.
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await this.head(key);
      if (!current) return (await this.head(sealed)) ? sealed : key;
      try {
        await copyObject(this.s3, this.settings.bucket, key, sealed, current, this.copyOptions);
      } catch (err) {
        if (err instanceof ObjectNotFoundError) continue;
        throw err;
      }
      await this.delete(key);
      return sealed;
    }
    throw new StorageUnavailableError(new Error(`${key} kept changing while it was sealed`));
  }

  async deletePrefix(prefix: string): Promise<void> {
    if (!isValidKey(prefix)) return;
    let batch: string[] = [];
    for await (const o of this.list(`${prefix}/`)) {
      batch.push(o.key);
      if (batch.length === DELETE_BATCH) {
        await this.deleteMany(batch);
        batch = [];
      }
    }
    await this.deleteMany(batch);
  }

  /** One page (up to 1,000 keys) at a time, so a huge bucket is never held in memory. */
  async *list(prefix = ''): AsyncIterable<ListedObject> {
    let token: string | undefined;
    do {
      const page = await this.s3
        .send(new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: prefix || undefined, ContinuationToken: token, MaxKeys: this.pageSize }))
        .catch((err: unknown) => {
          throw storageError(err);
        });
      for (const o of page.Contents ?? []) {
        if (o.Key && isValidKey(o.Key)) yield { key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async ping(): Promise<void> {
    try {
      await this.s3.send(new HeadBucketCommand({ Bucket: this.settings.bucket }));
    } catch (err) {
      throw storageError(err);
    }
  }
  // Multipart uploads of resumable sessions: see s3-multipart.ts.

  createMultipart(key: string, opts: { contentType: string }): Promise<string> {
    this.checkUploadKey(key);
    return this.multipart.create(key, opts.contentType);
  }

  presignPart(key: string, multipartId: string, partNumber: number, o: PresignPart): Promise<string> {
    return this.multipart.presignPart(key, multipartId, partNumber, o);
  }

  listParts(key: string, multipartId: string): Promise<StoredPart[]> {
    return this.multipart.list(key, multipartId);
  }

  writePart(key: string, multipartId: string, partNumber: number, body: Readable, opts: WriteOptions): Promise<WrittenObject> {
    return this.multipart.writePart(key, multipartId, partNumber, body, opts);
  }

  completeMultipart(key: string, multipartId: string, parts: PartChoice[]): Promise<AssembledObject> {
    return this.multipart.complete(key, multipartId, parts);
  }

  async abortMultipart(key: string, multipartId: string): Promise<void> {
    await this.multipart.abort(key, multipartId);
    // A tus session's bytes not yet stored as a part.
    await this.appender?.drop(multipartId);
  }

  listMultipart(): AsyncIterable<OpenMultipart> {
    return this.multipart.open();
  }

}
