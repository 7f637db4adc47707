/**
 * SigV4 query-string presigning for S3 GET and PUT URLs, written out by hand because the
 * SDK's presigner (middleware stack, endpoint rules, a fresh HMAC chain per URL) caps
 * `POST /v1/uploads` at a few thousand signatures per second per core. This one caches
 * the day's signing key and the bucket's base URL; its output is byte-for-byte the SDK's
 * (test/storage/sigv4-oracle.test.ts compares them over a table of cases with one clock).
 */
import { createHash, createHmac } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

export interface PresignRequest {
  method: 'GET' | 'PUT';
  key: string;
  /** Seconds, 1 to 604800. */
  expiresIn: number;
  /** Headers the client must send exactly as given (signed; `x-amz-*` ones stay headers). */
  headers?: Record<string, string>;
  /** Extra query parameters (e.g. `response-content-type`), signed. */
  query?: Record<string, string>;
  /** Signing time; now by default. */
  now?: Date;
  /** The SDK's `x-id` hint (PutObject / GetObject by method when absent; UploadPart for parts). */
  operation?: string;
}

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** RFC 3986 encoding as SigV4 wants it: only A-Z a-z 0-9 - _ . ~ stay as they are. */
function uriEncode(s: string): string {
  // Most keys and values (ids, dates, hex) need no encoding: skip the replace on the hot path.
  if (UNRESERVED.test(s)) return s;
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const UNRESERVED = /^[A-Za-z0-9\-_.~]*$/;

/** `20260115T103000Z` for a time, remembered for the second it names (many URLs share it). */
let stamp: { second: number; amzDate: string } | undefined;
function amzDateOf(now: Date): string {
  const second = Math.floor(now.getTime() / 1000);
  if (stamp?.second !== second) stamp = { second, amzDate: now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '') };
  return stamp.amzDate;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_EXPIRES_IN = 604_800;
const UNSIGNED = 'UNSIGNED-PAYLOAD';

export class SigV4Presigner {
  private base: Promise<{ origin: string; host: string; pathPrefix: string }> | undefined;
  private keyCache: { id: string; key: Buffer } | undefined;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  /**
   * The bucket's origin and path prefix, as the SDK's endpoint rules resolve them (path-
   * or virtual-hosted style, custom endpoints, AWS regions): asked once, from the SDK.
   */
  private baseUrl(): Promise<{ origin: string; host: string; pathPrefix: string }> {
    this.base ??= getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: 'k' }), { expiresIn: 60 }).then((u) => {
      const url = new URL(u);
      return { origin: url.origin, host: url.host, pathPrefix: url.pathname.slice(0, -'/k'.length) };
    });
    return this.base;
  }

  private cached: { creds: Credentials; region: string; until: number } | undefined;

  /**
   * Credentials and region, asked of the SDK once and kept until 5 minutes before the
   * credentials expire (never, for static keys): the provider chain is not free per URL.
   */
  private async identity(): Promise<{ creds: Credentials; region: string }> {
    if (this.cached && Date.now() < this.cached.until) return this.cached;
    const provider = this.client.config.credentials as () => Promise<Credentials & { expiration?: Date }>;
    const [creds, region] = await Promise.all([provider(), this.client.config.region()]);
    const until = creds.expiration ? creds.expiration.getTime() - 5 * 60_000 : Number.POSITIVE_INFINITY;
    this.cached = { creds, region, until };
    return this.cached;
  }

  private signingKey(secret: string, date: string, region: string): Buffer {
    const id = `${secret}\n${date}\n${region}`;
    if (this.keyCache?.id === id) return this.keyCache.key;
    const kDate = createHmac('sha256', `AWS4${secret}`).update(date).digest();
    const kRegion = createHmac('sha256', kDate).update(region).digest();
    const kService = createHmac('sha256', kRegion).update('s3').digest();
    const key = createHmac('sha256', kService).update('aws4_request').digest();
    this.keyCache = { id, key };
    return key;
  }

  async presign(req: PresignRequest): Promise<string> {
    // SigV4 query signatures last 1 s to 7 days. The SDK refuses more than 7 days but signs
    // 0, negative or fractional expiries into URLs every store rejects; refuse those too.
    if (!Number.isInteger(req.expiresIn) || req.expiresIn < 1 || req.expiresIn > MAX_EXPIRES_IN) {
      throw new RangeError(`SigV4 presigned URLs expire in 1 to ${MAX_EXPIRES_IN} whole seconds (got ${req.expiresIn})`);
    }
    const base = await this.baseUrl();
    const { creds, region } = await this.identity();
    const now = req.now ?? new Date();
    const amzDate = amzDateOf(now);
    const date = amzDate.slice(0, 8);
    const scope = `${date}/${region}/s3/aws4_request`;

    const headers = new Map<string, string>([['host', base.host]]);
    for (const [name, value] of Object.entries(req.headers ?? {})) headers.set(name.toLowerCase(), value.trim());
    const signedNames = [...headers.keys()].sort();
    const signedHeaders = signedNames.join(';');

    const query: [string, string][] = [
      ['X-Amz-Algorithm', ALGORITHM],
      ['X-Amz-Content-Sha256', UNSIGNED],
      ['X-Amz-Credential', `${creds.accessKeyId}/${scope}`],
      ['X-Amz-Date', amzDate],
      ['X-Amz-Expires', String(req.expiresIn)],
      ...(creds.sessionToken ? ([['X-Amz-Security-Token', creds.sessionToken]] as [string, string][]) : []),
      ['X-Amz-SignedHeaders', signedHeaders],
      ...Object.entries(req.query ?? {}),
      ['x-id', req.operation ?? (req.method === 'PUT' ? 'PutObject' : 'GetObject')],
    ];
    // Sorted by encoded name, as SigV4 canonicalises it (and as the SDK prints it).
    const encoded = query.map(([k, v]) => [uriEncode(k), uriEncode(v)] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const canonicalQuery = encoded.map(([k, v]) => `${k}=${v}`).join('&');
    const path = `${base.pathPrefix}/${req.key.split('/').map(uriEncode).join('/')}`;
    const canonicalHeaders = signedNames.map((n) => `${n}:${headers.get(n)}\n`).join('');
    const canonical = `${req.method}\n${path}\n${canonicalQuery}\n${canonicalHeaders}\n${signedHeaders}\n${UNSIGNED}`;
    const toSign = `${ALGORITHM}\n${amzDate}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
    const signature = createHmac('sha256', this.signingKey(creds.secretAccessKey, date, region)).update(toSign).digest('hex');
    const at = encoded.findIndex(([k]) => k > 'X-Amz-Signature');
    encoded.splice(at === -1 ? encoded.length : at, 0, ['X-Amz-Signature', signature]);
    return `${base.origin}${path}?${encoded.map(([k, v]) => `${k}=${v}`).join('&')}`;
  }
}

/** The same URL signed by the AWS SDK's own presigner: the oracle in tests, the baseline in the bench. */
export async function sdkPresign(client: S3Client, bucket: string, req: PresignRequest): Promise<string> {
  const h = Object.fromEntries(Object.entries(req.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const q = req.query ?? {};
  const options = {
    expiresIn: req.expiresIn,
    signingDate: req.now,
    signableHeaders: new Set(Object.keys(h)),
    unhoistableHeaders: new Set(Object.keys(h).filter((k) => k.startsWith('x-amz-'))),
  };
  if (req.operation === 'UploadPart') {
    const part = new UploadPartCommand({
      Bucket: bucket,
      Key: req.key,
      PartNumber: Number(q.partNumber),
      UploadId: q.uploadId,
      ContentLength: h['content-length'] === undefined ? undefined : Number(h['content-length']),
    });
    return getSignedUrl(client, part, options);
  }
  const command =
    req.method === 'PUT'
      ? new PutObjectCommand({
          Bucket: bucket,
          Key: req.key,
          ContentType: h['content-type'],
          ContentLength: h['content-length'] === undefined ? undefined : Number(h['content-length']),
          IfNoneMatch: h['if-none-match'],
          ChecksumSHA256: h['x-amz-checksum-sha256'],
        })
      : new GetObjectCommand({
          Bucket: bucket,
          Key: req.key,
          ResponseContentType: q['response-content-type'],
          ResponseContentDisposition: q['response-content-disposition'],
        });
  return getSignedUrl(client, command, options);
}
