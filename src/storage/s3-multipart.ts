/**
 * Multipart uploads of the S3 driver: CreateMultipartUpload when a resumable session is
 * made, presigned UploadPart URLs (the part's exact size signed, so the store itself
 * refuses any other), ListParts, CompleteMultipartUpload, AbortMultipartUpload, and
 * ListMultipartUploads for reconciliation. Parts sent to presigned URLs never pass through
 * Intake; parts sent to Intake's own store URL (`/store/resumable`) are streamed on with
 * UploadPart (writePart), and a tus session's parts are uploaded from its tail file (upload,
 * by s3-append.ts).
 */
import { pipeline, type Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { HashingMeter, TooLargeError } from '../lib/hashing.js';
import {
  MultipartNotFoundError,
  ObjectAbortedError,
  ObjectTooLargeError,
  StorageUnavailableError,
  type WriteOptions,
  type WrittenObject,
  type AssembledObject,
  type ObjectInfo,
  type OpenMultipart,
  type PartChoice,
  type PresignPart,
  type StoredPart,
} from './object-storage.js';
import { quoted, statusOf, storageError } from './s3-client.js';
import type { PresignRequest } from './sigv4.js';

export interface S3MultipartDeps {
  s3: S3Client;
  bucket: string;
  sign(req: PresignRequest): Promise<string>;
  ttl(expiresAt: Date): number;
  head(key: string): Promise<ObjectInfo | null>;
}

function isNoSuchUpload(err: unknown): boolean {
  return (err as { name?: string } | null)?.name === 'NoSuchUpload' || statusOf(err) === 404;
}

export class S3Multipart {
  /** Parts and uploads per list page (S3's maximum; smaller in tests, to exercise paging). */
  pageSize = 1000;

  constructor(private readonly d: S3MultipartDeps) {}

  async create(key: string, contentType: string): Promise<string> {
    const out = await this.d.s3.send(new CreateMultipartUploadCommand({ Bucket: this.d.bucket, Key: key, ContentType: contentType })).catch((err: unknown) => {
      throw storageError(err);
    });
    if (!out.UploadId) throw new StorageUnavailableError(new Error('CreateMultipartUpload gave no UploadId'));
    return out.UploadId;
  }

  presignPart(key: string, multipartId: string, partNumber: number, o: PresignPart): Promise<string> {
    return this.d.sign({
      method: 'PUT',
      key,
      expiresIn: this.d.ttl(o.expiresAt),
      headers: { 'Content-Length': String(o.maxSize) },
      query: { partNumber: String(partNumber), uploadId: multipartId },
      operation: 'UploadPart',
    });
  }

  /**
   * Streams one part with UploadPart. S3 needs the part's length up front (`opts.length`,
   * the request's Content-Length), and a part is in the upload once sent: `around` gets a
   * publish that does nothing more (a part whose bookkeeping then fails is never listed by
   * the client, and goes with the upload's abort or is replaced by a re-send).
   */
  async writePart(key: string, multipartId: string, partNumber: number, body: Readable, opts: WriteOptions): Promise<WrittenObject> {
    if (opts.length === undefined) throw new ObjectAbortedError(new Error('UploadPart needs the part length'));
    if (opts.length > opts.maxSize) throw new ObjectTooLargeError(opts.maxSize);
    const meter = new HashingMeter(opts.maxSize);
    let bodyError: unknown;
    // A body cut off (or over the cap) must end the store's request too: piped, it would wait for bytes that never come.
    const abort = new AbortController();
    const source = pipeline(body, meter, (err) => {
      if (!err) return;
      bodyError ??= err;
      abort.abort();
    });
    let etag: string;
    try {
      const command = new UploadPartCommand({ Bucket: this.d.bucket, Key: key, UploadId: multipartId, PartNumber: partNumber, Body: source, ContentLength: opts.length });
      const out = await this.d.s3.send(command, { abortSignal: abort.signal });
      etag = quoted(out.ETag);
    } catch (err) {
      const cause = bodyError ?? err;
      if (cause instanceof TooLargeError) throw new ObjectTooLargeError(opts.maxSize);
      if (bodyError) throw new ObjectAbortedError(bodyError);
      source.destroy();
      throw isNoSuchUpload(err) ? new MultipartNotFoundError(multipartId) : storageError(err);
    }
    const written: WrittenObject = { size: meter.bytes, sha256: meter.digest(), etag };
    if (opts.around) await opts.around(written, async () => ({ size: written.size, etag }));
    return written;
  }

  /** Intake's own UploadPart (tus on S3: a tail file becoming a part); `size` bytes exactly. */
  async upload(key: string, multipartId: string, partNumber: number, body: Readable, size: number): Promise<StoredPart> {
    const out = await this.d.s3
      .send(new UploadPartCommand({ Bucket: this.d.bucket, Key: key, UploadId: multipartId, PartNumber: partNumber, Body: body, ContentLength: size }))
      .catch((err: unknown) => {
        throw isNoSuchUpload(err) ? new MultipartNotFoundError(multipartId) : storageError(err);
      });
    return { partNumber, size, etag: quoted(out.ETag) };
  }

  async list(key: string, multipartId: string): Promise<StoredPart[]> {
    const parts: StoredPart[] = [];
    let marker: string | undefined;
    for (;;) {
      const page = await this.d.s3
        .send(new ListPartsCommand({ Bucket: this.d.bucket, Key: key, UploadId: multipartId, PartNumberMarker: marker, MaxParts: this.pageSize }))
        .catch((err: unknown) => {
          throw isNoSuchUpload(err) ? new MultipartNotFoundError(multipartId) : storageError(err);
        });
      for (const p of page.Parts ?? []) parts.push({ partNumber: p.PartNumber ?? 0, size: p.Size ?? 0, etag: quoted(p.ETag) });
      if (!page.IsTruncated || !page.NextPartNumberMarker) break;
      marker = page.NextPartNumberMarker;
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  async complete(key: string, multipartId: string, parts: PartChoice[]): Promise<AssembledObject> {
    await this.d.s3
      .send(
        new CompleteMultipartUploadCommand({
          Bucket: this.d.bucket,
          Key: key,
          UploadId: multipartId,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
        }),
      )
      .catch((err: unknown) => {
        throw isNoSuchUpload(err) ? new MultipartNotFoundError(multipartId) : storageError(err);
      });
    const info = await this.d.head(key);
    if (!info) throw new StorageUnavailableError(new Error(`the store lost ${key} after completing it`));
    // A multipart object's checksum is composite: the whole-object SHA-256 is computed by complete.
    return { size: info.size, etag: info.etag };
  }

  async abort(key: string, multipartId: string): Promise<void> {
    await this.d.s3.send(new AbortMultipartUploadCommand({ Bucket: this.d.bucket, Key: key, UploadId: multipartId })).catch((err: unknown) => {
      if (!isNoSuchUpload(err)) throw storageError(err);
    });
  }

  async *open(): AsyncIterable<OpenMultipart> {
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    for (;;) {
      const page = await this.d.s3
        .send(new ListMultipartUploadsCommand({ Bucket: this.d.bucket, KeyMarker: keyMarker, UploadIdMarker: idMarker, MaxUploads: this.pageSize }))
        .catch((err: unknown) => {
          throw storageError(err);
        });
      for (const u of page.Uploads ?? []) {
        if (u.Key && u.UploadId) yield { key: u.Key, multipartId: u.UploadId, initiated: u.Initiated ?? new Date(0) };
      }
      if (!page.IsTruncated) break;
      keyMarker = page.NextKeyMarker;
      idMarker = page.NextUploadIdMarker;
    }
  }
}
