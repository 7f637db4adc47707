/**
 * Characters no name or title may hold: C0/C1 controls (NUL, CR, LF…), format characters
 * (bidirectional marks and overrides such as U+200E/U+200F/U+202E that disguise "gpj.exe",
 * the BOM, zero-width spaces), line and paragraph separators, lone surrogates (no UTF-8
 * form: they break headers and storage) and the noncharacters U+FFFE/U+FFFF. The zero-width
 * (non-)joiners stay allowed: Persian, Indic scripts and emoji sequences need them.
 * One rule for every name a person types: filenames, titles, namespace and key names.
 */
export const UNSAFE_TEXT = /(?![\u200c\u200d])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\ufffe\uffff]/u;

export function hasUnsafeText(text: string): boolean {
  return UNSAFE_TEXT.test(text);
}
