import { useEffect, useState } from 'preact/hooks';
import { clientFor, explain, identify, isUnauthorized, type IntakeClient, type Usage } from './api';
import { forgetKey, storedKey, storeKey } from './session';

export type Identity = { role: 'namespace'; client: IntakeClient; usage: Usage } | { role: 'admin'; client: IntakeClient };

async function who(key: string): Promise<Identity> {
  const client = clientFor(key);
  const id = await identify(client, key);
  return id.role === 'admin' ? { role: 'admin', client } : { role: 'namespace', client, usage: id.usage };
}

function refusal(err: unknown): string {
  return isUnauthorized(err) ? 'Intake does not know this key (or it was revoked).' : explain(err);
}

/** Sign-in with a namespace or admin key; a key kept in this tab signs in again on reload. */
export function SignIn(props: { notice: string | null; onSignedIn: (id: Identity) => void }) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(props.notice);

  useEffect(() => {
    const kept = storedKey();
    if (!kept) return;
    setBusy(true);
    who(kept).then(props.onSignedIn, (err) => {
      forgetKey();
      setError(refusal(err));
      setBusy(false);
    });
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    const k = key.trim();
    if (!k) return;
    setBusy(true);
    setError(null);
    try {
      const id = await who(k);
      storeKey(k);
      props.onSignedIn(id);
    } catch (err) {
      setError(refusal(err));
      setBusy(false);
    }
  };

  return (
    <main class="signin">
      <h1>Intake</h1>
      <form onSubmit={submit} aria-label="Sign in">
        <label for="key">API key</label>
        <input
          id="key"
          name="key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          placeholder="sk_… or the admin key"
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          disabled={busy}
        />
        <button type="submit" disabled={busy || !key.trim()}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <p class="hint">The key stays in this tab only (session storage) and is forgotten when you sign out or close the tab.</p>
      </form>
    </main>
  );
}
