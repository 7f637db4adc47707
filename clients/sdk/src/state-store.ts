/**
 * Where an upload's session is kept between runs, keyed by the file's fingerprint, so a
 * reload or a restart resumes it. Browsers: localStorage; Node: a JSON file
 * (`fileStateStore` in `@intake/sdk/node`); anything else implementing the three methods.
 */

/** What is kept of a session: enough to find it again and to send the rest. */
export interface StoredUpload {
  upload_id: string;
  file_size: number;
  /** The session's expiry (ISO); past it the session is not resumed. */
  expires_at: string;
  /** Resumable sessions: the plan's part size and count. */
  part_size: number | null;
  part_count: number | null;
  /** Simple sessions: the signed URL and how to send to it (the only credential it carries is its own signature). */
  upload_url: string | null;
  upload_method: { method: string; headers?: Record<string, string>; fields?: Record<string, string>; field_name?: string } | null;
}

export interface UploadStateStore {
  /** The session kept for `key`, if any. */
  get(key: string): Promise<StoredUpload | undefined>;
  /** Keeps `value` for `key`, replacing what was there; durable once it resolves. */
  set(key: string, value: StoredUpload): Promise<void>;
  /** Forgets `key` (done, canceled or no longer resumable). */
  delete(key: string): Promise<void>;
}

/** Keeps sessions for the life of the page or process only (resume after a pause, not a reload). */
export function memoryStateStore(): UploadStateStore {
  const map = new Map<string, StoredUpload>();
  return {
    get: async (key) => map.get(key),
    set: async (key, value) => void map.set(key, value),
    delete: async (key) => void map.delete(key),
  };
}

/** The three methods of the Web Storage API this store uses. */
export interface WebStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Keeps sessions in `localStorage` (or another Web Storage), under `prefix` + the file's fingerprint. */
export function webStorageStateStore(storage: WebStorage, prefix = 'intake-upload:'): UploadStateStore {
  return {
    async get(key) {
      const text = storage.getItem(prefix + key);
      if (!text) return undefined;
      try {
        return JSON.parse(text) as StoredUpload;
      } catch {
        return undefined;
      }
    },
    set: async (key, value) => storage.setItem(prefix + key, JSON.stringify(value)),
    delete: async (key) => storage.removeItem(prefix + key),
  };
}

/** `localStorage` where there is one (browsers), else memory. */
export function defaultStateStore(): UploadStateStore {
  const storage = (globalThis as { localStorage?: WebStorage }).localStorage;
  try {
    if (storage) return webStorageStateStore(storage);
  } catch {
    // Access to localStorage throws in some privacy modes: fall back to memory.
  }
  return memoryStateStore();
}
