import { render } from 'preact';
import { useState } from 'preact/hooks';
import { AdminView } from './AdminView';
import { NamespaceView } from './NamespaceView';
import { SignIn, type Identity } from './SignIn';
import { forgetKey } from './session';
import './style.css';

function App() {
  const [who, setWho] = useState<Identity | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const signOut = (why?: string) => {
    forgetKey();
    setWho(null);
    setNotice(why ?? null);
  };
  if (!who) return <SignIn notice={notice} onSignedIn={(id) => (setNotice(null), setWho(id))} />;
  return who.role === 'admin' ? <AdminView client={who.client} onSignOut={signOut} /> : <NamespaceView client={who.client} usage={who.usage} onSignOut={signOut} />;
}

render(<App />, document.getElementById('app')!);
