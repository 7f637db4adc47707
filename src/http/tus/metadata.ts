/**
 * Upload-Metadata → the fields of an Intake session. tus clients name the file `filename`
 * (tus-js-client, Uppy) or `name`, its type `filetype` (Uppy), `type` or `content_type`;
 * Intake's own fields go by their API names, objects as JSON text.
 */
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import { invalid } from '../../lib/errors.js';
import { parseClientJson } from '../../lib/safe-json.js';
import type { CreateUploadInput } from '../../uploads/create-upload.js';
import { UNTYPED_SESSION_TYPE } from '../../uploads/check-type.js';
import { Conditions, Kind, Metadata } from '../schemas.js';

function json(md: Record<string, string>, key: string, schema: TSchema): any {
  const text = md[key];
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = parseClientJson(text);
  } catch {
    throw invalid(`Upload-Metadata "${key}" must be JSON.`, key);
  }
  if (!Value.Check(schema, value)) throw invalid(`Upload-Metadata "${key}" is not a valid ${key} object (see POST /v1/uploads).`, key);
  return value;
}

function text(md: Record<string, string>, key: string, max: number): string | undefined {
  const v = md[key];
  // Browsers send an empty type for a file they cannot name: as good as none.
  if (v === '') return undefined;
  if (v !== undefined && v.length > max) throw invalid(`Upload-Metadata "${key}" must have at most ${max} characters.`, key);
  return v;
}

export function sessionInput(md: Record<string, string>, fileSize: number): CreateUploadInput {
  const kind = md.kind;
  if (kind !== undefined && !Value.Check(Kind, kind)) throw invalid(`Upload-Metadata "kind" must be one of the media kinds.`, 'kind');
  const hash = md.file_hash;
  if (hash !== undefined && !/^[A-Fa-f0-9]{64}$/.test(hash)) throw invalid('Upload-Metadata "file_hash" must be a SHA-256 in hex.', 'file_hash');
  const createAsset = md.create_asset;
  if (createAsset !== undefined && createAsset !== 'true' && createAsset !== 'false') throw invalid('Upload-Metadata "create_asset" must be true or false.', 'create_asset');
  return {
    filename: text(md, 'filename', 255) ?? text(md, 'name', 255) ?? 'upload',
    content_type: text(md, 'filetype', 255) ?? text(md, 'content_type', 255) ?? text(md, 'type', 255) ?? UNTYPED_SESSION_TYPE,
    file_size: fileSize,
    kind: kind as CreateUploadInput['kind'],
    title: text(md, 'title', 200),
    folder: text(md, 'folder', 255),
    alias: text(md, 'alias', 100),
    metadata: json(md, 'metadata', Metadata),
    conditions: json(md, 'conditions', Conditions),
    file_hash: hash,
    create_asset: createAsset === undefined ? undefined : createAsset === 'true',
  };
}

/** A partial upload (concatenation) has no asset of its own: a name and a type at most, the bytes decide the rest. */
export function partialInput(md: Record<string, string>, fileSize: number): CreateUploadInput {
  return {
    filename: text(md, 'filename', 255) ?? text(md, 'name', 255) ?? 'partial',
    content_type: UNTYPED_SESSION_TYPE,
    file_size: fileSize,
    create_asset: false,
  };
}
