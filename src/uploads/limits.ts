import type { MediaKind } from '../config/config.js';
import type { NamespaceRow } from '../db/schema.js';
import { IntakeError } from '../lib/errors.js';
import { parseLimits } from '../namespaces/namespaces.js';
import type { AppContext } from '../core/context.js';

/** The largest file of `kind` this namespace may store: the tightest of the global, per-kind and namespace limits. */
export function sizeLimit(deps: { config: Pick<AppContext['config'], 'uploads'> }, namespace: NamespaceRow, kind: MediaKind): number {
  const ns = parseLimits(namespace.limits)[kind];
  return Math.min(deps.config.uploads.maxUploadBytes, deps.config.uploads.kindLimits[kind] ?? Infinity, ns ?? Infinity);
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
