/** The keys every driver accepts: path segments of safe characters, never `.` or `..`. */
const KEY_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

export function isValidKey(key: string): boolean {
  return key.length <= 512 && KEY_RE.test(key) && !key.split('/').some((s) => s === '.' || s === '..');
}
