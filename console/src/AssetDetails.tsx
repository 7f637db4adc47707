import { useState } from 'preact/hooks';
import { sourceOf, type Asset, type IntakeClient, type Source } from './api';
import { bytes, seconds, when } from './format';

/** The video rendition a player should show: the tallest MP4 rendition, else the original. */
function playable(a: Asset): Source | undefined {
  const renditions = a.sources.filter((s) => s.label !== 'original' && s.mimetype.startsWith('video/'));
  renditions.sort((x, y) => (y.height ?? 0) - (x.height ?? 0));
  return renditions[0] ?? sourceOf(a, 'original');
}

function Preview(props: { asset: Asset }) {
  const a = props.asset;
  if (a.kind === 'image') {
    const s = sourceOf(a, 'preview') ?? sourceOf(a, 'thumbnail');
    return s ? <img class="preview" src={s.url} alt={a.filename} data-label={s.label} /> : <p class="empty">No preview yet ({a.status}).</p>;
  }
  if (a.kind === 'video') {
    const s = playable(a);
    const poster = sourceOf(a, 'poster');
    if (!s) return <p class="empty">No video yet ({a.status}).</p>;
    return <video class="preview" controls preload="none" src={s.url} poster={poster?.url} data-label={s.label} />;
  }
  if (a.kind === 'audio') {
    const s = sourceOf(a, 'audio') ?? sourceOf(a, 'original');
    return s ? <audio controls preload="none" src={s.url} /> : null;
  }
  return null;
}

function Fact(props: { name: string; value: string | number | null | undefined }) {
  if (props.value === null || props.value === undefined || props.value === '') return null;
  return (
    <>
      <dt>{props.name}</dt>
      <dd>{props.value}</dd>
    </>
  );
}

export function AssetDetails(props: { client: IntakeClient; asset: Asset; onClose: () => void; onDeleted: (id: string) => void; onError: (err: unknown) => void }) {
  const a = props.asset;
  const [confirming, setConfirming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [copied, setCopied] = useState<string | null>(null);

  const remove = async () => {
    setDeleting(true);
    try {
      await props.client.assets.delete(a.id);
      props.onDeleted(a.id);
    } catch (err) {
      setDeleting(false);
      setConfirming(false);
      props.onError(err);
    }
  };

  /** The clipboard needs a secure context (https or localhost); elsewhere the link is shown to copy by hand. */
  const copy = async (url: string) => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied('Copied: the link works for an hour.');
    } catch {
      setCopied(url);
    }
  };

  return (
    <aside class="details" aria-label={`Details of ${a.filename}`} data-details={a.id}>
      <header>
        <h3>{a.title ?? a.filename}</h3>
        <button type="button" class="secondary" onClick={props.onClose} aria-label="Close details">
          ×
        </button>
      </header>
      <Preview asset={a} />
      <div class="actions">
        {a.url && (
          <button type="button" onClick={() => copy(a.url!)}>
            Copy delivery link
          </button>
        )}
        {confirming ? (
          <>
            <button type="button" class="danger" onClick={remove} disabled={deleting}>
              {deleting ? 'Deleting…' : 'Delete for good'}
            </button>
            <button type="button" class="secondary" onClick={() => setConfirming(false)} disabled={deleting}>
              Keep
            </button>
          </>
        ) : (
          <button type="button" class="danger" onClick={() => setConfirming(true)}>
            Delete
          </button>
        )}
      </div>
      {copied && (
        <p class="copied" role="status">
          {copied.startsWith('http') ? <input readOnly value={copied} onFocus={(e) => (e.target as HTMLInputElement).select()} /> : copied}
        </p>
      )}
      {a.error && (
        <p class="error">
          {a.error.code}: {a.error.message}
        </p>
      )}
      <dl class="probed">
        <Fact name="ID" value={a.id} />
        <Fact name="Status" value={a.status} />
        <Fact name="File name" value={a.filename} />
        <Fact name="Kind" value={a.kind} />
        <Fact name="Type" value={a.mimetype} />
        <Fact name="Size" value={bytes(a.filesize)} />
        <Fact name="Dimensions" value={a.width && a.height ? `${a.width}×${a.height}` : null} />
        <Fact name="Duration" value={a.duration ? seconds(a.duration) : null} />
        <Fact name="Frame rate" value={a.fps ? `${a.fps} fps` : null} />
        <Fact name="Bit rate" value={a.bitrate ? `${Math.round(a.bitrate / 1000)} kbit/s` : null} />
        <Fact name="Folder" value={a.folder} />
        <Fact name="Alias" value={a.alias} />
        <Fact name="SHA-256" value={a.sha256} />
        <Fact name="Upload" value={a.upload_id} />
        <Fact name="Created" value={when(a.created_at)} />
        <Fact name="Updated" value={when(a.updated_at)} />
      </dl>
      <h4>Sources</h4>
      <table class="sources">
        <thead>
          <tr>
            <th>Label</th>
            <th>Type</th>
            <th>Size</th>
            <th>Dimensions</th>
            <th>Duration</th>
            <th>Bit rate</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {a.sources.map((s) => (
            <tr key={s.id} data-source={s.label}>
              <td>{s.label}</td>
              <td>{s.mimetype}</td>
              <td>{bytes(s.filesize)}</td>
              <td>{s.width && s.height ? `${s.width}×${s.height}` : '—'}</td>
              <td>{seconds(s.duration)}</td>
              <td>{s.bitrate ? `${Math.round(s.bitrate / 1000)} kbit/s` : '—'}</td>
              <td>
                <a href={s.url} target="_blank" rel="noopener noreferrer">
                  open
                </a>{' '}
                <button type="button" class="link" onClick={() => copy(s.url)}>
                  copy
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h4>Metadata</h4>
      {Object.keys(a.metadata).length ? <pre class="metadata">{JSON.stringify(a.metadata, null, 2)}</pre> : <p class="empty">None.</p>}
    </aside>
  );
}
