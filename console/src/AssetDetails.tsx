import { useState } from 'preact/hooks';
import type { Asset, IntakeClient } from './api';
import { AssetPreview } from './AssetPreview';
import { Placeholder } from './Placeholder';
import { Transforms } from './Transforms';
import { bytes, seconds, when } from './format';

function Fact(props: { name: string; value: string | number | null | undefined }) {
  if (props.value === null || props.value === undefined || props.value === '') return null;
  return (
    <>
      <dt>{props.name}</dt>
      <dd>{props.value}</dd>
    </>
  );
}

/**
 * The details panel of one asset. Mounted with `key={asset.id}`, so nothing a user did on
 * one asset (a delete confirmation, a copied link) carries over to the next.
 */
export function AssetDetails(props: { client: IntakeClient; asset: Asset; onClose: () => void; onDeleted: (id: string) => void; onError: (err: unknown) => void }) {
  const a = props.asset;
  const [confirming, setConfirming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [copied, setCopied] = useState<string | null>(null);
  // Duration and bit rate columns only for media that has them (video, audio).
  const timed = a.sources.some((s) => s.duration || s.bitrate);

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
        <div class="titles">
          <h3>{a.title ?? a.filename}</h3>
          <span class={`status ${a.status}`}>{a.status}</span>
        </div>
        <button type="button" class="icon-button" onClick={props.onClose} aria-label="Close details">
          ×
        </button>
      </header>
      <AssetPreview asset={a} />
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
      {a.placeholder && (
        <>
          <h4>Placeholder</h4>
          <Placeholder thumbhash={a.placeholder.thumbhash} color={a.placeholder.color} />
        </>
      )}
      {(a.playback.hls || a.playback.storyboard) && (
        <p class="playback-links">
          {a.playback.hls && (
            <a href={a.playback.hls} target="_blank" rel="noopener noreferrer">
              HLS master playlist
            </a>
          )}
          {a.playback.storyboard && (
            <>
              {' · '}
              <a href={a.playback.storyboard.image} target="_blank" rel="noopener noreferrer" data-testid="storyboard">
                storyboard
              </a>{' '}
              (<a href={a.playback.storyboard.vtt} target="_blank" rel="noopener noreferrer">VTT</a>)
            </>
          )}
        </p>
      )}
      {a.status === 'ready' && (a.kind === 'image' || a.kind === 'video') && <Transforms client={props.client} asset={a} onError={props.onError} />}
      <h4>Sources</h4>
      <div class="table-wrap">
      <table class="sources">
        <thead>
          <tr>
            <th>Label</th>
            <th>Type</th>
            <th>Size</th>
            <th>Dimensions</th>
            {timed && <th>Duration</th>}
            {timed && <th>Bit rate</th>}
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
              {timed && <td>{seconds(s.duration)}</td>}
              {timed && <td>{s.bitrate ? `${Math.round(s.bitrate / 1000)} kbit/s` : '—'}</td>}
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
      </div>
      <h4>Metadata</h4>
      {Object.keys(a.metadata).length ? <pre class="metadata">{JSON.stringify(a.metadata, null, 2)}</pre> : <p class="empty">None.</p>}
    </aside>
  );
}
