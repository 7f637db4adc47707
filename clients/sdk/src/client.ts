/**
 * A thin typed client for Intake's API, on openapi-fetch over the generated openapi.d.ts:
 * paths, parameters, bodies and answers are the server's own schemas, so it cannot drift.
 * Each method answers the envelope's `data` (lists: `{ items, nextCursor }`) or throws an
 * `IntakeError`; `raw` is the openapi-fetch client for anything else (admin routes).
 */
import createClient, { type Client } from 'openapi-fetch';
import type { ApiBody, ApiData, ApiQuery } from './api-types.js';
import { errorFromAnswer, send } from './http.js';
import type { paths } from './openapi.js';

export interface IntakeClientOptions {
  /** Intake's base URL, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** A namespace API key (`sk_…`), or the admin key for the admin routes. Sent as `Authorization: Bearer`, never in a URL. */
  apiKey: string;
  /** Default globalThis.fetch. */
  fetch?: typeof fetch;
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null at the end. */
  nextCursor: string | null;
}

type Answer = { data?: unknown; error?: unknown; response: Response };
type Options = { signal?: AbortSignal };

function dataOf<T>(answer: Answer): T {
  if (!answer.response.ok) throw errorFromAnswer(answer.response, answer.error);
  return (answer.data as { data: T }).data;
}

function pageOf<T>(answer: Answer): Page<T> {
  const items = dataOf<T[]>(answer);
  const meta = (answer.data as { meta?: { next_cursor?: string | null } }).meta;
  return { items, nextCursor: meta?.next_cursor ?? null };
}

export function createIntakeClient(options: IntakeClientOptions) {
  if (!options.apiKey) throw new TypeError('createIntakeClient needs an apiKey (a namespace key, sk_…).');
  if (!options.baseUrl) throw new TypeError('createIntakeClient needs the baseUrl of Intake.');
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  const raw: Client<paths> = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers: { authorization: `Bearer ${options.apiKey}` },
    fetch: (request: Request) => send(fetchFn, request),
  });
  const id = (value: string) => ({ params: { path: { id: value } } });

  const uploads = {
    list: async (query: ApiQuery<'/v1/uploads', 'get'> = {}, o: Options = {}) => pageOf<ApiData<'/v1/uploads', 'get', 200>[number]>(await raw.GET('/v1/uploads', { params: { query }, ...o })),
    get: async (uploadId: string, o: Options = {}) => dataOf<ApiData<'/v1/uploads/{id}', 'get', 200>>(await raw.GET('/v1/uploads/{id}', { ...id(uploadId), ...o })),
    create: async (body: ApiBody<'/v1/uploads', 'post'>, o: Options = {}) => dataOf<ApiData<'/v1/uploads', 'post', 200> | ApiData<'/v1/uploads', 'post', 201>>(await raw.POST('/v1/uploads', { body, ...o })),
    complete: async (uploadId: string, body: ApiBody<'/v1/uploads/{id}/complete', 'post'> = {}, o: Options = {}) => dataOf<ApiData<'/v1/uploads/{id}/complete', 'post', 200>>(await raw.POST('/v1/uploads/{id}/complete', { ...id(uploadId), body, ...o })),
    cancel: async (uploadId: string, o: Options = {}) => dataOf<ApiData<'/v1/uploads/{id}', 'delete', 200>>(await raw.DELETE('/v1/uploads/{id}', { ...id(uploadId), ...o })),
    listParts: async (uploadId: string, o: Options = {}) => dataOf<ApiData<'/v1/uploads/{id}/parts', 'get', 200>>(await raw.GET('/v1/uploads/{id}/parts', { ...id(uploadId), ...o })),
    /** Import: Intake fetches the file from `sourceUrl` (202; the upload's status tells how it goes). */
    importUrl: async (sourceUrl: string, fields: Omit<ApiBody<'/v1/uploads', 'post'>, 'source_url'> = {}, o: Options = {}) =>
      dataOf<ApiData<'/v1/uploads', 'post', 202>>(await raw.POST('/v1/uploads', { body: { ...fields, source_url: sourceUrl }, ...o })),
    signParts: async (uploadId: string, partNumbers: number[], o: Options = {}) => dataOf<ApiData<'/v1/uploads/{id}/parts', 'post', 200>>(await raw.POST('/v1/uploads/{id}/parts', { ...id(uploadId), body: { part_numbers: partNumbers }, ...o })),
  };

  const assets = {
    list: async (query: ApiQuery<'/v1/assets', 'get'> = {}, o: Options = {}) => pageOf<ApiData<'/v1/assets', 'get', 200>[number]>(await raw.GET('/v1/assets', { params: { query }, ...o })),
    get: async (assetId: string, o: Options = {}) => dataOf<ApiData<'/v1/assets/{id}', 'get', 200>>(await raw.GET('/v1/assets/{id}', { ...id(assetId), ...o })),
    getByAlias: async (alias: string, o: Options = {}) => dataOf<ApiData<'/v1/assets/by-alias/{alias}', 'get', 200>>(await raw.GET('/v1/assets/by-alias/{alias}', { params: { path: { alias } }, ...o })),
    create: async (body: ApiBody<'/v1/assets', 'post'>, o: Options = {}) => dataOf<ApiData<'/v1/assets', 'post', 201>>(await raw.POST('/v1/assets', { body, ...o })),
    update: async (assetId: string, body: ApiBody<'/v1/assets/{id}', 'patch'>, o: Options = {}) => dataOf<ApiData<'/v1/assets/{id}', 'patch', 200>>(await raw.PATCH('/v1/assets/{id}', { ...id(assetId), body, ...o })),
    delete: async (assetId: string, o: Options = {}) => dataOf<ApiData<'/v1/assets/{id}', 'delete', 200>>(await raw.DELETE('/v1/assets/{id}', { ...id(assetId), ...o })),
  };

  const webhooks = {
    list: async (query: ApiQuery<'/v1/webhooks', 'get'> = {}, o: Options = {}) => pageOf<ApiData<'/v1/webhooks', 'get', 200>[number]>(await raw.GET('/v1/webhooks', { params: { query }, ...o })),
    get: async (webhookId: string, o: Options = {}) => dataOf<ApiData<'/v1/webhooks/{id}', 'get', 200>>(await raw.GET('/v1/webhooks/{id}', { ...id(webhookId), ...o })),
    create: async (body: ApiBody<'/v1/webhooks', 'post'>, o: Options = {}) => dataOf<ApiData<'/v1/webhooks', 'post', 201>>(await raw.POST('/v1/webhooks', { body, ...o })),
    update: async (webhookId: string, body: ApiBody<'/v1/webhooks/{id}', 'patch'>, o: Options = {}) => dataOf<ApiData<'/v1/webhooks/{id}', 'patch', 200>>(await raw.PATCH('/v1/webhooks/{id}', { ...id(webhookId), body, ...o })),
    delete: async (webhookId: string, o: Options = {}) => dataOf<ApiData<'/v1/webhooks/{id}', 'delete', 200>>(await raw.DELETE('/v1/webhooks/{id}', { ...id(webhookId), ...o })),
    deliveries: async (webhookId: string, query: ApiQuery<'/v1/webhooks/{id}/deliveries', 'get'> = {}, o: Options = {}) =>
      pageOf<ApiData<'/v1/webhooks/{id}/deliveries', 'get', 200>[number]>(await raw.GET('/v1/webhooks/{id}/deliveries', { params: { path: { id: webhookId }, query }, ...o })),
  };

  const buckets = {
    list: async (query: ApiQuery<'/v1/buckets', 'get'> = {}, o: Options = {}) => pageOf<ApiData<'/v1/buckets', 'get', 200>[number]>(await raw.GET('/v1/buckets', { params: { query }, ...o })),
    get: async (bucketId: string, o: Options = {}) => dataOf<ApiData<'/v1/buckets/{id}', 'get', 200>>(await raw.GET('/v1/buckets/{id}', { ...id(bucketId), ...o })),
    create: async (body: ApiBody<'/v1/buckets', 'post'>, o: Options = {}) => dataOf<ApiData<'/v1/buckets', 'post', 201>>(await raw.POST('/v1/buckets', { body, ...o })),
    update: async (bucketId: string, body: ApiBody<'/v1/buckets/{id}', 'patch'>, o: Options = {}) => dataOf<ApiData<'/v1/buckets/{id}', 'patch', 200>>(await raw.PATCH('/v1/buckets/{id}', { ...id(bucketId), body, ...o })),
    delete: async (bucketId: string, o: Options = {}) => dataOf<ApiData<'/v1/buckets/{id}', 'delete', 200>>(await raw.DELETE('/v1/buckets/{id}', { ...id(bucketId), ...o })),
  };

  const tasks = {
    get: async (taskId: string, o: Options = {}) => dataOf<ApiData<'/v1/tasks/{id}', 'get', 200>>(await raw.GET('/v1/tasks/{id}', { ...id(taskId), ...o })),
  };

  const usage = async (o: Options = {}) => dataOf<ApiData<'/v1/usage', 'get', 200>>(await raw.GET('/v1/usage', o));

  return { raw, uploads, assets, webhooks, buckets, tasks, usage };
}

export type IntakeClient = ReturnType<typeof createIntakeClient>;
