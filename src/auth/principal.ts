import type { NamespaceRow } from '../db/schema.js';

export type Principal =
  | { readonly role: 'admin'; readonly keyId: string | null }
  | { readonly role: 'namespace'; readonly keyId: string; readonly namespaceId: string; readonly namespace?: NamespaceRow };

/** A caller acting inside one namespace; every query it makes is scoped to it. */
export interface Tenant {
  readonly namespaceId: string;
  /** The namespace row as read with the key, when the caller has it (saves a query). */
  readonly namespace?: NamespaceRow;
}
