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
        <span class="namespace-name" data-testid="namespace" data-id={usage.namespace_id} title={usage.namespace_id}>
          {usage.namespace_name}
        </span>
        <span class="usage">
          {bytes(usage.stored_bytes)}
          {usage.quota_bytes !== null ? ` of ${bytes(usage.quota_bytes)}` : ' stored'}
          {usage.quota_bytes !== null && <progress class="quota" max={usage.quota_bytes} value={usage.stored_bytes} aria-label="Storage used" />}
        </span>
      </Header>
      <main class="namespace">
        <Uploads client={props.client} usage={usage} onFinished={changed} onActive={setUploading} />
        <Assets client={props.client} changes={changes} uploading={uploading} onChanged={changed} onUnauthorized={() => props.onSignOut('The key is no longer valid.')} />
      </main>
    </>
  );
}
