/**
 * ffprobe adapter. User media is hostile: only the `file` protocol and a fixed list of
 * container demuxers may run, so a playlist, concat list or reference movie inside an
 * upload cannot make ffprobe open the network or any other local file. The executable is
 * the caller's (INTAKE_FFPROBE_PATH, through the use case's dependencies).
 */
import { execFile } from 'node:child_process';

export interface AvInfo {
  width: number | null;
  height: number | null;
  duration: number | null;
  fps: number | null;
  bitrate: number | null;
  hasVideo: boolean;
  hasAudio: boolean;
  /** The names of the demuxer ffprobe picked (its `format_name`, `mov,mp4,m4a,…`): one of SAFE_DEMUXERS. */
  formats: string[];
}

/**
 * The only demuxers ffprobe and ffmpeg may run: containers and raw streams that hold their
 * media in the file itself. None of them opens another file or URL (no playlists, concat
 * lists, image sequences or reference movies). `mpegvideo` is the MPEG-1/2 elementary
 * stream (`.m1v`, `.mpv`): sniffed as `video/mpeg` like a program stream, read by this one.
 */
export const SAFE_DEMUXERS: readonly string[] = [
  'mov', 'mp4', 'm4a', '3gp', '3g2', 'mj2', 'matroska', 'webm', 'avi', 'mpeg', 'mpegts', 'mpegvideo', 'mp3', 'wav', 'ogg', 'flac', 'aac', 'aiff',
];

/** Raw streams without timestamps: ffprobe estimates their duration from a header bit rate, often absurdly (VBR). */
const ELEMENTARY_STREAMS = new Set(['mpegvideo']);

export class ProbeError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'ProbeError';
  }
}

interface FfprobeJson {
  streams?: Array<{ codec_type?: string; width?: number; height?: number; avg_frame_rate?: string; r_frame_rate?: string; duration?: string; nb_read_packets?: string; disposition?: { attached_pic?: number } }>;
  format?: { format_name?: string; duration?: string; bit_rate?: string; size?: string };
}

/** `ffprobe` is the executable to run: a command name looked up on PATH, or a path. */
export async function probeAv(ffprobe: string, file: string, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<AvInfo> {
  const json = await runProbe(ffprobe, [
    '-format_whitelist', SAFE_DEMUXERS.join(','),
    // Only what is used: tags and side data can be made huge by a hostile file.
    '-show_entries', 'format=format_name,duration,bit_rate,size:stream=codec_type,width,height,avg_frame_rate,r_frame_rate,duration:stream_disposition=attached_pic',
  ], file, opts);
  const formats = (json.format?.format_name ?? '').split(',').filter(Boolean);
  const streams = (json.streams ?? []).filter((s) => !s.disposition?.attached_pic);
  const video = streams.find((s) => s.codec_type === 'video');
  const audio = streams.find((s) => s.codec_type === 'audio');
  const fps = video ? rate(video.avg_frame_rate) ?? rate(video.r_frame_rate) : null;
  const size = num(json.format?.size);
  let { duration, claimed } = measuredDuration(json.format?.duration, streams);
  if (formats[0] && ELEMENTARY_STREAMS.has(formats[0]) && video && fps) {
    // No timestamps to read a duration from: count the frames (a pass of the parser over the file, no decoding).
    const frames = await countPackets(ffprobe, file, formats[0], opts);
    if (frames) ({ duration, claimed } = { duration: Math.round((frames / fps) * 1e6) / 1e6, claimed: true });
  }
  const reported = num(json.format?.bit_rate);
  // A bit rate ffprobe derived from a false duration is false too: derive it from the real one.
  const bitrate = reported !== null && !claimed ? reported : size && duration ? Math.round((size * 8) / duration) : null;
  return {
    width: video?.width ?? null,
    height: video?.height ?? null,
    duration,
    fps,
    bitrate,
    hasVideo: Boolean(video),
    hasAudio: Boolean(audio),
    formats,
  };
}

/** The packets (frames, for an elementary video stream) of the first video stream, read with the demuxer given. */
async function countPackets(ffprobe: string, file: string, demuxer: string, opts: { signal?: AbortSignal; timeoutMs?: number }): Promise<number | null> {
  const json = await runProbe(ffprobe, ['-f', demuxer, '-count_packets', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_packets'], file, opts);
  const n = num(json.streams?.[0]?.nb_read_packets);
  return n !== null && n > 0 ? n : null;
}

/** Runs ffprobe on `file` (file protocol only) with `args`, and parses its JSON. */
async function runProbe(ffprobe: string, args: string[], file: string, opts: { signal?: AbortSignal; timeoutMs?: number }): Promise<FfprobeJson> {
  const all = ['-v', 'error', '-protocol_whitelist', 'file', '-print_format', 'json', ...args, '-i', file];
  const stdout = await new Promise<string>((resolve, reject) => {
    // 30 s: well inside the HTTP idle timeout, so the caller can still answer.
    execFile(ffprobe, all, { timeout: opts.timeoutMs ?? 30_000, signal: opts.signal, maxBuffer: 1024 * 1024 }, (err, out, errOut) => {
      if (!err) return resolve(out);
      // Only ffprobe finishing with an error about the input (or flooding its output) means
      // bad media; a missing binary, a kill, a timeout or an abort is an outage to retry.
      const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null; code?: string | number };
      if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return reject(new ProbeError('ffprobe output too large for this input', err));
      const ranAndRefused = typeof e.code === 'number' && !e.killed && !e.signal;
      if (!ranAndRefused) return reject(new Error(`ffprobe did not run to completion: ${err.message}`, { cause: err }));
      reject(new ProbeError(`ffprobe could not read the media: ${firstLine(String(errOut))}`, err));
    });
  });
  try {
    return JSON.parse(stdout) as FfprobeJson;
  } catch (err) {
    throw new ProbeError('ffprobe printed no JSON', err);
  }
}

/**
 * The container's duration, unless no stream comes near it. An MP4 header (mvhd) can claim
 * 0xFFFFFFFF ticks while its tracks' sample tables hold one second; ffprobe reports the claim
 * as the format's duration and the tables as the streams'. Streams may start late, hence
 * the slack before the claim is set aside (`claimed: true`).
 */
function measuredDuration(format: string | undefined, streams: NonNullable<FfprobeJson['streams']>): { duration: number | null; claimed: boolean } {
  const total = num(format);
  const longest = streams.map((s) => num(s.duration)).reduce<number | null>((max, d) => (d !== null && d >= 0 && (max === null || d > max) ? d : max), null);
  if (longest !== null && (total === null || total > 2 * longest + 10)) return { duration: longest, claimed: total !== null };
  return { duration: total, claimed: false };
}

/** The first line of ffprobe's complaint, without the file path it starts with. */
function firstLine(stderr: string): string {
  const line = stderr.trim().split('\n')[0] ?? '';
  return line.replace(/^.*?: /, '').slice(0, 200) || 'unreadable input';
}

function num(v: string | undefined): number | null {
  if (v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

function rate(v: string | undefined): number | null {
  if (!v) return null;
  const [a, b] = v.split('/').map(Number);
  if (!a || !b) return null;
  return Math.round((a / b) * 1000) / 1000;
}

/** Width and height of a still image this pipeline wrote itself (a poster), read with a fixed demuxer. */
export async function probeStill(ffprobe: string, file: string, demuxer: string): Promise<{ width: number | null; height: number | null }> {
  const args = ['-v', 'error', '-protocol_whitelist', 'file', '-f', demuxer, '-show_entries', 'stream=width,height', '-of', 'json', `file:${file}`];
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(ffprobe, args, { timeout: 30_000, maxBuffer: 64 * 1024 }, (err, out) => (err ? reject(err) : resolve(out))),
  );
  const s = (JSON.parse(stdout) as { streams?: Array<{ width?: number; height?: number }> }).streams?.[0];
  return { width: s?.width ?? null, height: s?.height ?? null };
}
