import fs from 'node:fs';
import path from 'node:path';
import { randomToken } from '../lib/ids.js';

/**
 * The configured secret, else one kept in `<dataDir>/<file>` (created on first start,
 * mode 0600), so restarts keep signed URLs and the admin key valid.
 */
export function persistentSecret(dataDir: string, file: string, configured: string | null, make: () => string): { value: string; created: boolean; path: string | null } {
  if (configured) return { value: configured, created: false, path: null };
  const full = path.join(dataDir, file);
  try {
    return { value: fs.readFileSync(full, 'utf8').trim(), created: false, path: full };
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const value = make();
  fs.writeFileSync(full, `${value}\n`, { mode: 0o600, flag: 'wx' });
  return { value, created: true, path: full };
}

export const newAdminKey = () => `sk_admin_${randomToken(40)}`;
export const newSigningSecret = () => randomToken(64);
