import type { MediaKind } from '../config/config.js';
import type { NamespaceRow } from '../db/schema.js';
import { IntakeError } from '../lib/errors.js';
import { parseLimits } from '../namespaces/namespaces.js';
import type { UploadRules } from '../namespaces/views.js';
import type { AppContext } from '../core/context.js';

/** The largest file of `kind` this namespace may store: the tightest of the global, per-kind and namespace limits. */
export function sizeLimit(deps: { config: Pick<AppContext['config'], 'uploads'> }, namespace: NamespaceRow, kind: MediaKind): number {
  return limitOf(deps, parseLimits(namespace.limits), kind);
}

function limitOf(deps: { config: Pick<AppContext['config'], 'uploads'> }, namespaceLimits: Partial<Record<MediaKind, number>>, kind: MediaKind): number {
  return Math.min(deps.config.uploads.maxUploadBytes, deps.config.uploads.kindLimits[kind] ?? Infinity, namespaceLimits[kind] ?? Infinity);
}

/** What a namespace with `namespaceLimits` may upload: each kind's largest file and the accepted types (GET /v1/usage). */
export function uploadRules(deps: Pick<AppContext, 'config' | 'types'>, namespaceLimits: Partial<Record<MediaKind, number>>): UploadRules {
  const max = (kind: MediaKind) => limitOf(deps, namespaceLimits, kind);
  return { max_file_bytes: { image: max('image'), video: max('video'), audio: max('audio'), document: max('document') }, allowed_types: deps.types.list() };
}

export function tooLarge(size: number, limit: number, kind: string): IntakeError {
  return new IntakeError('file_too_large', `A ${kind} may be at most ${limit} bytes.`, { field: 'file_size', max_size: limit, file_size: size });
}

export function quotaExceeded(namespace: NamespaceRow, size: number): IntakeError {
  return new IntakeError('quota_exceeded', 'This upload would exceed the namespace storage quota.', {
    quota_bytes: namespace.quota_bytes,
    stored_bytes: namespace.stored_bytes,
    reserved_bytes: namespace.reserved_bytes,
    file_size: size,
  });
}

/** The storage key of an upload's original bytes. */
export function originalKey(namespaceId: string, uploadId: string): string {
  return `${namespaceId}/${uploadId}/original`;
}
