/**
 * Content-Disposition (RFC 6266) for a stored file: an ASCII `filename` for old clients
 * and the exact name in `filename*` (RFC 8187). encodeURIComponent leaves `'()*!`
 * unencoded; `'` ends the charset/language part of `filename*`, and `()*` are not
 * attr-chars, so they are percent-encoded too.
 */
export function contentDisposition(type: 'inline' | 'attachment', filename: string): string {
  // A lone surrogate has no UTF-8 form (encodeURIComponent would throw): U+FFFD instead.
  const name = filename.replace(/[\ud800-\udfff]/gu, '\ufffd');
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${type}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
