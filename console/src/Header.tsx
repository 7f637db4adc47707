import type { ComponentChildren } from 'preact';

export function Header(props: { children?: ComponentChildren; onSignOut: () => void }) {
  return (
    <header class="top">
      <strong>Intake</strong>
      <span class="who">{props.children}</span>
      <button type="button" class="secondary" onClick={props.onSignOut}>
        Sign out
      </button>
    </header>
  );
}
