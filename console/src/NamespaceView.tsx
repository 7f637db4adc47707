import { useCallback, useState } from 'preact/hooks';
import type { IntakeClient, Usage } from './api';
import { Assets } from './Assets';
import { bytes } from './format';
import { Header } from './Header';
import { Uploads } from './Uploads';

export function NamespaceView(props: { client: IntakeClient; usage: Usage; onSignOut: (why?: string) => void }) {
  const [usage, setUsage] = useState(props.usage);
  // Bumped when an upload finishes or an asset is deleted: the list reloads at once.
  const [changes, setChanges] = useState(0);
  const [uploading, setUploading] = useState(false);
  const changed = useCallback(() => {
    setChanges((n) => n + 1);
    props.client.usage().then(setUsage, () => undefined);
  }, [props.client]);

  return (
    <>
      <Header onSignOut={() => props.onSignOut()}>
        Namespace <code data-testid="namespace-id">{usage.namespace_id}</code> · {bytes(usage.stored_bytes)} stored
        {usage.quota_bytes !== null && ` of ${bytes(usage.quota_bytes)}`}
      </Header>
      <main class="namespace">
        <Uploads client={props.client} onFinished={changed} onActive={setUploading} />
        <Assets client={props.client} changes={changes} uploading={uploading} onChanged={changed} onUnauthorized={() => props.onSignOut('The key is no longer valid.')} />
      </main>
    </>
  );
}
