/**
 * The Upload-Concat header of tus concatenation: `partial`, or `final;<url> <url>…` naming
 * partial uploads by URL (absolute, or a path as tus-js-client sends it) in their order.
 */
import { invalid } from '../../lib/errors.js';

export interface Concat {
  partial?: true;
  /** Ids of the partial uploads, in order. */
  final?: string[];
}

/** The most partial uploads one final upload may join. */
const MAX_PARTIALS = 1000;

export function parseConcat(header: string | undefined): Concat | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === 'partial') return { partial: true };
  if (!value.startsWith('final;')) throw invalid('Upload-Concat must be "partial" or "final;<upload URL> <upload URL>…".', 'Upload-Concat');
  const urls = value.slice('final;'.length).trim().split(/ +/).filter(Boolean);
  if (urls.length === 0 || urls.length > MAX_PARTIALS) throw invalid(`Upload-Concat: final names 1 to ${MAX_PARTIALS} partial uploads.`, 'Upload-Concat');
  return { final: urls.map(idOf) };
}

function idOf(url: string): string {
  let pathname: string;
  try {
    pathname = new URL(url, 'http://intake.invalid').pathname;
  } catch {
    throw invalid(`Upload-Concat names "${url}", which is not an upload URL.`, 'Upload-Concat');
  }
  const m = /\/tus\/([A-Za-z0-9_-]{1,64})$/.exec(pathname);
  if (!m) throw invalid(`Upload-Concat names "${url}", which is not a /tus/ upload URL.`, 'Upload-Concat');
  return m[1]!;
}

/** What HEAD echoes for a final upload: its partials as paths. */
export function concatHeader(ids: readonly string[]): string {
  return `final;${ids.map((id) => `/tus/${id}`).join(' ')}`;
}
