/**
 * Upload progress on stderr (stdout keeps the results for scripts): a live bar per file on
 * a terminal (cli-progress), plain lines otherwise — a start line, at most one line per
 * second per file, and an end line — so a log or a CI job is not flooded with a line a chunk;
 * or, with --progress json, a JSON line per change for a program that draws its own.
 */
import cliProgress from 'cli-progress';
import { formatBytes, formatDuration } from './output.js';

export interface FileProgress {
  /** Bytes sent so far (they move with the socket and never go backwards), and those storage acknowledged. */
  update(bytes: number, acknowledged: number): void;
  done(note: string): void;
  /** `note`: one word (failed, paused); the reason is printed once, after every file. */
  fail(note: string): void;
}

export interface ProgressView {
  file(name: string, size: number): FileProgress;
  stop(): void;
}

/** Rate over the last ten seconds of reports, the ETA it gives, and the time since the file started. */
class Meter {
  private readonly startedAt = Date.now();
  private readonly samples: Array<[at: number, bytes: number]> = [[this.startedAt, 0]];
  constructor(readonly size: number) {}

  measure(bytes: number): { rate: string; eta: string; elapsed: string } {
    const now = Date.now();
    // A resumed upload reports the parts sent by an earlier run at once: they are where it starts, not speed.
    if (this.samples.length === 1 && now - this.startedAt < 500) this.samples[0] = [now, bytes];
    else this.samples.push([now, bytes]);
    while (this.samples.length > 2 && now - this.samples[0]![0] > 10_000) this.samples.shift();
    const [since, from] = this.samples[0]!;
    const perSecond = now > since ? ((bytes - from) * 1000) / (now - since) : 0;
    return {
      rate: perSecond > 0 ? `${formatBytes(Math.round(perSecond))}/s` : '-',
      eta: perSecond > 0 ? formatDuration((this.size - bytes) / perSecond) : '?',
      elapsed: formatDuration((now - this.startedAt) / 1000),
    };
  }
}

function barView(stream: NodeJS.WriteStream, names: string[]): ProgressView {
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
  // Names are cut to 32 characters and padded to the longest, so the bars line up.
  const width = Math.min(32, Math.max(0, ...names.map((n) => n.length)));
  return {
    file(name, size) {
      const label = name.length > width ? `…${name.slice(-(width - 1))}` : name.padEnd(width);
      const meter = new Meter(size);
      let sent = 0;
      const bar = multibar.create(size, 0, { name: label, done: formatBytes(0), total_h: formatBytes(size), rate: '-', status: 'starting' });
      return {
        update(bytes) {
          sent = bytes;
          const m = meter.measure(bytes);
          bar.update(bytes, { done: formatBytes(bytes), rate: m.rate, status: `ETA ${m.eta}` });
        },
        done(note) {
          const m = meter.measure(size);
          bar.update(size, { done: formatBytes(size), status: `${note} in ${m.elapsed}` });
        },
        fail(note) {
          bar.update({ status: `${note} after ${formatBytes(sent)}` });
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
      let sent = 0;
      const line = (bytes: number, tail: string) => {
        const pct = size > 0 ? Math.floor((bytes / size) * 100) : 100;
        stream.write(`${name}: ${bytes}/${size} bytes (${pct}%) ${tail}\n`);
      };
      stream.write(`${name}: uploading ${size} bytes (${formatBytes(size)})\n`);
      return {
        update(bytes) {
          sent = bytes;
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
        fail(note) {
          stream.write(`${name}: ${note} after ${sent}/${size} bytes\n`);
        },
      };
    },
    stop() {},
  };
}

/** One JSON object a line for each change, for a program that draws its own progress. */
function jsonView(stream: NodeJS.WriteStream): ProgressView {
  return {
    file(name, size) {
      let last = { sent: 0, acknowledged: 0 };
      const line = (extra: Record<string, unknown>) =>
        stream.write(`${JSON.stringify({ file: name, bytes_sent: last.sent, bytes_acknowledged: last.acknowledged, bytes_total: size, ...extra })}\n`);
      return {
        update(sent, acknowledged) {
          last = { sent, acknowledged };
          line({ state: 'uploading' });
        },
        done(note) {
          last = { sent: size, acknowledged: size };
          line({ state: 'done', note });
        },
        fail(note) {
          line({ state: note });
        },
      };
    },
    stop() {},
  };
}

export type ProgressStyle = 'auto' | 'lines' | 'json';

/** Bars on a terminal, lines otherwise (or as `style` says); nothing with quiet. `names`: every file's name, known before the first starts. */
export function progressView(stream: NodeJS.WriteStream, opts: { quiet: boolean; names: string[]; style?: ProgressStyle }): ProgressView {
  if (opts.quiet) return { file: () => ({ update() {}, done() {}, fail() {} }), stop() {} };
  if (opts.style === 'json') return jsonView(stream);
  return stream.isTTY && opts.style !== 'lines' ? barView(stream, opts.names) : lineView(stream);
}
