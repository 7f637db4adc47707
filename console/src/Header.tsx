import type { ComponentChildren } from 'preact';

function Logo() {
  return (
    <svg class="logo" viewBox="0 0 24 24" width="26" height="26" aria-hidden="true">
      <rect x="1" y="1" width="22" height="22" rx="6" fill="currentColor" />
      <path d="M12 17V7m0 0-4 4m4-4 4 4" class="logo-arrow" fill="none" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
}

export function Header(props: { children?: ComponentChildren; onSignOut: () => void }) {
  return (
    <header class="top">
      <span class="brand">
        <Logo />
        <strong>Intake</strong>
      </span>
      <span class="who">{props.children}</span>
      <button type="button" class="secondary small" onClick={props.onSignOut}>
        Sign out
      </button>
    </header>
  );
}
