import { useEffect, useRef, useState } from 'preact/hooks';
import type { IntakeClient, Usage } from './api';
import { bytes, limit, remaining, typeNames } from './format';
import { ImportUrl } from './ImportUrl';
import { Meter } from './meter';
import { loadPending, savePending, type PendingFile } from './pending';
import { discardSession, fingerprintOf, startTransfer, type Transfer, type TransferState } from './uploader';

/** Files sent at once; the rest wait their turn (each file already sends its parts in parallel). */
const AT_ONCE = 3;
const KINDS = ['image', 'video', 'audio', 'document'] as const;
/** Types named per kind in the drop zone; the rest are counted (and listed in its tooltip). */
const SHOWN_TYPES = 5;
const KIND_LABEL: Record<(typeof KINDS)[number], string> = { image: 'Images', video: 'Videos', audio: 'Audio', document: 'Documents' };

type RowState = TransferState | 'queued' | 'interrupted';

interface Row {
  id: number;
  name: string;
  size: number;
  fingerprint: string;
  /** Null after a reload, until the user chooses the file again. */
  file: File | null;
  folder: string;
  sent: number;
  acked: number;
  /** Bytes a second lately (0: not known yet). */
  rate: number;
  state: RowState;
  error?: string;
  assetId?: string | null;
}

const LABEL: Record<RowState, string> = {
  queued: 'Waiting',
  uploading: 'Uploading',
  paused: 'Paused',
  done: 'Uploaded',
  failed: 'Failed',
  canceled: 'Canceled',
  interrupted: 'Interrupted by a reload',
};

const OPEN: RowState[] = ['queued', 'uploading', 'paused', 'interrupted'];

/** The line under a row's name: bytes, then speed and time left while it moves, or what happened. */
function amount(r: Row): string {
  const of = `${bytes(r.sent)} of ${bytes(r.size)}`;
  if (r.state === 'uploading') return r.rate > 0 ? `${of} · ${bytes(r.rate)}/s · ${remaining((r.size - r.sent) / r.rate)} left` : of;
  if (r.state === 'done') return `${bytes(r.size)} · ${LABEL.done}`;
  if (r.state === 'canceled') return `${LABEL.canceled} after ${bytes(r.sent)}`;
  if (r.state === 'interrupted') return `${bytes(r.acked)} of ${bytes(r.size)} kept · choose the file again`;
  if (r.state === 'failed') return `${LABEL.failed}${r.error ? `: ${r.error}` : ''}`;
  return `${of} · ${LABEL[r.state]}`;
}

/** What the namespace accepts, from GET /v1/usage: each kind's largest file and its types. */
function Rules(props: { usage: Usage }) {
  const u = props.usage;
  return (
    <ul class="rules" data-testid="upload-rules">
      {KINDS.map((k) => {
        const names = typeNames(u.allowed_types, k);
        const shown = names.slice(0, SHOWN_TYPES).join(', ') + (names.length > SHOWN_TYPES ? ` +${names.length - SHOWN_TYPES}` : '');
        return names.length ? (
          <li key={k} title={names.join(', ')}>
            <strong>{KIND_LABEL[k]}</strong> up to {limit(u.max_file_bytes[k])} · <span class="types">{shown}</span>
          </li>
        ) : null;
      })}
    </ul>
  );
}

function UploadIcon() {
  return (
    <svg class="icon" viewBox="0 0 24 24" width="40" height="40" aria-hidden="true">
      <path d="M12 16V4m0 0-4.5 4.5M12 4l4.5 4.5M4 15v3.5A1.5 1.5 0 0 0 5.5 20h13a1.5 1.5 0 0 0 1.5-1.5V15" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
}

function restored(): Row[] {
  return loadPending().map((p, i) => ({ id: -(i + 1), name: p.name, size: p.size, fingerprint: p.fingerprint, file: null, folder: p.folder, sent: p.acknowledged, acked: p.acknowledged, rate: 0, state: 'interrupted' }));
}

export function Uploads(props: { client: IntakeClient; usage: Usage; onFinished: () => void; onActive: (active: boolean) => void }) {
  const [rows, setRows] = useState<Row[]>(restored);
  const [over, setOver] = useState(false);
  const [folder, setFolder] = useState('');
  const transfers = useRef(new Map<number, Transfer>());
  const meters = useRef(new Map<number, Meter>());
  const nextId = useRef(1);
  const picker = useRef<HTMLInputElement>(null);
  const saved = useRef('');

  const update = (id: number, patch: Partial<Row>) => setRows((all) => all.map((r) => (r.id === id ? { ...r, ...patch } : r)));

  /** New rows for new files; a file a reload interrupted takes its row back and resumes. */
  const add = (files: FileList | File[] | null) => {
    if (!files?.length) return;
    const f = folder.trim();
    setRows((all) => {
      const next = [...all];
      for (const file of Array.from(files)) {
        const fingerprint = fingerprintOf(file);
        const at = next.findIndex((r) => r.state === 'interrupted' && r.fingerprint === fingerprint);
        if (at >= 0) next[at] = { ...next[at]!, file, state: 'queued' };
        else next.push({ id: nextId.current++, name: file.name, size: file.size, fingerprint, file, folder: f, sent: 0, acked: 0, rate: 0, state: 'queued' });
      }
      return next;
    });
  };

  // Keeps the open rows for a reload (only when the set or an acknowledged count changes, not on every byte).
  useEffect(() => {
    const open: PendingFile[] = rows.filter((r) => OPEN.includes(r.state)).map((r) => ({ fingerprint: r.fingerprint, name: r.name, size: r.size, folder: r.folder, acknowledged: r.acked }));
    const text = JSON.stringify(open);
    if (text !== saved.current) savePending(open);
    saved.current = text;
  }, [rows]);

  // Starts queued files while fewer than AT_ONCE are sending.
  useEffect(() => {
    const active = rows.filter((r) => r.state === 'uploading').length;
    props.onActive(rows.some((r) => r.state === 'uploading' || r.state === 'queued'));
    for (const r of rows.filter((x) => x.state === 'queued' && x.file).slice(0, Math.max(0, AT_ONCE - active))) {
      update(r.id, { state: 'uploading' });
      const meter = new Meter();
      meters.current.set(r.id, meter);
      const t = startTransfer(props.client, r.file!, { folder: r.folder || undefined }, {
        // Sent bytes never go backwards, whatever order the answers arrive in.
        progress: (sent, acked) => {
          meter.add(sent);
          setRows((all) => all.map((x) => (x.id === r.id && (sent > x.sent || acked > x.acked) ? { ...x, sent: Math.max(sent, x.sent), acked: Math.max(acked, x.acked), rate: meter.rate() } : x)));
        },
        state: (state, detail) => {
          if (state !== 'uploading') meter.reset();
          update(r.id, { state, rate: 0, ...(detail?.error ? { error: detail.error } : {}), ...(detail?.assetId !== undefined ? { assetId: detail.assetId } : {}) });
          if (state === 'done' || state === 'failed' || state === 'canceled') {
            transfers.current.delete(r.id);
            meters.current.delete(r.id);
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

  const discard = (r: Row) => {
    update(r.id, { state: 'canceled' });
    void discardSession(props.client, r.fingerprint);
  };

  const clearFinished = () => setRows((all) => all.filter((r) => OPEN.includes(r.state)));

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
        <UploadIcon />
        <p class="lead">
          Drop files here or{' '}
          <button type="button" class="link" onClick={() => picker.current?.click()}>
            browse
          </button>
        </p>
        <Rules usage={props.usage} />
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
          <span>Into folder</span>
          <input name="upload-folder" placeholder="root" value={folder} onInput={(e) => setFolder((e.target as HTMLInputElement).value)} />
        </label>
      </div>
      <ImportUrl client={props.client} folder={folder} onFinished={props.onFinished} />
      {rows.length > 0 && (
        <ul class="transfers" aria-label="Transfers">
          {rows.map((r) => (
            <li key={r.id} class={`transfer ${r.state}`} data-file={r.name} data-state={r.state} data-sent={r.sent} data-acked={r.acked}>
              <span class="name" title={r.name}>
                {r.name}
              </span>
              <progress max={r.size || 1} value={r.size ? r.sent : r.state === 'done' ? 1 : 0} aria-label={`Upload of ${r.name}`} />
              <span class="pct">{r.size ? `${Math.floor((r.sent / r.size) * 100)}%` : ''}</span>
              <span class="amount" title={amount(r)}>
                {amount(r)}
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
                {r.state === 'interrupted' && (
                  <>
                    <button type="button" onClick={() => picker.current?.click()}>
                      Choose file
                    </button>
                    <button type="button" class="secondary" onClick={() => discard(r)}>
                      Discard
                    </button>
                  </>
                )}
              </span>
            </li>
          ))}
        </ul>
      )}
      {rows.some((r) => !OPEN.includes(r.state)) && (
        <button type="button" class="secondary small" onClick={clearFinished}>
          Clear finished
        </button>
      )}
    </section>
  );
}
