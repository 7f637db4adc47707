export type Principal =
  | { readonly role: 'admin'; readonly keyId: string | null }
  | { readonly role: 'namespace'; readonly keyId: string; readonly namespaceId: string };

/** A caller acting inside one namespace; every query it makes is scoped to it. */
export interface Tenant {
  readonly namespaceId: string;
}
