/**
 * The uploads a reload interrupted: what the rows showed (name, size, folder, the SDK's key
 * for the file), kept in this tab's session storage beside the SDK's own session records.
 * After a reload the rows come back as "interrupted"; a File cannot survive a reload, so
 * the user chooses it again and the SDK resumes from the parts storage acknowledged.
 */
const KEY = 'intake.console.pending';

export interface PendingFile {
  fingerprint: string;
  name: string;
  size: number;
  folder: string;
  /** Bytes storage had acknowledged when last seen. */
  acknowledged: number;
}

export function loadPending(): PendingFile[] {
  try {
    const list = JSON.parse(sessionStorage.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(list) ? (list as PendingFile[]) : [];
  } catch {
    return [];
  }
}

export function savePending(list: PendingFile[]): void {
  if (list.length) sessionStorage.setItem(KEY, JSON.stringify(list));
  else sessionStorage.removeItem(KEY);
}
