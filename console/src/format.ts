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

/** Names people know a type by, where its MIME subtype says something else. */
const FRIENDLY: Record<string, string> = {
  'svg+xml': 'SVG', quicktime: 'MOV', 'x-msvideo': 'AVI', 'x-matroska': 'MKV', '3gpp': '3GP', mpeg: 'MPEG', 'mp2t': 'TS', 'x-m4a': 'M4A', 'x-wav': 'WAV', wave: 'WAV',
  msword: 'DOC', 'vnd.openxmlformats-officedocument.wordprocessingml.document': 'DOCX', 'vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'XLSX',
  'vnd.openxmlformats-officedocument.presentationml.presentation': 'PPTX', 'vnd.ms-excel': 'XLS', 'vnd.ms-powerpoint': 'PPT', 'epub+zip': 'EPUB',
  'vnd.oasis.opendocument.text': 'ODT', 'vnd.oasis.opendocument.spreadsheet': 'ODS', 'vnd.oasis.opendocument.presentation': 'ODP', plain: 'TXT', markdown: 'MD',
};

/** `image/jpeg, image/png, video/mp4…` → ["JPEG", "PNG"] for one kind, for a hint. */
export function typeNames(types: string[], kind: string): string[] {
  const mine = types.filter((t) => (kind === 'document' ? !/^(image|video|audio)\//.test(t) : t.startsWith(`${kind}/`)));
  const names = mine.map((t) => {
    const sub = t.split('/')[1]!;
    return FRIENDLY[sub] ?? sub.replace(/^(x-|vnd\.)/, '').replace(/[.+].*$/, '').toUpperCase();
  });
  return [...new Set(names)];
}

/** A size limit as people set it: binary units when it is a whole number of them (10 GiB), else decimal. */
export function limit(n: number): string {
  const units = ['GiB', 'MiB', 'KiB'];
  for (const [i, unit] of units.entries()) {
    const size = 1024 ** (3 - i);
    if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  }
  return bytes(n);
}
