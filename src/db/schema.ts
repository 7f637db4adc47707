/**
 * Table types as Kysely sees them. Timestamps are ISO-8601 UTC strings and booleans are
 * 0/1 integers on every dialect, so rows look the same on SQLite and PostgreSQL.
 */
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { StoredErrorCode } from '../lib/errors.js';

export interface NamespacesTable {
  id: string;
  name: string;
  quota_bytes: number | null;
  /** JSON object: per-kind byte limits. */
  limits: string;
  stored_bytes: Generated<number>;
  reserved_bytes: Generated<number>;
  created_at: string;
  /** 1: GET /p/{namespace_id}/{alias} serves its assets without a key. */
  public_delivery: Generated<number>;
  /** JSON object: named image transforms (name → width, height, fit, format, quality), usable on /p/ URLs. */
  presets: Generated<string>;
}

export interface ApiKeysTable {
  id: string;
  namespace_id: string | null;
  name: string;
  role: 'admin' | 'namespace';
  key_hash: string;
  key_prefix: string;
  created_at: string;
  revoked_at: string | null;
  /** The secret's last 4 characters, shown in key lists; null for keys made before it was kept. */
  key_last4: string | null;
}

/** uploads.asset_id of a `create_asset: false` session not yet attached to an asset (the column is NOT NULL). */
export const NO_ASSET = '';

export const UPLOAD_STATUSES = ['pending', 'uploading', 'processing', 'storing', 'completed', 'failed', 'canceled', 'expired'] as const;
export type UploadStatus = (typeof UPLOAD_STATUSES)[number];
/** Statuses in which bytes may still arrive. */
export const OPEN_STATUSES = ['pending', 'uploading'] as const satisfies readonly UploadStatus[];
/** `tus`: bytes appended by tus PATCH requests; `import`: fetched by Intake from a URL. */
export type UploadMethod = 'PUT' | 'POST' | 'form' | 'multipart' | 'tus' | 'import';

export interface UploadsTable {
  id: string;
  /** A UUID naming the session too (APIs that type upload ids as UUIDs); null only on rows another version wrote. */
  uuid: string | null;
  namespace_id: string;
  asset_id: string;
  filename: string;
  content_type: string;
  file_size: number;
  kind: string;
  storage_key: string;
  method: UploadMethod;
  resumable: number;
  part_size: number | null;
  file_hash: string | null;
  skip_duplicates: number;
  status: UploadStatus;
  progress: number;
  /** Set when failed: an ErrorCode, or a code only a row stores (src/lib/errors.ts). */
  error_code: StoredErrorCode | null;
  error_message: string | null;
  /** JSON object or null. */
  error_details: string | null;
  /** JSON: the session's conditions, or null. */
  conditions: string | null;
  /** JSON: width/height/duration hints, or null. */
  hints: string | null;
  /** Completions that could not run (outages); the sweeper backs off by it. */
  attempts: Generated<number>;
  /** Bytes this session holds against the namespace quota; 0 once released. */
  reserved_bytes: number;
  received_size: number | null;
  received_sha256: string | null;
  received_etag: string | null;
  /** The storage's multipart upload of a resumable session; null once assembled (and for simple sessions). */
  multipart_id: string | null;
  /** The verification holding this `processing` session, and until when (renewed while it runs); null when none runs. */
  lease_token: string | null;
  lease_until: string | null;
  is_duplicate: number;
  duplicate_of: string | null;
  expires_at: string;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
  /** 0: `create_asset: false` — complete keeps the bytes without an asset; asset_id is NO_ASSET until attached. */
  create_asset: Generated<number>;
  /** The verified content a detached upload holds until it is attached (or swept). */
  blob_id: string | null;
  /** JSON: the probed facts of a detached upload (mimetype, width, height, duration, fps, bitrate). */
  media: string | null;
  /** The bucket the session uploads into, and the schema property its file fills (src/buckets/). */
  bucket_id: string | null;
  bucket_property: string | null;
  /** JSON object: the client's tracking metadata for the session itself (not the asset's). */
  upload_metadata: string | null;
}

/** The probed facts a detached upload keeps (JSON in `uploads.media`) for the asset it will join. */
export interface UploadMedia {
  mimetype: string;
  width: number | null;
  height: number | null;
  duration: number | null;
  fps: number | null;
  bitrate: number | null;
}

export const ASSET_STATUSES = ['pending', 'processing', 'ready', 'failed'] as const;
export type AssetStatus = (typeof ASSET_STATUSES)[number];

export interface AssetsTable {
  id: string;
  namespace_id: string;
  upload_id: string;
  blob_id: string | null;
  /** Where the original's bytes are (the blob's key), once verified. */
  storage_key: string | null;
  filename: string;
  kind: string;
  mimetype: string | null;
  width: number | null;
  height: number | null;
  duration: number | null;
  fps: number | null;
  bitrate: number | null;
  filesize: number | null;
  sha256: string | null;
  title: string | null;
  alias: string | null;
  /** The alias as compared (src/lib/alias-key.ts); set by the repository, never by callers. */
  alias_key: string | null;
  folder: string;
  /** JSON object. */
  metadata: string;
  status: AssetStatus;
  /** Set when failed: an ErrorCode, or a code only a row stores (src/lib/errors.ts). */
  error_code: StoredErrorCode | null;
  error_message: string | null;
  created_at: string;
  updated_at: string;
  /** The placeholder: a ThumbHash (base64) of the image or the video's poster, once rendered. */
  thumbhash: string | null;
  /** The dominant colour, `#rrggbb`, with the ThumbHash. */
  color: string | null;
  /** The bucket holding the asset, and its unique key's values there (canonical JSON; unique per bucket). */
  bucket_id: string | null;
  unique_key: string | null;
}

/** A named group of assets in a namespace (src/buckets/). */
export interface BucketsTable {
  id: string;
  namespace_id: string;
  name: string;
  active: number;
  /** JSON: `{"properties": {"<name>": {"type": …}}}`, or null for none. */
  schema: string | null;
  /** JSON array of metadata field names, or null. */
  unique_key: string | null;
  created_at: string;
  updated_at: string;
}

/** An async complete's handle: its state is the upload's (src/uploads/tasks.ts). */
export interface TasksTable {
  id: string;
  namespace_id: string;
  upload_id: string;
  created_at: string;
}

/** An image made on demand by a transform URL, cached in storage under its own key. */
export interface DerivativesTable {
  storage_key: string;
  asset_id: string;
  namespace_id: string;
  mimetype: string;
  size: number;
  created_at: string;
}

/** Verified content, stored once per namespace and shared by every asset with that hash. */
export interface BlobsTable {
  id: string;
  namespace_id: string;
  sha256: string;
  storage_key: string;
  size: number;
  ref_count: number;
  created_at: string;
}

export interface SourcesTable {
  id: string;
  asset_id: string;
  namespace_id: string;
  label: string;
  mimetype: string;
  width: number | null;
  height: number | null;
  duration: number | null;
  filesize: number;
  bitrate: number | null;
  storage_key: string;
  created_at: string;
  /** Set for a source made from an attached upload: its bytes are that blob's, released on delete. */
  blob_id: string | null;
}

export interface LeasesTable {
  name: string;
  holder: string;
  expires_at: string;
}

/** How a session's bytes travel, beside its upload row (deleted with it): tus state, an import's source. */
export interface UploadTransfersTable {
  upload_id: string;
  /** tus: the Upload-Metadata header as the client sent it, or null. */
  tus_metadata: string | null;
  /** 1 while the length is deferred: the row's file_size is then the limit, and reserved as such. */
  length_deferred: number;
  /** An import: the URL Intake fetches the bytes from. */
  source_url: string | null;
  /** tus concatenation: `partial` (an upload never completed on its own), or the `final;…` header of one made of partial uploads. */
  concat: string | null;
}

export interface Database {
  upload_transfers: UploadTransfersTable;
  namespaces: NamespacesTable;
  api_keys: ApiKeysTable;
  uploads: UploadsTable;
  assets: AssetsTable;
  blobs: BlobsTable;
  sources: SourcesTable;
  jobs: JobsTable;
  job_outbox: JobOutboxTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  leases: LeasesTable;
  derivatives: DerivativesTable;
  buckets: BucketsTable;
  tasks: TasksTable;
}

export type NamespaceRow = Selectable<NamespacesTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type UploadRow = Selectable<UploadsTable>;
export type TransferRow = Selectable<UploadTransfersTable>;
export type NewUpload = Insertable<UploadsTable>;
export type UploadPatch = Updateable<UploadsTable>;
export type AssetRow = Selectable<AssetsTable>;
export type NewAsset = Omit<Insertable<AssetsTable>, 'alias_key'>;
export type AssetPatch = Omit<Updateable<AssetsTable>, 'alias_key'>;
export type BlobRow = Selectable<BlobsTable>;
export type SourceRow = Selectable<SourcesTable>;
export type DerivativeRow = Selectable<DerivativesTable>;
export type BucketRow = Selectable<BucketsTable>;
export type TaskRow = Selectable<TasksTable>;

export type JobStatus = 'queued' | 'active' | 'failed';

/** The embedded backend's queue: a job is leased by a worker until lease_until. */
export interface JobsTable {
  id: string;
  queue: string;
  name: string;
  /** JSON: ids only. */
  payload: string;
  status: JobStatus;
  attempts: Generated<number>;
  max_attempts: number;
  run_at: string;
  lease_token: string | null;
  lease_until: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

/** Jobs committed with their transaction, waiting to be handed to BullMQ. */
export interface JobOutboxTable {
  id: string;
  name: string;
  payload: string;
  delay_ms: Generated<number>;
  created_at: string;
  /** Handed to BullMQ at this time; the row stays until its job finishes, so a job Redis lost is queued again. */
  relayed_at: string | null;
}

export interface WebhooksTable {
  id: string;
  namespace_id: string;
  url: string;
  /** JSON array of event names. */
  events: string;
  secret: string;
  enabled: number;
  created_at: string;
  updated_at: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  namespace_id: string;
  event: string;
  /** The exact JSON body that is signed and sent. */
  body: string;
  status: DeliveryStatus;
  attempts: Generated<number>;
  response_status: number | null;
  error: string | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
}

export type JobRow = Selectable<JobsTable>;
export type JobOutboxRow = Selectable<JobOutboxTable>;
export type WebhookRow = Selectable<WebhooksTable>;
export type DeliveryRow = Selectable<WebhookDeliveriesTable>;
