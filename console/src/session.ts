/** The API key lives in this tab's session storage only: not in a URL, cookie or localStorage. */
const KEY = 'intake.console.key';

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function storeKey(key: string): void {
  sessionStorage.setItem(KEY, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY);
}
