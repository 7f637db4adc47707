import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, type Config } from '../config/config.js';
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

/** What makes a configuration scale-out: state another machine's process may share. */
function scaleOutReasons(config: Config): string[] {
  const reasons: string[] = [];
  if (config.database.url.startsWith('postgres')) reasons.push('INTAKE_DATABASE_URL is PostgreSQL');
  if (config.storage.driver === 's3') reasons.push('INTAKE_STORAGE=s3');
  if (config.redis.url) reasons.push('INTAKE_REDIS_URL is set');
  return reasons;
}

/**
 * Scaled out, every API process and worker must sign and check with the same secrets: a
 * file generated per process (per machine, per container) would make one process refuse
 * the URLs another signed. So there they come from the environment, or Intake stops.
 */
export function requireSharedSecrets(config: Config): void {
  const reasons = scaleOutReasons(config);
  if (reasons.length === 0) return;
  const missing = [config.secrets.adminKey ? null : 'INTAKE_ADMIN_KEY', config.secrets.signingSecret ? null : 'INTAKE_SIGNING_SECRET'].filter((v): v is string => v !== null);
  if (missing.length === 0) return;
  throw new ConfigError(
    missing.map(
      (name) => `${name} must be set when Intake is scaled out (${reasons.join(', ')}): every process must share it, so it is not generated into a file of one process's data folder`,
    ),
  );
}

export const newAdminKey = () => `sk_admin_${randomToken(40)}`;
export const newSigningSecret = () => randomToken(64);
