/**
 * Upload progress on stderr (stdout keeps the results for scripts): a live bar per file on
 * a terminal (cli-progress), plain lines otherwise — a start line, at most one line per
 * second per file, and an end line — so a log or a CI job is not flooded with a line a chunk.
 */
import cliProgress from 'cli-progress';
import { formatBytes, formatDuration } from './output.js';

export interface FileProgress {
  /** Bytes the server has acknowledged so far (never goes backwards). */
  update(bytes: number): void;
  done(note: string): void;
  fail(message: string): void;
}

export interface ProgressView {
  file(name: string, size: number): FileProgress;
  stop(): void;
}

/** Rate since the first report of this run (bytes resumed from an earlier run do not count) and the ETA it gives. */
class Meter {
  private readonly startedAt = Date.now();
  private startBytes: number | null = null;
  constructor(readonly size: number) {}

  measure(bytes: number): { rate: string; eta: string; elapsed: string } {
    if (this.startBytes === null) this.startBytes = bytes;
    const seconds = (Date.now() - this.startedAt) / 1000;
    const perSecond = seconds > 0 ? (bytes - this.startBytes) / seconds : 0;
    return {
      rate: `${formatBytes(Math.round(perSecond))}/s`,
      eta: perSecond > 0 ? formatDuration((this.size - bytes) / perSecond) : '?',
      elapsed: formatDuration(seconds),
    };
  }
}

function barView(stream: NodeJS.WriteStream): ProgressView {
  const multibar = new cliProgress.MultiBar(
    {
      stream,
      format: '{name} {bar} {percentage}% | {done}/{total_h} | {rate} | {status}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      autopadding: true,
      barsize: 24,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  const width = { name: 0 };
  return {
    file(name, size) {
      width.name = Math.max(width.name, Math.min(name.length, 32));
      const label = name.length > 32 ? `…${name.slice(-31)}` : name;
      const meter = new Meter(size);
      const bar = multibar.create(size, 0, { name: label.padEnd(width.name), done: formatBytes(0), total_h: formatBytes(size), rate: '', status: 'starting' });
      return {
        update(bytes) {
          const m = meter.measure(bytes);
          bar.update(bytes, { done: formatBytes(bytes), rate: m.rate, status: `ETA ${m.eta}` });
        },
        done(note) {
          bar.update(size, { done: formatBytes(size), status: note });
        },
        fail(message) {
          bar.update({ status: `failed: ${message}` });
        },
      };
    },
    stop: () => multibar.stop(),
  };
}

function lineView(stream: NodeJS.WriteStream): ProgressView {
  return {
    file(name, size) {
      const meter = new Meter(size);
      let lastLine = 0;
      let last = -1;
      const line = (bytes: number, tail: string) => {
        const pct = size > 0 ? Math.floor((bytes / size) * 100) : 100;
        stream.write(`${name}: ${bytes}/${size} bytes (${pct}%) ${tail}\n`);
      };
      stream.write(`${name}: uploading ${size} bytes (${formatBytes(size)})\n`);
      return {
        update(bytes) {
          // The end line reports the whole file; in between, at most a line a second.
          if (bytes === last || bytes >= size || Date.now() - lastLine < 1000) return;
          last = bytes;
          lastLine = Date.now();
          const m = meter.measure(bytes);
          line(bytes, `${m.rate} ETA ${m.eta}`);
        },
        done(note) {
          line(size, `${note} in ${meter.measure(size).elapsed}`);
        },
        fail(message) {
          stream.write(`${name}: failed: ${message}\n`);
        },
      };
    },
    stop() {},
  };
}

/** Bars on a terminal, lines otherwise; nothing with quiet. */
export function progressView(stream: NodeJS.WriteStream, opts: { quiet: boolean }): ProgressView {
  if (opts.quiet) return { file: () => ({ update() {}, done() {}, fail() {} }), stop() {} };
  return stream.isTTY ? barView(stream) : lineView(stream);
}
