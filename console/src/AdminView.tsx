import { useEffect, useState } from 'preact/hooks';
import { createKey, createNamespace, explain, isUnauthorized, listKeys, listNamespaces, type CreatedKey, type IntakeClient, type Key, type Namespace } from './api';
import { bytes, when } from './format';
import { Header } from './Header';

const MB = 1000 * 1000;

/** A new key's secret, shown this once (Intake keeps only its hash), with a copy button. */
function Secret(props: { created: CreatedKey; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.created.secret);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <div class="secret" role="status" data-testid="new-secret">
      <p>
        <strong>Key “{props.created.name}” created.</strong> Copy its secret now: it is shown only this once.
      </p>
      <div class="secret-row">
        <input readOnly value={props.created.secret} aria-label="The new key's secret" onFocus={(e) => (e.target as HTMLInputElement).select()} />
        <button type="button" onClick={copy}>
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <button type="button" class="link" onClick={props.onDone}>
        I have kept it
      </button>
    </div>
  );
}

/** One namespace's keys by name, and a form for a new one. Keyed by namespace: a secret never shows under another. */
function Keys(props: { client: IntakeClient; namespace: Namespace; onError: (err: unknown) => void }) {
  const [keys, setKeys] = useState<Key[] | null>(null);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const [busy, setBusy] = useState(false);
  const load = () => listKeys(props.client, props.namespace.id).then(setKeys, props.onError);
  useEffect(() => void load(), []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      setCreated(await createKey(props.client, props.namespace.id, name.trim()));
      setName('');
      await load();
    } catch (err) {
      props.onError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel keys" aria-label={`Keys of ${props.namespace.name}`} data-keys={props.namespace.id}>
      <h3>Keys of {props.namespace.name}</h3>
      {created && <Secret created={created} onDone={() => setCreated(null)} />}
      <form class="inline-form" onSubmit={submit}>
        <input name="key-name" placeholder="Key name (e.g. web app)" required maxLength={100} value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        <button type="submit" disabled={busy || !name.trim()}>
          Create key
        </button>
      </form>
      {keys && keys.length === 0 && <p class="empty">No keys yet.</p>}
      {keys && keys.length > 0 && (
        <ul class="key-list">
          {keys.map((k) => (
            <li key={k.id} class={k.revoked_at ? 'revoked' : ''}>
              <span class="key-name">{k.name}</span>
              <code>
                {k.prefix}…{k.last4 ?? ''}
              </code>
              <span class="muted">{k.revoked_at ? `revoked ${when(k.revoked_at)}` : `created ${when(k.created_at)}`}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * The admin key manages namespaces and keys; Intake's API refuses it on namespace routes
 * (uploads, assets), so the console lists namespaces and their usage, creates them and
 * their keys, and says how to see a namespace's media.
 */
export function AdminView(props: { client: IntakeClient; onSignOut: (why?: string) => void }) {
  const [list, setList] = useState<Namespace[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [quota, setQuota] = useState('');

  const fail = (err: unknown) => {
    if (isUnauthorized(err)) props.onSignOut('The key is no longer valid.');
    else setError(explain(err));
  };
  const load = async (after: string | null) => {
    try {
      const page = await listNamespaces(props.client, after);
      setList((prev) => (after ? [...prev, ...page.items] : page.items));
      setCursor(page.nextCursor);
    } catch (err) {
      fail(err);
    }
  };
  useEffect(() => void load(null), []);

  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const mb = quota.trim() ? Number(quota) : null;
      const ns = await createNamespace(props.client, { name: name.trim(), quota_bytes: mb === null ? null : Math.round(mb * MB) });
      setList((prev) => [ns, ...prev]);
      setSelected(ns.id);
      setName('');
      setQuota('');
    } catch (err) {
      fail(err);
    }
  };

  const current = list.find((n) => n.id === selected);
  return (
    <>
      <Header onSignOut={() => props.onSignOut()}>
        <span class="namespace-name">Administration</span>
      </Header>
      <main class="admin">
        <p class="notice" data-testid="admin-notice">
          The admin key manages namespaces and keys. Intake's API does not let it read or upload a namespace's media (those routes answer 403 to an admin key): create a key
          for a namespace here and sign in with it to see and upload its assets.
        </p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <section class="panel" aria-label="New namespace">
          <h3>New namespace</h3>
          <form class="inline-form" onSubmit={create}>
            <input name="namespace-name" placeholder="Name (e.g. marketing)" required maxLength={100} value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
            <input name="namespace-quota" type="number" min="1" step="any" inputMode="decimal" placeholder="Quota in MB (optional)" value={quota} onInput={(e) => setQuota((e.target as HTMLInputElement).value)} />
            <button type="submit" disabled={!name.trim()}>
              Create namespace
            </button>
          </form>
        </section>
        <div class="admin-grid">
          <section class="panel" aria-label="Namespaces">
            <h3>Namespaces</h3>
            <ul class="namespace-list">
              {list.map((n) => (
                <li key={n.id} data-namespace={n.id} class={n.id === selected ? 'selected' : ''}>
                  <button type="button" class="row-button" onClick={() => setSelected(n.id === selected ? null : n.id)} aria-pressed={n.id === selected}>
                    <span class="ns-name">{n.name}</span>
                    <span class="muted">
                      {bytes(n.stored_bytes)} stored{n.quota_bytes === null ? '' : ` of ${bytes(n.quota_bytes)}`}
                      {n.public_delivery ? ' · public delivery' : ''} · since {new Date(n.created_at).toLocaleDateString()}
                    </span>
                    {n.quota_bytes !== null && <progress max={n.quota_bytes} value={n.stored_bytes} aria-label={`Storage of ${n.name}`} />}
                  </button>
                </li>
              ))}
            </ul>
            {cursor && (
              <button type="button" class="secondary" onClick={() => load(cursor)}>
                More
              </button>
            )}
          </section>
          {current ? <Keys key={current.id} client={props.client} namespace={current} onError={fail} /> : <p class="empty panel">Choose a namespace to see and create its keys.</p>}
        </div>
      </main>
    </>
  );
}
