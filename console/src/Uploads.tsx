import { useEffect, useRef, useState } from 'preact/hooks';
import type { IntakeClient } from './api';
import { bytes } from './format';
import { startTransfer, type Transfer, type TransferState } from './uploader';

/** Files sent at once; the rest wait their turn (each file already sends its parts in parallel). */
const AT_ONCE = 3;

interface Row {
  id: number;
  file: File;
  folder: string;
  sent: number;
  state: TransferState | 'queued';
  error?: string;
  assetId?: string | null;
}

const LABEL: Record<Row['state'], string> = {
  queued: 'waiting',
  uploading: 'uploading',
  paused: 'paused',
  done: 'uploaded',
  failed: 'failed',
  canceled: 'canceled',
};

export function Uploads(props: { client: IntakeClient; onFinished: () => void; onActive: (active: boolean) => void }) {
  const [rows, setRows] = useState<Row[]>([]);
  const [over, setOver] = useState(false);
  const [folder, setFolder] = useState('');
  const transfers = useRef(new Map<number, Transfer>());
  const nextId = useRef(1);
  const picker = useRef<HTMLInputElement>(null);

  const update = (id: number, patch: Partial<Row>) => setRows((all) => all.map((r) => (r.id === id ? { ...r, ...patch } : r)));

  const add = (files: FileList | File[] | null) => {
    if (!files?.length) return;
    const f = folder.trim();
    setRows((all) => [...all, ...Array.from(files, (file) => ({ id: nextId.current++, file, folder: f, sent: 0, state: 'queued' as const }))]);
  };

  // Starts queued files while fewer than AT_ONCE are sending.
  useEffect(() => {
    const active = rows.filter((r) => r.state === 'uploading').length;
    props.onActive(rows.some((r) => r.state === 'uploading' || r.state === 'queued'));
    for (const r of rows.filter((x) => x.state === 'queued').slice(0, Math.max(0, AT_ONCE - active))) {
      update(r.id, { state: 'uploading' });
      const t = startTransfer(props.client, r.file, { folder: r.folder || undefined }, {
        // Acknowledged bytes never go backwards, whatever order the answers arrive in.
        progress: (n) => setRows((all) => all.map((x) => (x.id === r.id && n > x.sent ? { ...x, sent: n } : x))),
        state: (state, detail) => {
          update(r.id, { state, ...(detail?.error ? { error: detail.error } : {}), ...(detail?.assetId !== undefined ? { assetId: detail.assetId } : {}) });
          if (state === 'done' || state === 'failed' || state === 'canceled') {
            transfers.current.delete(r.id);
            if (state === 'done') props.onFinished();
          }
        },
      });
      transfers.current.set(r.id, t);
    }
  }, [rows]);

  const drop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    add(e.dataTransfer?.files ?? null);
  };

  const clearFinished = () => setRows((all) => all.filter((r) => r.state !== 'done' && r.state !== 'canceled' && r.state !== 'failed'));

  return (
    <section class="uploads" aria-label="Upload">
      <div
        class={`dropzone${over ? ' over' : ''}`}
        data-testid="dropzone"
        onDragEnter={(e) => (e.preventDefault(), setOver(true))}
        onDragOver={(e) => {
          e.preventDefault();
          if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
        }}
        onDragLeave={() => setOver(false)}
        onDrop={drop}
      >
        <p>
          Drop files here, or{' '}
          <button type="button" class="link" onClick={() => picker.current?.click()}>
            choose files
          </button>
          .
        </p>
        <input
          ref={picker}
          type="file"
          multiple
          hidden
          data-testid="file-input"
          onChange={(e) => {
            const input = e.target as HTMLInputElement;
            add(input.files);
            input.value = '';
          }}
        />
        <label class="folder">
          Into folder
          <input name="upload-folder" placeholder="root" value={folder} onInput={(e) => setFolder((e.target as HTMLInputElement).value)} />
        </label>
      </div>
      {rows.length > 0 && (
        <ul class="transfers">
          {rows.map((r) => (
            <li key={r.id} class={`transfer ${r.state}`} data-file={r.file.name} data-state={r.state} data-sent={r.sent}>
              <span class="name" title={r.file.name}>
                {r.file.name}
              </span>
              <progress max={r.file.size || 1} value={r.file.size ? r.sent : r.state === 'done' ? 1 : 0} aria-label={`Upload of ${r.file.name}`} />
              <span class="amount">
                {bytes(r.sent)} / {bytes(r.file.size)} · {LABEL[r.state]}
                {r.error && `: ${r.error}`}
              </span>
              <span class="buttons">
                {r.state === 'uploading' && (
                  <button type="button" class="secondary" onClick={() => transfers.current.get(r.id)?.pause()}>
                    Pause
                  </button>
                )}
                {r.state === 'paused' && (
                  <button type="button" class="secondary" onClick={() => transfers.current.get(r.id)?.resume()}>
                    Resume
                  </button>
                )}
                {(r.state === 'uploading' || r.state === 'paused') && (
                  <button type="button" class="secondary" onClick={() => transfers.current.get(r.id)?.cancel()}>
                    Cancel
                  </button>
                )}
                {r.state === 'queued' && (
                  <button type="button" class="secondary" onClick={() => update(r.id, { state: 'canceled' })}>
                    Cancel
                  </button>
                )}
              </span>
            </li>
          ))}
        </ul>
      )}
      {rows.some((r) => r.state === 'done' || r.state === 'canceled' || r.state === 'failed') && (
        <button type="button" class="secondary" onClick={clearFinished}>
          Clear finished
        </button>
      )}
    </section>
  );
}
