/**
 * What `upload()` reads bytes from. A browser `File`/`Blob` is one as it is; Node gets
 * `fileSource(path)` from `@intake/sdk/node`, which reads ranges as file streams.
 */

export interface UploadSource {
  /** The name sent as `filename`. */
  readonly name: string;
  /** Bytes in the file. */
  readonly size: number;
  /** The MIME type sent as `content_type` (`''` when unknown: then pass `contentType`). */
  readonly type: string;
  /** Stable for the same file on the same machine (name, size, modification time…): the key a session is resumed by. */
  readonly fingerprint: string;
  /** The bytes [start, end) as a fetch body: a Blob, or a stream (sent with `Content-Length` and `duplex: 'half'`). */
  slice(start: number, end: number): Blob | ReadableStream<Uint8Array>;
  /** The whole file as a stream, read once to compute its SHA-256. */
  stream(): ReadableStream<Uint8Array>;
}

/** A browser `File` (or any `Blob` with a `name`). */
export interface NamedBlob extends Blob {
  readonly name: string;
  readonly lastModified?: number;
}

/** An `UploadSource` over a Blob or File; `name` is needed for a bare Blob. */
export function blobSource(blob: Blob | NamedBlob, name?: string): UploadSource {
  const filename = name ?? ('name' in blob ? blob.name : undefined);
  if (!filename) throw new TypeError('A Blob has no name: pass the filename (upload(blob, { filename })).');
  const lastModified = 'lastModified' in blob && typeof blob.lastModified === 'number' ? blob.lastModified : 0;
  return {
    name: filename,
    size: blob.size,
    type: blob.type,
    fingerprint: ['blob', filename, blob.size, blob.type, lastModified].join(':'),
    slice: (start, end) => blob.slice(start, end),
    stream: () => blob.stream() as ReadableStream<Uint8Array>,
  };
}

export function isUploadSource(value: unknown): value is UploadSource {
  return typeof value === 'object' && value !== null && typeof (value as UploadSource).fingerprint === 'string' && typeof (value as UploadSource).slice === 'function' && typeof (value as UploadSource).stream === 'function';
}
