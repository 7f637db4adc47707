/** Rules for the user-editable fields an asset carries, shared by create and PATCH. */
import type { AppContext } from '../core/context.js';
import { isUniqueViolation } from '../db/database.js';
import { conflict, invalid } from '../lib/errors.js';
import { UNSAFE_TEXT } from '../lib/safe-text.js';

export type MetadataValue = string | number | boolean | null;
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

/** Flat object of string, number, boolean or null values, at most 50 keys. */
export function checkMetadata(value: unknown, field = 'metadata'): Metadata {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(`${field} must be an object.`, field);
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 50) throw invalid(`${field} may have at most 50 keys.`, field);
  for (const [key, v] of entries) {
    if (key.length < 1 || key.length > 100) throw invalid(`${field} keys must be 1–100 characters.`, `${field}.${key}`);
    // Whatever parsed it, a key that can rewrite a prototype when merged is never data.
    if (key === '__proto__') throw invalid(`${field} keys must not be "__proto__".`, field);
    const ok = v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
    if (!ok) throw invalid(`${field} must be flat: values are strings, numbers, booleans or null.`, `${field}.${key}`);
    if (typeof v === 'string' && v.length > 2000) throw invalid(`${field} values must be at most 2000 characters.`, `${field}.${key}`);
  }
  return value as Metadata;
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
