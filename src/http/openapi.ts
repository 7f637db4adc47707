/**
 * The finishing pass over /openapi.json (@fastify/swagger's `transformObject`): what a
 * generated client needs and the route schemas do not say by themselves.
 *
 * - an `operationId` on every operation, from one table (a route missing from it is caught
 *   by test/http/openapi.test.ts);
 * - `servers`: the public URL;
 * - shared `components/schemas`: every schema titled with a name in NAMED_SCHEMAS (the
 *   envelope error, upload, asset, namespace, key, webhook views…) is hoisted there once
 *   and referenced, so clients get named types;
 * - public routes (`/healthz`, `/readyz`, `/metrics`, `/files/*`, `/p/*`) carry
 *   `security: []` and their answers; every `/v1` route documents 403 (a key without the
 *   rights: an admin key on a namespace route and the reverse, or a quota) and 503 (a
 *   dependency is unavailable: retry).
 *
 * Documentation only: validation and serialization still use the route schemas as written.
 */

/** "METHOD /openapi/path" → operationId. */
export const OPERATION_IDS: Record<string, string> = {
  'GET /healthz': 'getHealth',
  'GET /readyz': 'getReadiness',
  'GET /metrics': 'getMetrics',
  'GET /p/{namespace_id}/{alias}': 'getPublicAsset',
  'GET /p/{namespace_id}/{alias}/{label}': 'getPublicAssetSource',
  'GET /p/{namespace_id}/{alias}/t/{preset}': 'getPublicAssetPreset',
  'GET /t/{asset_id}': 'getTransform',
  'GET /hls/{asset_id}/{token}/{*}': 'getHlsFile',
  'GET /storyboard/{asset_id}/{token}/{*}': 'getStoryboardFile',
  'GET /p/{namespace_id}/{alias}/hls/master.m3u8': 'getPublicHlsMaster',
  'OPTIONS /files/{*}': 'preflightFile',
  'PUT /files/{*}': 'putFile',
  'POST /files/{*}': 'postFile',
  'GET /files/{*}': 'getFile',
  'HEAD /files/{*}': 'headFile',
  'OPTIONS /tus/': 'tusOptions',
  'POST /tus/': 'tusCreate',
  'OPTIONS /tus/{id}': 'tusUploadOptions',
  'HEAD /tus/{id}': 'tusHead',
  'PATCH /tus/{id}': 'tusPatch',
  'DELETE /tus/{id}': 'tusTerminate',
  'OPTIONS /store/single': 'preflightStoreForm',
  'POST /store/single': 'postStoreForm',
  'PUT /store/single': 'putStoreFile',
  'OPTIONS /store/resumable': 'preflightStoreParts',
  'PUT /store/resumable': 'putStorePart',
  'POST /store/resumable': 'finishStoreParts',
  'POST /v1/uploads': 'createUpload',
  'GET /v1/uploads': 'listUploads',
  'GET /v1/uploads/{id}': 'getUpload',
  'DELETE /v1/uploads/{id}': 'cancelUpload',
  'GET /v1/uploads/{id}/parts': 'listUploadParts',
  'POST /v1/uploads/{id}/parts': 'signUploadParts',
  'POST /v1/uploads/{id}/complete': 'completeUpload',
  'GET /v1/assets': 'listAssets',
  'POST /v1/assets': 'createAsset',
  'GET /v1/assets/by-alias/{alias}': 'getAssetByAlias',
  'GET /v1/assets/{id}': 'getAsset',
  'GET /v1/assets/{id}/url': 'getAssetTransformUrl',
  'PATCH /v1/assets/{id}': 'updateAsset',
  'DELETE /v1/assets/{id}': 'deleteAsset',
  'POST /v1/buckets': 'createBucket',
  'GET /v1/buckets': 'listBuckets',
  'GET /v1/buckets/{id}': 'getBucket',
  'PATCH /v1/buckets/{id}': 'updateBucket',
  'DELETE /v1/buckets/{id}': 'deleteBucket',
  'GET /v1/tasks/{id}': 'getTask',
  'POST /v1/namespaces': 'createNamespace',
  'GET /v1/namespaces': 'listNamespaces',
  'GET /v1/namespaces/{id}': 'getNamespace',
  'PATCH /v1/namespaces/{id}': 'updateNamespace',
  'POST /v1/keys': 'createKey',
  'GET /v1/keys': 'listKeys',
  'DELETE /v1/keys/{id}': 'revokeKey',
  'GET /v1/usage': 'getUsage',
  'POST /v1/webhooks': 'createWebhook',
  'GET /v1/webhooks': 'listWebhooks',
  'GET /v1/webhooks/{id}': 'getWebhook',
  'PATCH /v1/webhooks/{id}': 'updateWebhook',
  'DELETE /v1/webhooks/{id}': 'deleteWebhook',
  'GET /v1/webhooks/{id}/deliveries': 'listWebhookDeliveries',
};

/** Schema titles hoisted into components/schemas (set with `{ title }` on the TypeBox schema). */
export const NAMED_SCHEMAS = [
  'Error',
  'ErrorBody',
  'Meta',
  'Upload',
  'CreatedUpload',
  'CompletedUpload',
  'SkippedUpload',
  'Part',
  'Parts',
  'Asset',
  'Namespace',
  'NamespaceWithUsage',
  'Key',
  'CreatedKey',
  'Usage',
  'Webhook',
  'WebhookDelivery',
  'Bucket',
  'Task',
] as const;

type Json = Record<string, unknown>;
const ERROR_REF = { $ref: '#/components/schemas/Error' };
const errorAnswer = (description: string) => ({ description, content: { 'application/json': { schema: ERROR_REF } } });

/** Answers of the public routes, whose handlers send files, redirects or text rather than the JSON envelope. */
const PUBLIC_RESPONSES: Record<string, Record<string, Json>> = {
  'GET /metrics': { 200: { description: 'Prometheus text exposition (text/plain; version=0.0.4).', content: { 'text/plain': { schema: { type: 'string' } } } } },
  'GET /readyz': { 503: errorAnswer('Not ready: error.details.checks names the unreachable dependency (database, storage, queue).') },
  'OPTIONS /files/{*}': { 204: { description: 'CORS preflight for a browser sending bytes to a signed URL.' } },
  'PUT /files/{*}': {
    200: {
      description: 'The bytes are stored (the session or part the signed URL names): `{upload_id, key, size, etag}` in the envelope, and an ETag header.',
      content: { 'application/json': { schema: { type: 'object', properties: { data: { type: 'object' }, error: { type: 'null' }, meta: { $ref: '#/components/schemas/Meta' } } } } },
    },
    ...Object.fromEntries([400, 403, 404, 409, 410, 413, 429, 503].map((s) => [s, errorAnswer('Refused: a cut-off body (400), a bad or tampered signature (403 bad_signature), a closed session or another writer (409), an expired URL (410), too many bytes (413), too many bodies in flight (503 busy).')])),
  },
  'POST /files/{*}': {
    200: { description: 'The form POST is stored (local storage\'s equivalent of an S3 presigned POST).' },
    ...Object.fromEntries([400, 403, 404, 409, 410, 413, 429, 503].map((s) => [s, errorAnswer('Refused: as PUT — a bad policy or fields (403), a closed session (409), an expired URL (410), too many bytes (413), busy (503).')])),
  },
  'GET /files/{*}': {
    200: { description: 'The stored bytes (Range, If-None-Match supported).', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
    206: { description: 'The requested byte range.' },
    304: { description: 'Not modified (If-None-Match).' },
    403: errorAnswer('A bad, expired or tampered signature.'),
    404: errorAnswer('No such object.'),
    416: { description: 'The range is not satisfiable.' },
  },
  'HEAD /files/{*}': {
    200: { description: 'The headers GET would send, without the body.' },
    403: { description: 'A bad, expired or tampered signature.' },
    404: { description: 'No such object.' },
  },
};

const PUBLIC_PREFIXES = ['/healthz', '/readyz', '/metrics', '/files/', '/p/'];
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Replaces every titled schema named in NAMED_SCHEMAS by a $ref, keeping the first copy of each in `schemas`. */
function hoist(node: unknown, schemas: Record<string, unknown>): unknown {
  if (Array.isArray(node)) return node.map((n) => hoist(n, schemas));
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = hoist(v, schemas);
  const title = out.title;
  if (typeof title === 'string' && (NAMED_SCHEMAS as readonly string[]).includes(title)) {
    const existing = schemas[title];
    if (existing === undefined) schemas[title] = out;
    else if (JSON.stringify(existing) !== JSON.stringify(out)) return out; // a different shape under one name: left inline
    return { $ref: `#/components/schemas/${title}` };
  }
  return out;
}

export function finishOpenApi(publicUrl: string | undefined) {
  // Typed loosely: @fastify/swagger passes { openapiObject } in OpenAPI mode (the only one used here).
  return (documentObject: object): never => {
    const doc = (documentObject as { openapiObject: unknown }).openapiObject as Json & { paths: Record<string, Record<string, Json>>; components: Json & { schemas?: Record<string, unknown> } };
    const schemas: Record<string, unknown> = { ...(doc.components.schemas ?? {}) };
    const paths = hoist(doc.paths, schemas) as Record<string, Record<string, Json>>;
    for (const [path, ops] of Object.entries(paths)) {
      const isPublic = PUBLIC_PREFIXES.some((p) => path === p || path.startsWith(p));
      for (const [method, op] of Object.entries(ops)) {
        if (!METHODS.includes(method)) continue;
        const key = `${method.toUpperCase()} ${path}`;
        const id = OPERATION_IDS[key];
        if (id) op.operationId = id;
        const responses = (op.responses ?? {}) as Record<string, unknown>;
        if (isPublic) {
          op.security = [];
          // @fastify/swagger's placeholder for a route without response schemas gives way to the documented answers.
          if (PUBLIC_RESPONSES[key] && (responses['200'] as { description?: string } | undefined)?.description === 'Default Response') delete responses['200'];
          for (const [status, answer] of Object.entries(PUBLIC_RESPONSES[key] ?? {})) responses[status] ??= answer;
          // A route without a documented success answer gets a plain one, so every operation says what it returns.
          if (!Object.keys(responses).some((s) => s.startsWith('2') || s.startsWith('3'))) responses['200'] = { description: 'OK.' };
        } else if (path.startsWith('/v1/')) {
          responses['403'] ??= errorAnswer('The key may not do this: an admin key on a namespace route or a namespace key on an admin route (forbidden), or a quota (quota_exceeded).');
          responses['503'] ??= errorAnswer('A dependency (database, storage, queue) is unavailable, or the server is at capacity (unavailable): retry after Retry-After.');
        }
        op.responses = responses;
      }
    }
    return {
      ...doc,
      ...(publicUrl ? { servers: [{ url: publicUrl, description: 'This Intake (INTAKE_PUBLIC_URL).' }] } : {}),
      paths,
      components: { ...doc.components, schemas },
    } as never;
  };
}
