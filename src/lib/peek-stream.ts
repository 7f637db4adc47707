/**
 * Reads the first `bytes` of a stream without losing them: returns them and a stream
 * that yields them again followed by the rest. Only the head is held in memory.
 */
import { Readable } from 'node:stream';

export async function peekStream(source: Readable, bytes: number): Promise<{ head: Buffer; stream: Readable }> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let size = 0;
  let ended = false;
  while (size < bytes) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    chunks.push(next.value);
    size += next.value.length;
  }
  const head = Buffer.concat(chunks);
  async function* replay(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    if (ended) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  const stream = Readable.from(replay(), { objectMode: false });
  // Abandoning the replay (a refused write) must release the source too.
  stream.once('close', () => {
    if (!source.destroyed && !source.readableEnded) void iterator.return?.();
  });
  return { head: head.subarray(0, Math.min(head.length, bytes)), stream };
}
