import { useEffect, useState } from 'preact/hooks';
import { explain, isUnauthorized, listNamespaces, type IntakeClient, type Namespace } from './api';
import { bytes, when } from './format';
import { Header } from './Header';

/**
 * The admin key manages namespaces and keys; Intake's API refuses it on namespace routes
 * (uploads, assets), so the console lists namespaces and their usage and says so.
 */
export function AdminView(props: { client: IntakeClient; onSignOut: (why?: string) => void }) {
  const [list, setList] = useState<Namespace[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = async (after: string | null) => {
    try {
      const page = await listNamespaces(props.client, after);
      setList((prev) => (after ? [...prev, ...page.items] : page.items));
      setCursor(page.nextCursor);
    } catch (err) {
      if (isUnauthorized(err)) props.onSignOut('The key is no longer valid.');
      else setError(explain(err));
    }
  };
  useEffect(() => void load(null), []);

  return (
    <>
      <Header onSignOut={() => props.onSignOut()}>Admin key</Header>
      <main class="admin">
        <p class="notice" data-testid="admin-notice">
          The admin key manages namespaces and keys. Intake's API does not let it read or upload a namespace's media (those routes answer 403 to an
          admin key), so there is no namespace picker here: sign in with one of the namespace's API keys (<code>intake key create</code> or{' '}
          <code>POST /v1/keys</code>) to see and upload its assets.
        </p>
        {error && <p class="error" role="alert">{error}</p>}
        <table>
          <thead>
            <tr>
              <th>Namespace</th>
              <th>ID</th>
              <th>Stored</th>
              <th>Reserved</th>
              <th>Quota</th>
              <th>Public delivery</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {list.map((n) => (
              <tr key={n.id} data-namespace={n.id}>
                <td>{n.name}</td>
                <td>
                  <code>{n.id}</code>
                </td>
                <td>{bytes(n.stored_bytes)}</td>
                <td>{bytes(n.reserved_bytes)}</td>
                <td>{n.quota_bytes === null ? 'none' : bytes(n.quota_bytes)}</td>
                <td>{n.public_delivery ? 'yes' : 'no'}</td>
                <td>{when(n.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {cursor && (
          <button type="button" class="secondary" onClick={() => load(cursor)}>
            More
          </button>
        )}
      </main>
    </>
  );
}
