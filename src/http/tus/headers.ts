/**
 * tus 1.0.0 headers (https://tus.io/protocols/resumable-upload): what Intake speaks, and
 * the parsing of the request headers that carry values (Upload-Metadata, Upload-Checksum).
 */
import { IntakeError, invalid } from '../../lib/errors.js';
import type { ChunkChecksum } from '../../uploads/append/append-session.js';

export const TUS_VERSION = '1.0.0';
export const TUS_EXTENSIONS = 'creation,creation-with-upload,creation-defer-length,expiration,checksum,termination,concatenation';
/** tus names → node:crypto names. */
const CHECKSUMS: Record<string, string> = { sha1: 'sha1', sha256: 'sha256', md5: 'md5' };
export const TUS_CHECKSUMS = Object.keys(CHECKSUMS).join(',');
export const TUS_CONTENT_TYPE = 'application/offset+octet-stream';

/** CORS for browsers on any origin: the credentials are a header or the URL's token, never a cookie. */
export const CORS_ALLOW_HEADERS =
  'Authorization, Content-Type, Tus-Resumable, Upload-Length, Upload-Metadata, Upload-Offset, Upload-Defer-Length, Upload-Concat, Upload-Checksum, X-HTTP-Method-Override, X-Requested-With, X-Request-ID';
export const CORS_EXPOSE_HEADERS =
  'Location, Upload-Offset, Upload-Length, Upload-Metadata, Upload-Expires, Upload-Defer-Length, Upload-Concat, Tus-Resumable, Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm, X-Request-Id';

/** `Upload-Metadata: key base64,key2 base64,flag` → values as UTF-8 (a flag's is ''). */
export function parseMetadata(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const pair of header.split(',')) {
    const [key, value, extra] = pair.trim().split(' ');
    if (!key || extra !== undefined || !/^[\x21-\x7e]+$/.test(key) || (value !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(value))) {
      throw invalid('Upload-Metadata must be comma-separated "key base64value" pairs.', 'Upload-Metadata');
    }
    if (key in out) throw invalid(`Upload-Metadata names "${key}" twice.`, 'Upload-Metadata');
    out[key] = value === undefined ? '' : Buffer.from(value, 'base64').toString('utf8');
  }
  return out;
}

/** `Upload-Checksum: <algorithm> <base64 digest>` */
export function parseChecksum(header: string | undefined): ChunkChecksum | undefined {
  if (header === undefined) return undefined;
  const [name, value, extra] = header.trim().split(' ');
  const algorithm = CHECKSUMS[name?.toLowerCase() ?? ''];
  if (!algorithm) throw invalid(`Upload-Checksum algorithm "${name}" is not supported (${TUS_CHECKSUMS}).`, 'Upload-Checksum');
  if (!value || extra !== undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) throw invalid('Upload-Checksum must be "<algorithm> <base64 digest>".', 'Upload-Checksum');
  return { algorithm, expected: Buffer.from(value, 'base64') };
}

/** A non-negative integer header, or undefined when absent. */
export function intHeader(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,16}$/.test(value)) throw invalid(`${name} must be a non-negative integer.`, name);
  return Number(value);
}

export function requireVersion(value: string | undefined): void {
  if (value !== TUS_VERSION) {
    throw new IntakeError('invalid_request', `Send Tus-Resumable: ${TUS_VERSION} (the tus version Intake speaks).`, { reason: 'unsupported_version', field: 'Tus-Resumable' });
  }
}
