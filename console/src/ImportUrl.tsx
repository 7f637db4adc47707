import { useEffect, useRef, useState } from 'preact/hooks';
import { explain, type IntakeClient } from './api';
import { bytes } from './format';

/** How often an import's status is asked for while Intake fetches it. */
const POLL_MS = 1000;
const SETTLED = ['completed', 'failed', 'canceled', 'expired'];

interface Imported {
  id: string;
  url: string;
  status: string;
  size: number | null;
  error?: string;
}

function label(i: Imported): string {
  if (i.status === 'completed') return `${i.size ? `${bytes(i.size)} · ` : ''}Imported`;
  if (i.status === 'failed' || i.status === 'expired') return `Failed${i.error ? `: ${i.error}` : ''}`;
  if (i.status === 'processing') return 'Verifying';
  return 'Fetching';
}

/** The last path segment of a URL, as the row's name. */
function nameOf(url: string): string {
  try {
    const u = new URL(url);
    return decodeURIComponent(u.pathname.split('/').filter(Boolean).pop() ?? '') || u.host;
  } catch {
    return url;
  }
}

/**
 * Import from a URL, beside the drop zone: Intake fetches the file itself (POST /v1/uploads
 * with `source_url`), so nothing passes through the browser; the row follows the upload's
 * status until it settles.
 */
export function ImportUrl(props: { client: IntakeClient; folder: string; onFinished: () => void }) {
  const [url, setUrl] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [imports, setImports] = useState<Imported[]>([]);
  const alive = useRef(true);
  useEffect(() => () => void (alive.current = false), []);

  const follow = async (id: string) => {
    while (alive.current) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      let u;
      try {
        u = await props.client.uploads.get(id);
      } catch {
        continue;
      }
      const settled = SETTLED.includes(u.status);
      setImports((all) => all.map((i) => (i.id === id ? { ...i, status: u.status, size: u.file_size ?? i.size, error: u.error?.message } : i)));
      if (settled) {
        if (u.status === 'completed') props.onFinished();
        return;
      }
    }
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const source = url.trim();
    if (!source) return;
    setBusy(true);
    setError(null);
    try {
      const folder = props.folder.trim();
      const u = await props.client.uploads.importUrl(source, folder ? { folder } : {});
      setImports((all) => [...all, { id: u.id, url: source, status: u.status, size: null }]);
      setUrl('');
      void follow(u.id);
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="import-url">
      <form data-testid="import-url" onSubmit={submit}>
        <label>
          <span>Or import from a URL</span>
          <input type="url" name="import-url" required placeholder="https://example.com/video.mp4" value={url} onInput={(e) => setUrl((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" disabled={busy}>
          Import
        </button>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {imports.length > 0 && (
        <ul class="imports" aria-label="Imports">
          {imports.map((i) => (
            <li key={i.id} class="import" data-url={i.url} data-state={i.status}>
              <span class="name" title={i.url}>
                {nameOf(i.url)}
              </span>
              <span class="amount">{label(i)}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
