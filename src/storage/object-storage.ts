/**
 * The storage seam. Drivers (local disk, S3) translate their vendor's errors into the
 * ones below; nothing above storage/ sees an `fs` or AWS error.
 */
import type { Readable } from 'node:stream';

export type Provider = 'local' | 's3';

export interface ObjectInfo {
  size: number;
  etag: string;
  /** SHA-256 (hex) of the whole object, only when the store itself computed or verified it. */
  sha256?: string;
}

export interface ListedObject {
  key: string;
  size: number;
  lastModified: Date;
}

export interface WrittenObject extends ObjectInfo {
  sha256: string;
}

export interface ByteRange {
  /** Inclusive offsets, as in HTTP Range. */
  start: number;
  end: number;
}

export interface PresignUpload {
  contentType: string;
  /** The most bytes the URL accepts. */
  maxSize: number;
  expiresAt: Date;
  /** The session the bytes belong to; bound into the signature. */
  uploadId: string;
  /** The declared SHA-256 (hex), signed into the URL where the store checks it. */
  sha256?: string;
  /**
   * false: sign no `If-None-Match: *` (a client that sends Content-Type and nothing else);
   * a second PUT may then replace the bytes until complete seals them. Default true.
   */
  ifNoneMatch?: boolean;
}

export interface PresignedPut {
  url: string;
  headers: Record<string, string>;
}

export interface PresignedPost {
  url: string;
  fields: Record<string, string>;
}

export interface PresignGet {
  expiresAt: Date;
  contentType: string;
  filename: string;
  /** attachment for anything a browser could execute. */
  disposition: 'inline' | 'attachment';
}

export interface WriteOptions {
  maxSize: number;
  /** The body's declared length (its Content-Length), when known; S3's writePart needs it. */
  length?: number;
  contentType: string;
  /**
   * The bytes need not be on disk yet when write() resolves (they are safe from a crash of
   * the process, not of the machine): the caller calls `sync(key)` before anything is built
   * on them. A signed PUT's bytes matter only once complete verifies them, so that is where
   * they are made durable.
   */
  deferSync?: boolean;
  /**
   * Runs once the bytes are written (durable, unless `deferSync`) but not yet visible at `key`; call `publish` to make
   * them visible. Throwing before publishing (or not publishing) discards them; once
   * published they stay. Lets a caller make the swap atomic with its own bookkeeping
   * (publish last inside a database transaction). `written.etag` is the ETag the object
   * will have once published.
   */
  around?: (written: WrittenObject, publish: () => Promise<ObjectInfo>) => Promise<void>;
}

/** A part URL: bound to its session, part number, size cap and expiry. */
export interface PresignPart {
  /** The most bytes this part may have. */
  maxSize: number;
  expiresAt: Date;
  uploadId: string;
}

export interface StoredPart {
  partNumber: number;
  size: number;
  etag: string;
}

export interface PartChoice {
  partNumber: number;
  etag: string;
}

/** A multipart upload still open in the store (for reconciliation). */
export interface OpenMultipart {
  key: string;
  multipartId: string;
  initiated: Date;
}

/** The assembled object; `sha256` when the driver could compute it on the way (local disk). */
export interface AssembledObject extends ObjectInfo {
  sha256?: string;
}

/**
 * Receiving a part on a URL Intake serves itself (local disk's part URLs; every driver's
 * `/store/resumable`): like `write`, with the
 * same `around` hook so the caller can publish the part inside its own transaction.
 */
export interface PartWriter {
  writePart(key: string, multipartId: string, partNumber: number, body: Readable, opts: WriteOptions): Promise<WrittenObject>;
}

export interface ObjectStorage extends PartWriter {
  readonly provider: Provider;
  /** The largest object one PUT or POST can store, when the store has such a limit (S3: 5 GiB); larger ones need a multipart upload. */
  readonly maxSingleUpload?: number;
  /** A URL the client PUTs the whole object to, bound to key, type, size and expiry. */
  presignPut(key: string, opts: PresignUpload): Promise<PresignedPut>;
  /** A URL and form fields for a browser multipart/form-data POST of the object. */
  presignPost(key: string, opts: PresignUpload): Promise<PresignedPost>;
  /** An expiring delivery URL that serves the object with safe headers. */
  presignGet(key: string, opts: PresignGet): Promise<string>;
  /** Size and ETag of the object, or null if there is none. */
  head(key: string): Promise<ObjectInfo | null>;
  /** Path of the object on this machine, when the driver keeps it on local disk (lets media tools read it in place). */
  localPath?(key: string): string;
  /** Streams the object (or a byte range of it); rejects with ObjectNotFoundError. */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /** Streams `body` into `key` with SHA-256 on the way; rejects with ObjectTooLargeError past maxSize and leaves nothing. */
  write(key: string, body: Readable, opts: WriteOptions): Promise<WrittenObject>;
  /**
   * Makes an object written with `deferSync` durable (its bytes and its name). Answers false
   * when it was written before the machine last started: pages not yet on disk then died
   * with it, so a digest taken as its bytes arrived can no longer vouch for them. Stores
   * whose writes are durable when they answer (S3) have no such method.
   */
  sync?(key: string): Promise<boolean>;
  /** Removes the object; a missing object is not an error. */
  delete(key: string): Promise<void>;
  /** Removes these objects (batched where the store can); missing ones are not an error. */
  deleteMany(keys: readonly string[]): Promise<void>;
  /**
   * Called by complete before it reads a byte of an object a URL was issued for: from then
   * on no such URL can change the bytes verified. Returns the key that holds them — the
   * same key where the driver's URLs already refuse a closed session (local disk), or a
   * server-side copy at a key no URL was ever issued for (S3, whose URLs stay valid until
   * they expire). Idempotent: calling it again after a crash finds the copy.
   */
  seal(key: string): Promise<string>;
  /** Removes every object whose key starts with `prefix/`. */
  deletePrefix(prefix: string): Promise<void>;
  /** Every object whose key starts with `prefix` (all when empty), for reconciliation; order unspecified. */
  list(prefix?: string): AsyncIterable<ListedObject>;
  /** Throws if the store cannot be reached, for readiness checks. */
  ping(): Promise<void>;
  /** Starts a multipart upload for `key` (called when a resumable session is created); returns its id. */
  createMultipart(key: string, opts: { contentType: string }): Promise<string>;
  /** A URL the client PUTs one part to; no Content-Type is required. */
  presignPart(key: string, multipartId: string, partNumber: number, opts: PresignPart): Promise<string>;
  /** The parts received so far, by ascending part number; rejects with MultipartNotFoundError once completed or aborted. */
  listParts(key: string, multipartId: string): Promise<StoredPart[]>;
  /** Joins `parts` (ascending, each with the ETag listParts gave) into the object at `key` and ends the multipart upload. */
  completeMultipart(key: string, multipartId: string, parts: PartChoice[]): Promise<AssembledObject>;
  /** Ends the multipart upload and deletes its parts; an unknown or finished one is not an error. */
  abortMultipart(key: string, multipartId: string): Promise<void>;
  /** Every multipart upload still open in the store, for reconciliation; order unspecified. */
  listMultipart(): AsyncIterable<OpenMultipart>;
}

/** A growing object: its key, and the store's multipart upload behind it where there is one (S3). */
export interface AppendTarget {
  key: string;
  multipartId: string | null;
}

/**
 * A growing object that each request adds to at its end (tus sessions). The bytes are
 * durable (fsynced) before a call resolves, so an offset once answered is never lost.
 */
export interface Appender {
  /**
   * Called before a session's first byte: starts what the growing object needs (S3: a
   * multipart upload, whose id the session keeps); null when nothing needs starting.
   */
  begin(key: string, contentType: string): Promise<string | null>;
  /** Bytes the growing object holds now (0 when none arrived yet; all of them once finished). */
  appendedSize(target: AppendTarget): Promise<number>;
  /**
   * Appends `body` when the object holds exactly `offset` bytes (else OffsetMismatchError).
   * Past `maxSize` it rejects with ObjectTooLargeError; a body that breaks off rejects with
   * ObjectAbortedError. Either way the object goes back to `offset` bytes unless
   * `keepPartial` (then the bytes that arrived before a break stay: a client resumes after
   * them) — on S3, bytes already stored as a part stay too (a part cannot be taken back;
   * the next offset says so). `accept`, called once the body ended and before it resolves,
   * may throw to refuse the bytes (a checksum): the object goes back to `offset` bytes.
   */
  append(target: AppendTarget, offset: number, body: Readable, opts: AppendOptions): Promise<AppendedBytes>;
  /**
   * Called once the last byte is in: makes the object whole and readable at `key` (S3: the
   * tail as the last part, then CompleteMultipartUpload). Calling it again after a crash
   * finds the object.
   */
  finish(target: AppendTarget, appended: AppendedBytes): Promise<ObjectInfo>;
}

export interface AppendOptions {
  maxSize: number;
  keepPartial: boolean;
  /**
   * A request that brings the last byte leaves its fsync to the caller, who completes the
   * upload and calls `sync(key)` before building anything on the bytes (local disk).
   */
  deferLastSync?: boolean;
  /** Digests of this request's bytes to compute on the way (sha256, sha1, md5). */
  digests?: readonly string[];
  accept?: (appended: AppendedBytes) => Promise<void>;
}

export interface AppendedBytes {
  /** The object's size now. */
  size: number;
  /** The object's ETag now. */
  etag: string;
  /** This request's bytes, by each algorithm asked for. */
  digests: Record<string, Buffer>;
}

/** The growing object does not hold the bytes the caller thinks it does. */
export class OffsetMismatchError extends Error {
  constructor(readonly actual: number) {
    super(`the object holds ${actual} bytes`);
    this.name = 'OffsetMismatchError';
  }
}

/** The multipart upload was completed or aborted (or never existed). */
export class MultipartNotFoundError extends Error {
  constructor(readonly multipartId: string) {
    super(`no multipart upload ${multipartId}`);
    this.name = 'MultipartNotFoundError';
  }
}

export class ObjectNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`no object at ${key}`);
    this.name = 'ObjectNotFoundError';
  }
}

export class ObjectTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`object larger than ${limit} bytes`);
    this.name = 'ObjectTooLargeError';
  }
}

/** The store itself failed (disk full, I/O error, out of file handles): not the client's fault; retry later. */
export class StorageUnavailableError extends Error {
  constructor(cause?: unknown) {
    super(`storage failed: ${(cause as Error)?.message ?? 'unknown error'}`, { cause });
    this.name = 'StorageUnavailableError';
  }
}

/** The body ended or failed before it was complete (client went away). */
export class ObjectAbortedError extends Error {
  constructor(cause?: unknown) {
    super('upload stream aborted', { cause });
    this.name = 'ObjectAbortedError';
  }
}
