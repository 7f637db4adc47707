/**
 * The image prober's child process (media/image.ts starts it under its memory cap): reads
 * image headers with sharp, one file per IPC message, one reply each. An entry, never
 * imported (the prober imports its types only): it loads sharp and nothing of the project.
 *
 * Only the header is read (`metadata()`), so no pixel limit is needed here: the caller
 * compares width × height with its own limit, whatever sharp's default cap is.
 * `unlimited: false` keeps librsvg's and libpng's own safety limits.
 */
import fs from 'node:fs';

/** Parent to child: probe this file. */
export interface ProbeRequest {
  file: string;
}

/** Child to parent: sharp is loaded (once), then one reply per request. `system`: the machine's fault, not the file's. */
export type ProbeReply = { ready: true } | { ok: true; width: number; height: number } | { ok: false; system: boolean; message: string };

// The parent is gone: stop at once (process.exit() would wait in libvips' exit handler for a
// decode in flight). Before sharp loads, so a parent that dies meanwhile is not missed. And
// one already gone: loading an ES module turns the event loop, which may have seen the
// channel close (and emitted 'disconnect') before this runs. `connected` is then false
// (undefined when run by hand, without a channel).
process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
if (process.connected === false) process.kill(process.pid, 'SIGKILL');

const send = (reply: ProbeReply): void => {
  if (!process.send) throw new Error('image-child runs as a child process with an IPC channel (media/image.ts)');
  process.send(reply);
};

const { default: sharp } = await import('sharp');
sharp.cache(false);
sharp.concurrency(1);

const RESOURCE = /too many open files|out of memory|cannot allocate|no space left/i;

send({ ready: true });

process.on('message', ({ file }: ProbeRequest) => {
  try {
    fs.closeSync(fs.openSync(file, 'r'));
  } catch (err) {
    send({ ok: false, system: true, message: String((err as Error).message) });
    return;
  }
  sharp(file, { failOn: 'error', limitInputPixels: false, unlimited: false })
    .metadata()
    .then(
      (meta) => {
        // As displayed (EXIF rotation applied) where sharp says, else as stored.
        const width = meta.autoOrient?.width || meta.width;
        const height = meta.autoOrient?.height || meta.height;
        send(width && height ? { ok: true, width, height } : { ok: false, system: false, message: 'no dimensions' });
      },
      (err: { code?: unknown; message?: unknown }) => {
        send({ ok: false, system: Boolean(err.code) || RESOURCE.test(String(err.message)), message: String(err.message) });
      },
    );
});
