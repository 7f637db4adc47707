/**
 * Multipart uploads of the local-disk driver. Each upload is a folder
 * `<root>/multipart/<id>/` holding `key` (the object it will become) and one file per part
 * (`part-00001` …). A part is streamed to a temp file in the same folder (SHA-256 and size
 * cap on the way), fsynced and renamed over the part's name, so a re-sent part replaces the
 * old one atomically and a crash leaves only a temp file. A part's ETag is its SHA-256 (a
 * client can check a listed part against its own bytes before resuming), kept beside it in
 * `sha-<part>-<inode>`: named by inode, it can never describe another copy of the part.
 * Complete streams the parts in order into one temp file, hashing the whole object on the
 * way, and renames it into place.
 *
 * A finished (completed or aborted) upload's folder is first renamed out of the way, in one
 * step, to `gone-<ms>-<id>` and only then removed: a crash mid-removal can never leave a
 * folder under its id with some parts (or its key) gone. A retried complete then finds
 * either the whole folder (and joins again) or no folder and the joined object. Marked
 * folders, and key-less folders an older version left, are removed at start-up and by
 * reconciliation's listing once stale.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { TooLargeError } from '../lib/hashing.js';
import { randomToken } from '../lib/ids.js';
import { bodyToFile, etagOf, isDiskError, isMissing, renameInto, syncDir } from './disk.js';
import {
  MultipartNotFoundError,
  ObjectAbortedError,
  ObjectTooLargeError,
  StorageUnavailableError,
  type AssembledObject,
  type ObjectInfo,
  type OpenMultipart,
  type PartChoice,
  type StoredPart,
  type WriteOptions,
  type WrittenObject,
} from './object-storage.js';

const ID_RE = /^[a-z0-9]{24}$/;
const PART_RE = /^part-(\d{5})$/;
const TEMP_PREFIX = 'tmp-';
const GONE_RE = /^gone-(\d+)-[a-z0-9]{24}$/;
/** A folder half-made or half-removed this long ago belongs to no live request. */
export const PARTS_STALE_MS = 3600_000;

export class LocalParts {
  constructor(private readonly root: string) {}

  /**
   * Creates the root and removes what a crash left half-made: part temp files (their parts
   * stay) and unfinished creates. Another live process may share the folder, so only what
   * is untouched for `staleMs` goes (as for the driver's own temp folder).
   */
  async init(staleMs: number): Promise<void> {
    await fs.mkdir(this.root, { recursive: true, mode: 0o700 });
    await fs.chmod(this.root, 0o700);
    await this.sweep(staleMs, true);
  }

  /**
   * Removes stale leftovers: unfinished creates, folders marked gone (a crash between the
   * rename and the removal), key-less folders (an older version's crash mid-removal) and,
   * with `temps`, part temp files (their parts stay).
   */
  async sweep(staleMs: number, temps = false): Promise<number> {
    const cutoff = Date.now() - staleMs;
    const stale = async (file: string) => ((await fs.stat(file).catch(() => null))?.mtimeMs ?? Infinity) < cutoff;
    let removed = 0;
    const remove = async (dir: string) => {
      await fs.rm(dir, { recursive: true, force: true });
      removed++;
    };
    for (const name of await fs.readdir(this.root).catch(() => [] as string[])) {
      const dir = path.join(this.root, name);
      if (name.startsWith(TEMP_PREFIX)) {
        if (await stale(dir)) await remove(dir);
        continue;
      }
      const gone = GONE_RE.exec(name);
      if (gone) {
        // Named by when it was retired: its own mtime says when a part last changed.
        if (Number(gone[1]) < cutoff) await remove(dir);
        continue;
      }
      if (!ID_RE.test(name)) continue;
      const hasKey = await fs.stat(path.join(dir, 'key')).then(() => true, () => false);
      if (!hasKey) {
        if (await stale(dir)) await remove(dir);
        continue;
      }
      if (!temps) continue;
      for (const n of await fs.readdir(dir).catch(() => [] as string[])) {
        if (n.startsWith(TEMP_PREFIX) && (await stale(path.join(dir, n)))) await fs.rm(path.join(dir, n), { force: true });
      }
    }
    return removed;
  }

  /** Renames a finished upload's folder out of the way in one step, then removes it. */
  private async retire(dir: string): Promise<void> {
    const gone = path.join(this.root, `gone-${Date.now()}-${path.basename(dir)}`);
    try {
      await fs.rename(dir, gone);
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    await syncDir(this.root);
    await fs.rm(gone, { recursive: true, force: true });
  }

  /** The folder appears with its key file in one rename, so every folder names its object. */
  async create(key: string): Promise<string> {
    const id = randomToken(24);
    const temp = path.join(this.root, `${TEMP_PREFIX}${id}`);
    await fs.mkdir(temp, { mode: 0o700 });
    await fs.writeFile(path.join(temp, 'key'), key, { mode: 0o600 });
    await fs.rename(temp, path.join(this.root, id));
    return id;
  }

  /** The folder of a multipart upload that exists and belongs to `key`, else MultipartNotFoundError. */
  private async dirOf(key: string, id: string): Promise<string> {
    if (!ID_RE.test(id)) throw new MultipartNotFoundError(id);
    const dir = path.join(this.root, id);
    const owner = await fs.readFile(path.join(dir, 'key'), 'utf8').catch((err: unknown) => {
      if (isMissing(err)) return null;
      throw err;
    });
    if (owner !== key) throw new MultipartNotFoundError(id);
    return dir;
  }

  async write(key: string, id: string, partNumber: number, body: Readable, opts: WriteOptions): Promise<WrittenObject> {
    const dir = await this.dirOf(key, id);
    const temp = path.join(dir, `${TEMP_PREFIX}${randomToken(12)}`);
    let published: ObjectInfo | undefined;
    let replaced: bigint | undefined;
    let ino: bigint | undefined;
    try {
      let received: { size: number; sha256: string };
      try {
        received = await bodyToFile(body, temp, opts.maxSize);
      } catch (err) {
        if (err instanceof TooLargeError) throw new ObjectTooLargeError(opts.maxSize);
        if (isDiskError(err)) throw new StorageUnavailableError(err);
        throw new ObjectAbortedError(err);
      }
      ino = await this.syncAndStat(temp);
      const { size, sha256 } = received;
      await fs.writeFile(path.join(dir, shaName(partNumber, ino)), sha256, { mode: 0o600 });
      const written: WrittenObject = { size, sha256, etag: `"${sha256}"` };
      const target = path.join(dir, partName(partNumber));
      const publish = async (): Promise<ObjectInfo> => {
        replaced = (await fs.stat(target, { bigint: true }).catch(() => null))?.ino;
        // rename() replaces an earlier copy of the part in one step: readers see old or new.
        await fs.rename(temp, target);
        published = { size: written.size, etag: written.etag };
        return published;
      };
      if (opts.around) await opts.around(written, publish);
      else await publish();
      if (!published) throw new Error('writePart(): around() returned without publishing');
      await syncDir(dir);
      // The earlier copy's hash file (a crash here leaves it: harmless, it names a gone inode).
      if (replaced !== undefined && replaced !== ino) await fs.rm(path.join(dir, shaName(partNumber, replaced)), { force: true });
      return written;
    } finally {
      if (!published) {
        await fs.rm(temp, { force: true });
        if (ino !== undefined) await fs.rm(path.join(dir, shaName(partNumber, ino)), { force: true });
      }
    }
  }

  /** The SHA-256 of a part as stored now; recomputed (and kept) if its hash file is missing or torn. */
  private async hashOf(dir: string, partNumber: number, ino: bigint): Promise<string> {
    const file = path.join(dir, shaName(partNumber, ino));
    const kept = await fs.readFile(file, 'utf8').catch(() => '');
    if (/^[0-9a-f]{64}$/.test(kept)) return kept;
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path.join(dir, partName(partNumber)), { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
    const sha256 = hash.digest('hex');
    await fs.writeFile(file, sha256, { mode: 0o600 });
    return sha256;
  }

  /** fsync, then the inode (rename keeps it, so it names the published part). */
  private async syncAndStat(file: string): Promise<bigint> {
    try {
      const handle = await fs.open(file, 'r+');
      try {
        await handle.sync();
        return (await handle.stat({ bigint: true })).ino;
      } finally {
        await handle.close();
      }
    } catch (err) {
      throw new StorageUnavailableError(err);
    }
  }

  async list(key: string, id: string): Promise<StoredPart[]> {
    const dir = await this.dirOf(key, id);
    const parts: StoredPart[] = [];
    for (const name of await fs.readdir(dir)) {
      const match = PART_RE.exec(name);
      if (!match) continue;
      const st = await fs.stat(path.join(dir, name), { bigint: true }).catch(() => null);
      if (!st) continue;
      const partNumber = Number(match[1]);
      parts.push({ partNumber, size: Number(st.size), etag: `"${await this.hashOf(dir, partNumber, st.ino)}"` });
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  /**
   * Streams the chosen parts, in order, into `target` (1 MiB reads, written with
   * back-pressure: no part is ever held in memory), hashing the whole object on the way;
   * then removes the parts.
   */
  async complete(key: string, id: string, parts: PartChoice[], target: string): Promise<AssembledObject> {
    const dir = await this.dirOf(key, id);
    const held = new Map((await this.list(key, id)).map((p) => [p.partNumber, p]));
    for (const p of parts) {
      if (held.get(p.partNumber)?.etag !== p.etag) throw new MultipartNotFoundError(id);
    }
    const temp = path.join(dir, `${TEMP_PREFIX}${randomToken(12)}`);
    let size: number, sha256: string, etag: string;
    try {
      ({ size, sha256 } = await concatenate(
        parts.map((p) => path.join(dir, partName(p.partNumber))),
        temp,
      ));
      await this.syncAndStat(temp);
      etag = etagOf(await fs.stat(temp, { bigint: true }));
      await renameInto(temp, target);
      await syncDir(path.dirname(target));
    } catch (err) {
      await fs.rm(temp, { force: true });
      if (err instanceof StorageUnavailableError) throw err;
      throw new StorageUnavailableError(err);
    }
    // The object is in place; a failure from here on leaves only a marked or whole folder.
    await this.retire(dir).catch(() => undefined);
    return { size, etag, sha256 };
  }

  async abort(key: string, id: string): Promise<void> {
    const dir = await this.dirOf(key, id).catch((err: unknown) => {
      if (err instanceof MultipartNotFoundError) return null;
      throw err;
    });
    if (dir) await this.retire(dir);
  }

  /** Every upload with its key; stale marked and key-less folders are swept first (reconciliation lists this). */
  async *open(): AsyncIterable<OpenMultipart> {
    await this.sweep(PARTS_STALE_MS).catch(() => 0);
    const handle = await fs.opendir(this.root).catch(() => null);
    if (!handle) return;
    for await (const e of handle) {
      if (!e.isDirectory() || !ID_RE.test(e.name)) continue;
      const file = path.join(this.root, e.name, 'key');
      const [key, st] = await Promise.all([fs.readFile(file, 'utf8').catch(() => null), fs.stat(file).catch(() => null)]);
      if (key !== null && st) yield { key, multipartId: e.name, initiated: st.mtime };
    }
  }
}

/**
 * Appends `files` in order into a new file `target`; returns its size and SHA-256. One
 * 1 MiB buffer is read into, hashed and written out again and again: memory stays flat and
 * nothing is allocated per chunk, so a long join gives the garbage collector no work.
 */
async function concatenate(files: string[], target: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  const out = await fs.open(target, 'wx', 0o600);
  let size = 0;
  try {
    for (const file of files) {
      const input = await fs.open(file, 'r');
      try {
        for (;;) {
          const { bytesRead } = await input.read(buffer, 0, buffer.length, null);
          if (bytesRead === 0) break;
          const chunk = buffer.subarray(0, bytesRead);
          hash.update(chunk);
          // write() may write less than asked: loop until the chunk is out.
          for (let done = 0; done < bytesRead; ) done += (await out.write(chunk, done, bytesRead - done)).bytesWritten;
          size += bytesRead;
        }
      } finally {
        await input.close();
      }
    }
  } finally {
    await out.close();
  }
  return { size, sha256: hash.digest('hex') };
}

function partName(n: number): string {
  return `part-${String(n).padStart(5, '0')}`;
}

function shaName(n: number, ino: bigint): string {
  return `sha-${String(n).padStart(5, '0')}-${ino}`;
}
