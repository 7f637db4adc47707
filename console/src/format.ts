export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function seconds(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  const m = Math.floor(n / 60);
  const s = n - m * 60;
  return m ? `${m}:${s.toFixed(0).padStart(2, '0')}` : `${s.toFixed(1)} s`;
}

export function when(iso: string): string {
  return new Date(iso).toLocaleString();
}

/** A duration to go, short: "8 s", "3 min", "1 h 5 min". */
export function remaining(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '';
  if (s < 60) return `${Math.max(1, Math.round(s))} s`;
  const m = Math.round(s / 60);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** `image/jpeg, image/png, video/mp4…` → "JPEG, PNG, MP4…" grouped by kind, for a hint. */
export function typeNames(types: string[], kind: string): string {
  const names = types.filter((t) => (kind === 'document' ? !/^(image|video|audio)\//.test(t) : t.startsWith(`${kind}/`))).map((t) => t.split('/')[1]!.replace(/^(x-|vnd\.)/, '').replace(/[.+].*$/, '').toUpperCase());
  return [...new Set(names)].join(', ');
}
