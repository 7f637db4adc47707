/** Rules for the user-editable fields an asset carries, shared by create and PATCH. */
import type { AppContext } from '../core/context.js';
import { isUniqueViolation } from '../db/database.js';
import { conflict, invalid, withReason, type IntakeError } from '../lib/errors.js';
import { UNSAFE_TEXT } from '../lib/safe-text.js';

/** A metadata value: JSON, within METADATA_LIMITS. */
export type MetadataValue = string | number | boolean | null | MetadataValue[] | { [key: string]: MetadataValue };
export type Metadata = Record<string, MetadataValue>;

export function checkFilename(name: string): string {
  if (name.length < 1 || name.length > 255) throw invalid('filename must be 1–255 characters.', 'filename');
  if (/[/\\]/.test(name) || UNSAFE_TEXT.test(name)) {
    throw invalid('filename must not contain /, \\, NUL, control, format (bidirectional, zero-width, BOM) or line-separator characters.', 'filename');
  }
  if (name.trim() === '') throw invalid('filename must not be blank.', 'filename');
  if (name === '.' || name === '..') throw invalid('filename must not be "." or "..".', 'filename');
  return name;
}

export function checkFolder(folder: string | undefined): string {
  if (folder === undefined) return 'root';
  if (folder.length > 255 || !/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(folder) || folder.split('/').some((s) => s === '.' || s === '..')) {
    throw invalid('folder must be a path like "root/my-folder" of letters, digits, ".", "_" and "-".', 'folder');
  }
  return folder;
}

/**
 * Segments of letters (any script, with their combining marks), decimal digits, `_` and
 * `-`, joined by `/` (a path like `usr_abcd/profile/video`); the JSON schemas use the same
 * pattern, and bound the length (100).
 */
export const ALIAS_PATTERN = '^[\\p{L}\\p{M}\\p{Nd}_-]+(?:/[\\p{L}\\p{M}\\p{Nd}_-]+)*$';
const ALIAS_RE = new RegExp(ALIAS_PATTERN, 'u');

/** Kept as typed; uniqueness and look-ups compare its folded key (src/lib/alias-key.ts). */
export function checkAlias(alias: string | undefined | null): string | null {
  if (alias === undefined || alias === null) return null;
  if (alias.length > 100 || !ALIAS_RE.test(alias)) throw invalid('alias must be 1–100 letters, digits, "_" or "-", in segments joined by "/".', 'alias');
  return alias;
}

export function checkTitle(title: string | undefined | null): string | null {
  if (title === undefined || title === null) return null;
  if (title.length > 200) throw invalid('title must be at most 200 characters.', 'title');
  if (UNSAFE_TEXT.test(title)) throw invalid('title must not contain control (NUL, CR, LF…), format (bidirectional, zero-width, BOM) or line-separator characters.', 'title');
  return title;
}

/**
 * Metadata's bounds: the object (and each object inside it) at most 50 keys of 1–100
 * characters, strings at most 2000 characters, arrays and objects nested at most 5 deep
 * (the metadata object itself is the first), and the whole at most 64 KiB as JSON (UTF-8):
 * what a form's metadata field could always hold, now the bound wherever it comes from.
 */
export const METADATA_LIMITS = { keys: 50, keyLength: 100, stringLength: 2000, depth: 5, jsonBytes: 64 * 1024 } as const;

export function metadataTooLarge(field: string, size?: number): IntakeError {
  return withReason('metadata_too_large', `${field} must be at most ${METADATA_LIMITS.jsonBytes} bytes as JSON${size === undefined ? '' : ` (it is ${size})`}.`, { field, max_size: METADATA_LIMITS.jsonBytes });
}

/**
 * A JSON object: string, number, boolean and null values, and arrays and objects of them
 * within METADATA_LIMITS. Every refusal is a 400 `invalid_request` naming the value's path
 * (`metadata.tags[2]`); past the depth or the size, with `details.reason`.
 */
export function checkMetadata(value: unknown, field = 'metadata'): Metadata {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(`${field} must be an object.`, field);
  checkObject(value as Record<string, unknown>, field, field, 1);
  // Within the depth, so stringifying is bounded by the body that carried it.
  const size = Buffer.byteLength(JSON.stringify(value));
  if (size > METADATA_LIMITS.jsonBytes) throw metadataTooLarge(field, size);
  return value as Metadata;
}

function checkObject(object: Record<string, unknown>, root: string, path: string, depth: number): void {
  const entries = Object.entries(object);
  if (entries.length > METADATA_LIMITS.keys) throw invalid(`${root} objects may have at most ${METADATA_LIMITS.keys} keys.`, path);
  for (const [key, v] of entries) {
    if (key.length < 1 || key.length > METADATA_LIMITS.keyLength) throw invalid(`${root} keys must be 1–${METADATA_LIMITS.keyLength} characters.`, `${path}.${key}`);
    // Whatever parsed it, a key that can rewrite a prototype when merged is never data.
    if (key === '__proto__') throw invalid(`${root} keys must not be "__proto__".`, path);
    checkValue(v, root, `${path}.${key}`, depth);
  }
}

/** `depth`: how deep the container holding `v` is (the metadata object is 1). */
function checkValue(v: unknown, root: string, path: string, depth: number): void {
  if (v === null || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw invalid(`${root} numbers must be finite.`, path);
    return;
  }
  if (typeof v === 'string') {
    if (v.length > METADATA_LIMITS.stringLength) throw invalid(`${root} strings must be at most ${METADATA_LIMITS.stringLength} characters.`, path);
    return;
  }
  if (typeof v !== 'object') throw invalid(`${root} values are strings, numbers, booleans, null, arrays or objects.`, path);
  if (depth >= METADATA_LIMITS.depth) {
    throw withReason('metadata_too_deep', `${root} may nest arrays and objects at most ${METADATA_LIMITS.depth} deep (the metadata object is the first).`, { field: path, max_depth: METADATA_LIMITS.depth });
  }
  if (Array.isArray(v)) v.forEach((item, i) => checkValue(item, root, `${path}[${i}]`, depth + 1));
  else checkObject(v as Record<string, unknown>, root, path, depth + 1);
}

/** Early 409 for an alias already in use, before any work; the unique index stays the guard. */
export async function refuseTakenAlias(deps: Pick<AppContext, 'store'>, namespaceId: string, alias: string | null): Promise<void> {
  if (alias && (await deps.store.assets.findByAlias(namespaceId, alias))) throw aliasTaken(alias);
}

const aliasTaken = (alias: string) => conflict(`The alias "${alias}" is already taken in this namespace.`, { field: 'alias' });

/** Runs `fn`, turning a unique violation on the alias index into the contract's 409. */
export async function mapAliasConflict<T>(fields: { alias: string | null }, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isUniqueViolation(err) && fields.alias) throw aliasTaken(fields.alias);
    throw err;
  }
}
