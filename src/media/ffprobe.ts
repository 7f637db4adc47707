/**
 * ffprobe adapter. User media is hostile: only the `file` protocol and a fixed list of
 * container demuxers may run, so a playlist, concat list or reference movie inside an
 * upload cannot make ffprobe open the network or any other local file.
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
}

export const SAFE_DEMUXERS = [
  'mov', 'mp4', 'm4a', '3gp', '3g2', 'mj2', 'matroska', 'webm', 'avi', 'mpeg', 'mpegts', 'mp3', 'wav', 'ogg', 'flac', 'aac', 'aiff',
].join(',');

export class ProbeError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'ProbeError';
  }
}

interface FfprobeJson {
  streams?: Array<{ codec_type?: string; width?: number; height?: number; avg_frame_rate?: string; r_frame_rate?: string; disposition?: { attached_pic?: number } }>;
  format?: { duration?: string; bit_rate?: string };
}

export async function probeAv(file: string, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<AvInfo> {
  const args = [
    '-v', 'error',
    '-protocol_whitelist', 'file',
    '-format_whitelist', SAFE_DEMUXERS,
    '-print_format', 'json',
    '-show_format', '-show_streams',
    '-i', file,
  ];
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile('ffprobe', args, { timeout: opts.timeoutMs ?? 30_000, signal: opts.signal, maxBuffer: 8 * 1024 * 1024 }, (err, out, errOut) => {
      if (err) reject(new ProbeError(`ffprobe failed: ${String(errOut).trim().slice(0, 300) || err.message}`, err));
      else resolve(out);
    });
  });
  let json: FfprobeJson;
  try {
    json = JSON.parse(stdout) as FfprobeJson;
  } catch (err) {
    throw new ProbeError('ffprobe printed no JSON', err);
  }
  const streams = json.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const audio = streams.find((s) => s.codec_type === 'audio');
  const duration = num(json.format?.duration);
  return {
    width: video?.width ?? null,
    height: video?.height ?? null,
    duration,
    fps: video ? rate(video.avg_frame_rate) ?? rate(video.r_frame_rate) : null,
    bitrate: num(json.format?.bit_rate),
    hasVideo: Boolean(video),
    hasAudio: Boolean(audio),
  };
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
