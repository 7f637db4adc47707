/** Namespaces and keys as the admin routes show them: one TypeBox schema each, types by Static<>. */
import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../lib/nullable.js';
import { TransformFields } from '../media/transform.js';

const Str = Type.String();
const Int = Type.Integer();
const Role = Type.Union([Type.Literal('admin'), Type.Literal('namespace')]);

export const Limits = Type.Object({ image: Type.Optional(Int), video: Type.Optional(Int), audio: Type.Optional(Int), document: Type.Optional(Int) });
export type Limits = Static<typeof Limits>;

/** Named transforms, usable on the namespace's public URLs (`/p/{ns}/{alias}/t/{name}`). */
export const Presets = Type.Record(Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,39}$' }), TransformFields, { maxProperties: 50 });
export type Presets = Static<typeof Presets>;

export const NamespaceView = Type.Object({ id: Str, name: Str, quota_bytes: Nullable(Int), limits: Limits, public_delivery: Type.Boolean(), presets: Presets, created_at: Str });
export type NamespaceView = Static<typeof NamespaceView>;

/** A namespace with what it uses (admin listing and reads). */
export const NamespaceWithUsage = Type.Composite([NamespaceView, Type.Object({ stored_bytes: Int, reserved_bytes: Int })]);
export type NamespaceWithUsage = Static<typeof NamespaceWithUsage>;

/** An API key as listed: never the secret or its hash, only the secret's last 4 characters. */
export const KeyView = Type.Object({
  id: Str,
  namespace_id: Nullable(Str),
  name: Str,
  role: Role,
  prefix: Str,
  last4: Type.Union([Str, Type.Null()], { description: 'The secret’s last 4 characters (null for keys made before Intake kept them).' }),
  created_at: Str,
  revoked_at: Nullable(Str),
});
export type KeyView = Static<typeof KeyView>;

export const CreatedKey = Type.Object({
  id: Str,
  namespace_id: Nullable(Str),
  name: Str,
  role: Role,
  secret: Type.String({ description: 'Shown once; only its hash is kept.' }),
  prefix: Str,
  created_at: Str,
});
export type CreatedKey = Static<typeof CreatedKey>;

export const UsageBase = Type.Object({ namespace_id: Str, namespace_name: Str, stored_bytes: Int, reserved_bytes: Int, quota_bytes: Nullable(Int), limits: Limits });
export type UsageBase = Static<typeof UsageBase>;

/** What a namespace key may upload, for a client to state before a file is chosen (a drop zone's "up to 2 GB, images and videos"). */
export const UploadRules = Type.Object({
  max_file_bytes: Type.Object(
    { image: Int, video: Int, audio: Int, document: Int },
    { description: 'The largest file of each kind this namespace may upload: the tightest of the global, per-kind and namespace limits.' },
  ),
  allowed_types: Type.Array(Str, { description: 'The MIME types Intake accepts.' }),
});
export type UploadRules = Static<typeof UploadRules>;

export const Usage = Type.Composite([UsageBase, UploadRules]);
export type Usage = Static<typeof Usage>;
