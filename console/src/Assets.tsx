import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiQuery } from '@intake/sdk';
import { explain, isUnauthorized, sourceOf, type Asset, type IntakeClient } from './api';
import { AssetDetails } from './AssetDetails';
import { bytes, seconds } from './format';

type Query = ApiQuery<'/v1/assets', 'get'>;
const KINDS: NonNullable<Query['kind']>[] = ['image', 'video', 'audio', 'document'];
const STATUSES: NonNullable<Query['status']>[] = ['pending', 'processing', 'ready', 'failed'];
/** Delivery links live an hour: a fetched asset whose record has not changed keeps its links (and images) this long. */
const KEEP_LINKS_MS = 40 * 60_000;
/** Polling: quick while something is processing, slow otherwise, backing off while nothing changes; never while the tab is hidden. */
const BUSY_MS = [1000, 8000];
const IDLE_MS = [30_000, 120_000];
/** How long a new image without a thumbnail counts as still processing. */
const RENDITIONS_WITHIN_MS = 5 * 60_000;

interface Filters {
  kind: string;
  status: string;
  folder: string;
}

/** The small picture of an asset: an image's thumbnail, a video's poster. */
function Thumb(props: { asset: Asset }) {
  const a = props.asset;
  const s = a.kind === 'image' ? sourceOf(a, 'thumbnail') : a.kind === 'video' ? sourceOf(a, 'poster') : undefined;
  if (!s) return <span class={`placeholder ${a.kind}`}>{a.status === 'ready' ? a.kind : a.status}</span>;
  return <img src={s.url} alt={`${s.label} of ${a.filename}`} data-label={s.label} width={s.width ?? undefined} height={s.height ?? undefined} loading="lazy" decoding="async" />;
}

/**
 * Still changing: pending or processing, or a new image whose renditions are still being
 * made (images are ready at once; thumbnail and preview follow from a job).
 */
function processing(a: Asset): boolean {
  if (a.status === 'pending' || a.status === 'processing') return true;
  return a.kind === 'image' && a.status === 'ready' && !sourceOf(a, 'thumbnail') && Date.now() - Date.parse(a.created_at) < RENDITIONS_WITHIN_MS;
}

/** The same asset record apart from its signed links (which change at every read). */
function sameBut(x: Asset, y: Asset): boolean {
  const unsigned = (a: Asset) => JSON.stringify({ ...a, url: null, sources: a.sources.map((s) => ({ ...s, url: null })) });
  return unsigned(x) === unsigned(y);
}

/** A filter's select: "all" (empty) or one of the options. */
function Choice(props: { label: string; name: string; options: string[]; value: string; onChange: (value: string) => void }) {
  return (
    <label>
      {props.label}
      <select name={props.name} value={props.value} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}>
        <option value="">all</option>
        {props.options.map((o) => (
          <option value={o}>{o}</option>
        ))}
      </select>
    </label>
  );
}

function facts(a: Asset): string {
  const parts = [a.kind, bytes(a.filesize)];
  if (a.width && a.height) parts.push(`${a.width}×${a.height}`);
  if (a.duration) parts.push(seconds(a.duration));
  return parts.join(' · ');
}

export function Assets(props: { client: IntakeClient; changes: number; uploading: boolean; onChanged: () => void; onUnauthorized: () => void }) {
  const [filters, setFilters] = useState<Filters>({ kind: '', status: '', folder: '' });
  const [folderText, setFolderText] = useState('');
  const [list, setList] = useState<Asset[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const kept = useRef(new Map<string, { asset: Asset; at: number }>());
  // The list as last set, for comparisons inside async callbacks.
  const shown = useRef<Asset[]>([]);
  const show = (next: Asset[]) => {
    shown.current = next;
    setList(next);
  };

  /** Keeps an unchanged asset's object (so its links, and the images showing them, stay put). */
  const keep = (fresh: Asset[]): Asset[] => {
    const now = Date.now();
    return fresh.map((a) => {
      const old = kept.current.get(a.id);
      if (old && sameBut(old.asset, a) && now - old.at < KEEP_LINKS_MS) return old.asset;
      kept.current.set(a.id, { asset: a, at: now });
      return a;
    });
  };

  const fail = (err: unknown) => {
    if (isUnauthorized(err)) props.onUnauthorized();
    else setError(explain(err));
  };

  const page = (after: string | null) =>
    props.client.assets.list({
      limit: 50,
      ...(filters.kind ? { kind: filters.kind as Query['kind'] } : {}),
      ...(filters.status ? { status: filters.status as Query['status'] } : {}),
      ...(filters.folder ? { folder: filters.folder } : {}),
      ...(after ? { cursor: after } : {}),
    });

  /** Reloads the first page; true when anything in it changed. */
  const refresh = async (): Promise<boolean> => {
    try {
      const first = await page(null);
      const fresh = keep(first.items);
      const prev = shown.current;
      const beyond = prev.slice(50).filter((p) => !fresh.some((f) => f.id === p.id));
      const changed = fresh.length !== Math.min(prev.length, 50) || fresh.some((a, i) => a !== prev[i]);
      if (changed) show([...fresh, ...beyond]);
      if (changed || prev.length === 0) setCursor(first.nextCursor);
      setLoaded(true);
      setError(null);
      return changed;
    } catch (err) {
      fail(err);
      return false;
    }
  };

  const more = async () => {
    try {
      const next = await page(cursor);
      const prev = shown.current;
      show([...prev, ...keep(next.items).filter((a) => !prev.some((p) => p.id === a.id))]);
      setCursor(next.nextCursor);
    } catch (err) {
      fail(err);
    }
  };

  useEffect(() => {
    show([]);
    setLoaded(false);
    void refresh();
  }, [filters]);
  useEffect(() => {
    if (props.changes) void refresh();
  }, [props.changes]);

  const busy = props.uploading || list.some(processing);
  useEffect(() => {
    const [first, last] = busy ? BUSY_MS : IDLE_MS;
    let delay = first!;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const schedule = () => {
      clearTimeout(timer);
      if (!stopped && document.visibilityState === 'visible') timer = setTimeout(tick, delay);
    };
    const tick = async () => {
      const changed = await refresh();
      delay = changed ? first! : Math.min(delay * 2, last!);
      schedule();
    };
    const onVisible = () => {
      if (document.visibilityState !== 'visible') return clearTimeout(timer);
      delay = first!;
      void tick();
    };
    schedule();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [busy, filters]);

  const current = list.find((a) => a.id === selected) ?? null;
  const set = (patch: Partial<Filters>) => setFilters((f) => ({ ...f, ...patch }));

  return (
    <div class={`library${current ? ' with-details' : ''}`}>
    <section class="assets" aria-label="Assets">
      <div class="section-head">
        <h2>Assets</h2>
        {loaded && <span class="count">{list.length}{cursor ? '+' : ''}</span>}
      </div>
      <form class="filters" onSubmit={(e) => (e.preventDefault(), set({ folder: folderText.trim() }))}>
        <Choice label="Kind" name="kind" options={KINDS} value={filters.kind} onChange={(kind) => set({ kind })} />
        <Choice label="Status" name="status" options={STATUSES} value={filters.status} onChange={(status) => set({ status })} />
        <label>
          Folder
          <input
            name="folder"
            placeholder="any (e.g. root)"
            value={folderText}
            onInput={(e) => setFolderText((e.target as HTMLInputElement).value)}
            onBlur={() => set({ folder: folderText.trim() })}
          />
        </label>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      {loaded && list.length === 0 && <p class="empty">No assets{filters.kind || filters.status || filters.folder ? ' match these filters' : ' yet: drop files above'}.</p>}
      <ul class="grid">
        {list.map((a) => (
          <li key={a.id} class={`asset${a.id === selected ? ' selected' : ''}`} data-asset={a.id} data-status={a.status}>
            <button type="button" class="thumb" onClick={() => setSelected(a.id === selected ? null : a.id)} aria-label={`Details of ${a.filename}`}>
              <Thumb asset={a} />
            </button>
            <div class="caption">
              <span class="name" title={a.filename}>
                {a.title ?? a.filename}
              </span>
              <span class="facts">{facts(a)}</span>
              <span class={`status ${a.status}`}>{a.status}</span>
            </div>
          </li>
        ))}
      </ul>
      {cursor && (
        <button type="button" class="secondary" onClick={more}>
          More
        </button>
      )}
    </section>
      {current && <div class="sheet-backdrop" onClick={() => setSelected(null)} aria-hidden="true" />}
      {current && (
        <AssetDetails
          key={current.id}
          client={props.client}
          asset={current}
          onClose={() => setSelected(null)}
          onDeleted={(id) => {
            kept.current.delete(id);
            show(shown.current.filter((a) => a.id !== id));
            setSelected(null);
            props.onChanged();
          }}
          onError={fail}
        />
      )}
    </div>
  );
}
