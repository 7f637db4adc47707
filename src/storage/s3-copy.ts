/**
 * Server-side copy of one object, pinned to the version that was inspected (If-Match on
 * the source ETag): the bytes never pass through Intake. S3 copies at most 5 GiB in one
 * request; larger objects are copied part by part (UploadPartCopy).
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ObjectNotFoundError, type ObjectInfo } from './object-storage.js';
import { isNotFound, quoted, statusOf, storageError } from './s3-client.js';

export interface CopyOptions {
  /** Ask the store for a SHA-256 of the copy (where it computes checksums). */
  checksumSha256?: boolean;
  /** Largest object copied in one request (S3: 5 GiB). */
  singleCopyMax?: number;
  /** Part size when copying in parts: 1 GiB keeps a 5 TiB object under 10,000 parts. */
  partSize?: number;
}

/** Rejects with ObjectNotFoundError when the source is gone or no longer has `source.etag`. */
export async function copyObject(s3: S3Client, bucket: string, from: string, to: string, source: ObjectInfo, o: CopyOptions = {}): Promise<ObjectInfo> {
  const copySource = `${bucket}/${from.split('/').map(encodeURIComponent).join('/')}`;
  try {
    if (source.size <= (o.singleCopyMax ?? 5 * 1024 ** 3)) {
      const out = await s3.send(
        new CopyObjectCommand({
          Bucket: bucket, Key: to, CopySource: copySource, CopySourceIfMatch: source.etag,
          ChecksumAlgorithm: o.checksumSha256 ? 'SHA256' : undefined,
        }),
      );
      return { size: source.size, etag: quoted(out.CopyObjectResult?.ETag) || (await etagOf(s3, bucket, to)) };
    }
    return await copyInParts(s3, bucket, to, copySource, source, o.partSize ?? 1024 ** 3);
  } catch (err) {
    if (isNotFound(err) || statusOf(err) === 412) throw new ObjectNotFoundError(from);
    throw storageError(err);
  }
}

async function copyInParts(s3: S3Client, bucket: string, to: string, copySource: string, source: ObjectInfo, partSize: number): Promise<ObjectInfo> {
  const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: to }));
  const uploadId = created.UploadId!;
  try {
    const parts: { PartNumber: number; ETag: string }[] = [];
    for (let start = 0, n = 1; start < source.size; start += partSize, n++) {
      const end = Math.min(source.size, start + partSize) - 1;
      const out = await s3.send(
        new UploadPartCopyCommand({
          Bucket: bucket, Key: to, UploadId: uploadId, PartNumber: n,
          CopySource: copySource, CopySourceIfMatch: source.etag, CopySourceRange: `bytes=${start}-${end}`,
        }),
      );
      parts.push({ PartNumber: n, ETag: out.CopyPartResult?.ETag ?? '' });
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: to, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
  } catch (err) {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: to, UploadId: uploadId })).catch(() => undefined);
    throw err;
  }
  // Ceph answers CompleteMultipartUpload with an empty ETag: ask for it.
  return { size: source.size, etag: await etagOf(s3, bucket, to) };
}

async function etagOf(s3: S3Client, bucket: string, key: string): Promise<string> {
  return quoted((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ETag);
}
