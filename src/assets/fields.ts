/** Rules for the user-editable fields an asset carries, shared by create and PATCH. */
import { invalid } from '../lib/errors.js';

export type MetadataValue = string | number | boolean | null;
export type Metadata = Record<string, MetadataValue>;

// C0 and C1 controls, and the bidirectional overrides that disguise an extension ("gpj.exe").
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

export function checkFilename(name: string): string {
  if (name.length < 1 || name.length > 255) throw invalid('filename must be 1–255 characters.', 'filename');
  if (/[/\\]/.test(name) || CONTROL.test(name)) throw invalid('filename must not contain /, \\, NUL, control or bidirectional-override characters.', 'filename');
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

export function checkAlias(alias: string | undefined | null): string | null {
  if (alias === undefined || alias === null) return null;
  if (!/^[A-Za-z0-9-]{1,100}$/.test(alias)) throw invalid('alias must be 1–100 letters, digits or hyphens.', 'alias');
  return alias;
}

export function checkTitle(title: string | undefined | null): string | null {
  if (title === undefined || title === null) return null;
  if (title.length > 200) throw invalid('title must be at most 200 characters.', 'title');
  return title;
}

/** Flat object of string, number, boolean or null values, at most 50 keys. */
export function checkMetadata(value: unknown): Metadata {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid('metadata must be an object.', 'metadata');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 50) throw invalid('metadata may have at most 50 keys.', 'metadata');
  for (const [key, v] of entries) {
    if (key.length < 1 || key.length > 100) throw invalid('metadata keys must be 1–100 characters.', `metadata.${key}`);
    const ok = v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
    if (!ok) throw invalid('metadata must be flat: values are strings, numbers, booleans or null.', `metadata.${key}`);
    if (typeof v === 'string' && v.length > 2000) throw invalid('metadata values must be at most 2000 characters.', `metadata.${key}`);
  }
  return value as Metadata;
}
