import { randomFillSync } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

// Random bytes are drawn from the CSPRNG 4 KiB at a time: a call per id (three per session
// create) cost more than the bytes themselves. Each byte is used once.
const pool = Buffer.alloc(4096);
let used = pool.length;

function randomByte(): number {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  return pool[used++]!;
}

/** Random `[a-z0-9]` string; rejection sampling keeps every character equally likely. */
export function randomToken(length: number): string {
  let out = '';
  while (out.length < length) {
    const byte = randomByte();
    if (byte < 252) out += ALPHABET[byte % 36];
  }
  return out;
}

export type IdPrefix = 'upl' | 'med' | 'src' | 'ns' | 'key' | 'whk' | 'req' | 'blb' | 'job' | 'msg' | 'bkt' | 'task';

/**
 * `prefix_` + the creation time in milliseconds (9 base-36 digits, good until the year
 * 5188) + 16 random characters (82 bits). New rows' primary keys then land at the end of
 * their index instead of on a random page, so an insert dirties the index's last page
 * rather than one more page per row. Ids still say nothing
 * that `created_at` does not, and the random part keeps them unguessable.
 */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${Date.now().toString(36).padStart(9, '0')}${randomToken(16)}`;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * A UUID version 7 (RFC 9562): the creation time in milliseconds (48 bits), then 74 random
 * bits. For the same reason as newId's time prefix: a unique index on random UUIDs (v4) put
 * every insert on a random page of the index, and a session create's commit wrote one more
 * page per row.
 */
export function uuidV7(): string {
  const time = Date.now().toString(16).padStart(12, '0');
  let rand = '';
  for (let i = 0; i < 9; i++) rand += HEX[randomByte()];
  // Version 7 in the 13th hex digit; the 17th holds the variant (binary 10) and 2 random bits.
  const variant = ((randomByte() & 0x3) | 0x8).toString(16);
  return `${time.slice(0, 8)}-${time.slice(8)}-7${rand.slice(0, 3)}-${variant}${rand.slice(3, 6)}-${rand.slice(6)}`;
}

export function isId(prefix: IdPrefix, value: string): boolean {
  return value.startsWith(`${prefix}_`) && /^[a-z0-9]{16,64}$/.test(value.slice(prefix.length + 1));
}
