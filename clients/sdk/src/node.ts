/**
 * @intake/sdk/node — everything of the universal entry, plus files read by path as range
 * streams (never the whole file in memory) and sessions kept in a JSON state file, so a
 * process killed mid-upload resumes when run again.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import mime from 'mime';
import type { UploadSource } from './source.js';
import type { StoredUpload, UploadStateStore } from './state-store.js';
import { upload } from './upload.js';
import type { UploadOptions, UploadResult } from './upload-types.js';

export * from './index.js';

/** An `UploadSource` over a file on disk; `type` defaults to the one its extension names. Its fingerprint is its real path, size and modification time. */
export async function fileSource(file: string, opts: { name?: string; type?: string } = {}): Promise<UploadSource> {
  const real = await fs.promises.realpath(file);
  const stat = await fs.promises.stat(real);
  if (!stat.isFile()) throw new TypeError(`${file} is not a file.`);
  const toWeb = (stream: fs.ReadStream) => Readable.toWeb(stream) as unknown as ReadableStream<Uint8Array>;
  return {
    name: opts.name ?? path.basename(file),
    size: stat.size,
    type: opts.type ?? mime.getType(file) ?? '',
    fingerprint: ['file', real, stat.size, Math.trunc(stat.mtimeMs)].join(':'),
    // `end` is inclusive for createReadStream.
    slice: (start, end) => toWeb(fs.createReadStream(real, { start, end: end - 1 })),
    stream: () => toWeb(fs.createReadStream(real, { highWaterMark: 1024 * 1024 })),
  };
}

/** `$XDG_STATE_HOME/intake/uploads.json`, or `~/.local/state/intake/uploads.json`. */
export function defaultStateFile(env: Record<string, string | undefined> = process.env): string {
  const base = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'intake', 'uploads.json');
}

/**
 * Keeps sessions in one JSON file. Each change is written to a temp file and renamed over
 * it, so a process killed mid-write leaves the old file whole; changes within a process
 * are applied one at a time.
 */
export function fileStateStore(file: string = defaultStateFile()): UploadStateStore {
  let queue: Promise<unknown> = Promise.resolve();
  const read = async (): Promise<Record<string, StoredUpload>> => {
    try {
      return JSON.parse(await fs.promises.readFile(file, 'utf8')) as Record<string, StoredUpload>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || err instanceof SyntaxError) return {};
      throw err;
    }
  };
  const change = (fn: (all: Record<string, StoredUpload>) => void) => {
    const next = queue.then(async () => {
      const all = await read();
      fn(all);
      await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      const temp = `${file}.${process.pid}.tmp`;
      await fs.promises.writeFile(temp, JSON.stringify(all, null, 2), { mode: 0o600 });
      await fs.promises.rename(temp, file);
    });
    queue = next.catch(() => undefined);
    return next;
  };
  return {
    get: async (key) => {
      await queue;
      return (await read())[key];
    },
    set: (key, value) => change((all) => void (all[key] = value)),
    delete: (key) => change((all) => void delete all[key]),
  };
}

export type UploadFileOptions = UploadOptions & {
  /** The state file, when `stateStore` is not given. Default `defaultStateFile()`. */
  stateFile?: string;
};

/** `upload()` of a file by path, resumable across processes through the state file. */
export async function uploadFile(file: string, options: UploadFileOptions): Promise<UploadResult> {
  const source = await fileSource(file, { name: options.filename, type: options.contentType });
  return upload(source, { ...options, stateStore: options.stateStore ?? fileStateStore(options.stateFile) });
}
