/** Keyset pagination, newest first, over (created_at, id). The cursor is opaque to clients. */
import { sql } from 'kysely';
export interface PageCursor {
  createdAt: string;
  id: string;
}

export function encodeCursor(c: PageCursor): string {
  return Buffer.from(`${c.createdAt}|${c.id}`, 'utf8').toString('base64url');
}

/** Undefined for a cursor that was not made by encodeCursor. */
export function decodeCursor(raw: string): PageCursor | undefined {
  const text = Buffer.from(raw, 'base64url').toString('utf8');
  const [createdAt, id, ...rest] = text.split('|');
  if (!createdAt || !id || rest.length || Number.isNaN(Date.parse(createdAt))) return undefined;
  return { createdAt, id };
}

/** Rows strictly after `after` in (created_at desc, id desc) order, for a single-table query. */
export function olderThan(after: PageCursor) {
  return sql<boolean>`(created_at < ${after.createdAt} or (created_at = ${after.createdAt} and id < ${after.id}))`;
}

/** Splits `limit + 1` fetched rows into a page and the cursor of the next one. */
export function toPage<T extends { created_at: string; id: string }>(rows: T[], limit: number): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null };
}
