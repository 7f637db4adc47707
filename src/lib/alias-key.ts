/**
 * The form of an alias that uniqueness and look-ups compare: Unicode compatibility
 * normalisation (NFKC, which includes NFC's canonical equivalence and folds look-alike
 * forms such as full-width letters) and case folding, so "Logo", "LOGO" and "ｌｏｇｏ", or
 * "Café" typed precomposed and decomposed, are one alias. What the user typed is kept for
 * display; only this key carries the unique index.
 */
export function aliasKey(alias: string): string {
  // JavaScript has no full case folding; lower → upper → lower reaches it for the cases
  // that matter here (ß/ẞ → ss, σ/ς/Σ → σ), and is stable under repetition.
  return alias.normalize('NFKC').toLowerCase().toUpperCase().toLowerCase().normalize('NFKC');
}
