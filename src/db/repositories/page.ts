/** Keyset pagination, newest first, over (created_at, id). The cursor is opaque to clients. */
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
