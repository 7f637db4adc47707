/**
 * Other sizes and formats of an image (or of a video's frame) by URL: the console asks the
 * API for a signed transform URL (`GET /v1/assets/{id}/url`) and shows what it renders.
 */
import { useState } from 'preact/hooks';
import { transformUrl, type Asset, type IntakeClient, type TransformQuery } from './api';

const FORMATS = ['auto', 'webp', 'avif', 'jpeg', 'png'] as const;
const FITS = ['inside', 'cover', 'contain', 'fill'] as const;

export function Transforms(props: { client: IntakeClient; asset: Asset; onError: (err: unknown) => void }) {
  const a = props.asset;
  const [query, setQuery] = useState<TransformQuery>({ width: 320, height: undefined, fit: 'inside', format: 'auto' });
  const [made, setMade] = useState<{ url: string; expires_at: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<TransformQuery>) => setQuery((q) => ({ ...q, ...patch }));
  const num = (v: string) => (v === '' ? undefined : Number(v));

  const make = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      setMade(await transformUrl(props.client, a.id, query));
    } catch (err) {
      props.onError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="transforms" aria-label="Transforms">
      <h4>Transforms</h4>
      <form class="transform-form" onSubmit={make}>
        <label>
          Width <input type="number" name="width" min={1} max={4096} value={query.width ?? ''} onInput={(e) => set({ width: num(e.currentTarget.value) })} />
        </label>
        <label>
          Height <input type="number" name="height" min={1} max={4096} value={query.height ?? ''} onInput={(e) => set({ height: num(e.currentTarget.value) })} />
        </label>
        <label>
          Fit
          <select name="fit" value={query.fit} onChange={(e) => set({ fit: e.currentTarget.value as TransformQuery['fit'] })}>
            {FITS.map((f) => <option key={f} value={f}>{f}</option>)}
          </select>
        </label>
        <label>
          Format
          <select name="format" value={query.format} onChange={(e) => set({ format: e.currentTarget.value as TransformQuery['format'] })}>
            {FORMATS.map((f) => <option key={f} value={f}>{f}</option>)}
          </select>
        </label>
        {a.kind === 'video' && (
          <label>
            At (s) <input type="number" name="time" min={0} step="0.1" value={query.time ?? ''} onInput={(e) => set({ time: num(e.currentTarget.value) })} />
          </label>
        )}
        <button type="submit" disabled={busy}>{busy ? 'Signing…' : 'Render'}</button>
      </form>
      {made && (
        <div class="transform-result">
          <img class="transformed" src={made.url} alt={`${a.filename}, transformed`} data-testid="transformed" />
          <p class="link">
            <a href={made.url} target="_blank" rel="noopener noreferrer">open</a> · signed until {new Date(made.expires_at).toLocaleTimeString()}
          </p>
        </div>
      )}
    </section>
  );
}
