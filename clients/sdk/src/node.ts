/**
 * @intake/sdk/node — everything of the universal entry, plus files read by path as range
 * streams pulled as fetch sends them (never the whole file in memory) and sessions kept in a JSON state file, so a
 * process killed mid-upload resumes when run again.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mime from 'mime';
import type { UploadSource } from './source.js';
import type { StoredUpload, UploadStateStore } from './state-store.js';
import { nodeHttpTransport } from './node-transport.js';
import { upload as uploadAnywhere } from './upload.js';
import type { NamedBlob } from './source.js';
import type { UploadOptions, UploadResult } from './upload-types.js';

export * from './index.js';
export { nodeHttpTransport } from './node-transport.js';

/** `upload()` of the universal entry, sending to signed URLs through node:http (progress counts what the socket took) unless `fetch` or `transport` says otherwise. */
export function upload(file: Blob | NamedBlob | UploadSource, options: UploadOptions): Promise<UploadResult> {
  return uploadAnywhere(file, { ...options, transport: options.transport ?? (options.fetch ? undefined : nodeHttpTransport()) });
}

/** An `UploadSource` over a file on disk; `type` defaults to the one its extension names. Its fingerprint is its real path, size and modification time. */
export async function fileSource(file: string, opts: { name?: string; type?: string } = {}): Promise<UploadSource> {
  const real = await fs.promises.realpath(file);
  const stat = await fs.promises.stat(real);
  if (!stat.isFile()) throw new TypeError(`${file} is not a file.`);
  return {
    name: opts.name ?? path.basename(file),
    size: stat.size,
    type: opts.type ?? mime.getType(file) ?? '',
    fingerprint: ['file', real, stat.size, Math.trunc(stat.mtimeMs)].join(':'),
    slice: (start, end) => rangeStream(real, start, end),
    stream: () => rangeStream(real, 0, stat.size),
  };
}

const CHUNK = 1024 * 1024;

/**
 * Bytes [start, end) of a file as a pull-based web stream: a chunk is read only when fetch
 * asks for one. Node 20's `Readable.toWeb(fs.createReadStream(…))` reads ahead without
 * backpressure, so a part sent slower than the disk reads ended up in memory (npm run bench -- sdk:
 * client peak RSS grew with the file).
 */
function rangeStream(file: string, start: number, end: number): ReadableStream<Uint8Array> {
  let handle: fs.promises.FileHandle | undefined;
  let position = start;
  const close = async () => {
    const h = handle;
    handle = undefined;
    await h?.close();
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        handle ??= await fs.promises.open(file, 'r');
        const length = Math.min(CHUNK, end - position);
        const { bytesRead, buffer } = length > 0 ? await handle.read(Buffer.allocUnsafe(length), 0, length, position) : { bytesRead: 0, buffer: Buffer.alloc(0) };
        if (bytesRead === 0) {
          await close();
          if (position < end) return controller.error(new Error(`${file} is shorter than when the upload started.`));
          return controller.close();
        }
        position += bytesRead;
        controller.enqueue(new Uint8Array(buffer.buffer, buffer.byteOffset, bytesRead));
      },
      cancel: close,
    },
    { highWaterMark: 1 },
  );
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
