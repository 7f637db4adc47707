/**
 * ffmpeg adapter for renditions. The input is always a local file opened with the `file`
 * protocol only and a demuxer from the fixed whitelist (the one for the sniffed type, or
 * the one ffprobe picked from the same list when that cannot read it), so hostile media
 * cannot make ffmpeg open the network or another file; children run under `nice` so a
 * transcode does not starve the API; each run has a deadline and an abort signal. The
 * executable is the caller's (INTAKE_FFMPEG_PATH, through the use case's dependencies).
 */
import { spawn } from 'node:child_process';
import { SAFE_DEMUXERS } from './ffprobe.js';

/** The one demuxer ffmpeg may use for each sniffed container type. */
const DEMUXERS: Record<string, string> = {
  'video/mp4': 'mov', 'video/quicktime': 'mov', 'video/3gpp': 'mov', 'video/3gpp2': 'mov', 'audio/mp4': 'mov', 'audio/x-m4a': 'mov', 'audio/m4a': 'mov',
  'video/webm': 'matroska', 'video/x-matroska': 'matroska', 'video/matroska': 'matroska', 'audio/webm': 'matroska', 'audio/x-matroska': 'matroska',
  'video/x-msvideo': 'avi', 'video/avi': 'avi', 'video/mpeg': 'mpeg', 'video/mp2t': 'mpegts',
  'video/ogg': 'ogg', 'audio/ogg': 'ogg', 'audio/opus': 'ogg', 'application/ogg': 'ogg',
  'audio/mpeg': 'mp3', 'audio/mp3': 'mp3', 'audio/wav': 'wav', 'audio/x-wav': 'wav', 'audio/vnd.wave': 'wav', 'audio/wave': 'wav',
  'audio/flac': 'flac', 'audio/x-flac': 'flac', 'audio/aac': 'aac', 'audio/x-aac': 'aac', 'audio/aiff': 'aiff', 'audio/x-aiff': 'aiff',
};

/**
 * The demuxer to read a file of `mimetype` with. `probed` is what ffprobe picked for it
 * (AvInfo.formats, from the same whitelist): when the type's own demuxer is not among those
 * names it cannot read the file (an MPEG-1 elementary stream, or a transport stream, both
 * sniffed as `video/mpeg` like a program stream), and ffprobe's pick is used instead.
 * Null when neither is a safe demuxer.
 */
export function demuxerFor(mimetype: string, probed: readonly string[] = []): string | null {
  const fixed = DEMUXERS[mimetype] ?? null;
  if (probed.length === 0 || (fixed !== null && probed.includes(fixed))) return fixed;
  const picked = probed[0]!;
  return SAFE_DEMUXERS.includes(picked) ? picked : null;
}

/** ffmpeg ran and refused the input: bad media, retrying cannot help. */
export class MediaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MediaError';
  }
}

export interface RunOptions {
  /** Input options and the input itself are built here; `outputArgs` follow. */
  input: string;
  demuxer: string;
  /** Options placed before `-i` (e.g. a seek). */
  inputArgs?: string[];
  outputArgs: string[];
  /** Seconds of media the run covers, for progress; null if unknown. */
  duration: number | null;
  onProgress?: (fraction: number) => void;
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Runs one ffmpeg (`ffmpeg`: a command name looked up on PATH, or a path); rejects with
 * MediaError when ffmpeg refused the input, plain Error when it did not finish.
 */
export function runFfmpeg(ffmpeg: string, opts: RunOptions): Promise<void> {
  const args = [
    '-n', '19', ffmpeg, '-hide_banner', '-nostdin', '-nostats', '-v', 'error', '-y',
    '-progress', 'pipe:1',
    '-protocol_whitelist', 'file',
    // Checked against the forced demuxer too: nothing outside the list can be opened, whoever chose it.
    '-format_whitelist', SAFE_DEMUXERS.join(','),
    ...(opts.inputArgs ?? []),
    '-f', opts.demuxer, '-i', `file:${opts.input}`,
    ...opts.outputArgs,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('nice', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let buffered = '';
    let killedFor: string | null = null;
    const kill = (why: string) => {
      killedFor ??= why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill(`ffmpeg ran over its ${Math.round(opts.timeoutMs / 1000)} s limit`), opts.timeoutMs);
    const onAbort = () => kill('ffmpeg was stopped');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^out_time_us=(\d+)/.exec(line);
        if (m && opts.duration && opts.onProgress) opts.onProgress(Math.min(1, Number(m[1]) / 1e6 / opts.duration));
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      // Only the start of the complaint is kept: a hostile file can make ffmpeg chatty.
      if (stderr.length < 4000) stderr += chunk;
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`ffmpeg could not start: ${err.message}`, { cause: err }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (code === 0) return resolve();
      if (killedFor || signal) return reject(new Error(killedFor ?? `ffmpeg was killed (${signal})`));
      // nice's own exit codes: the executable is missing (127) or cannot run (126), an outage.
      if (code === 126 || code === 127) return reject(new Error(`ffmpeg could not start (${ffmpeg}): ${stderr.trim().split('\n')[0] ?? ''}`));
      reject(new MediaError(`The media could not be decoded: ${firstLine(stderr)}`));
    });
  });
}

function firstLine(stderr: string): string {
  const line = stderr.trim().split('\n').find((l) => l.trim()) ?? '';
  // Paths are ours, not the client's business.
  return line.replace(/file:\S+/g, 'input').replace(/\/\S+/g, '…').slice(0, 200) || 'unreadable input';
}
