/**
 * What renditions a source gets, and the ffmpeg arguments that make them. Pure: the
 * processing job runs them, the benchmark runs the very same arguments directly.
 */
import { spriteOutputArgs, storyboardFilter, type StoryboardPlan } from './storyboard.js';

export interface VideoRung {
  label: string;
  height: number;
  file: string;
}

/** Ladder heights that fit the source; a source below every rung gets one at its own (even) height. */
export function ladderFor(sourceHeight: number | null, ladder: readonly number[]): number[] {
  const fits = ladder.filter((h) => sourceHeight === null || h <= sourceHeight);
  if (fits.length) return fits;
  const own = Math.max(2, Math.floor((sourceHeight ?? 360) / 2) * 2);
  return [own];
}

/** HLS segments are cut at keyframes forced every this many seconds on every rung, so players can switch between rungs at any segment. */
export const HLS_SEGMENT_SECONDS = 4;

/** The HLS muxer's options as a tee slave's: CMAF (fMP4) segments, a VOD playlist, relative names only. */
function hlsSlave(dir: string, streams: string): string {
  return `[select=\\'${streams}\\':f=hls:hls_time=${HLS_SEGMENT_SECONDS}:hls_playlist_type=vod:hls_segment_type=fmp4:hls_fmp4_init_filename=init.mp4:hls_segment_filename=${dir}/seg%05d.m4s]${dir}/index.m3u8`;
}

/**
 * H.264 (veryfast, CRF 23) + AAC MP4s with the index up front, every rung from one decode
 * and each stream encoded once: one output holds every rung's video and the audio, and the
 * tee muxer hands each MP4 its rung and the audio (which is encoded once, not once a rung).
 * With `hlsDir`, the same encodes also go to HLS: each rung's video to `<hlsDir>/<label>/`
 * and the audio to `<hlsDir>/audio/` (the audio-only group), keyframes forced on the
 * segment grid so every rung cuts at the same times; HLS adds muxing, not encoding.
 * With `storyboard`, one more branch of the same decode makes its sprite (media/storyboard.ts).
 */
export function videoLadderArgs(rungs: VideoRung[], hasAudio: boolean, hlsDir?: string, storyboard?: { plan: StoryboardPlan; file: string }): string[] {
  const branches = rungs.length + (storyboard ? 1 : 0);
  const splits = Array.from({ length: branches }, (_, i) => `[s${i}]`).join('');
  const filters = rungs.map((r, i) => `[s${i}]scale=-2:${r.height}:flags=bicubic,format=yuv420p[v${i}]`);
  if (storyboard) filters.push(storyboardFilter(`[s${rungs.length}]`, '[sb]', storyboard.plan));
  const args = ['-filter_complex', `[0:v:0]split=${branches}${splits};${filters.join(';')}`];
  rungs.forEach((_, i) => args.push('-map', `[v${i}]`));
  if (hasAudio) args.push('-map', '0:a:0', '-c:a', 'aac', '-b:a', '128k', '-ac', '2');
  args.push('-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-profile:v', 'high', '-map_metadata', '-1');
  if (hlsDir) args.push('-force_key_frames', `expr:gte(t,n_forced*${HLS_SEGMENT_SECONDS})`);
  const slaves = rungs.flatMap((r, i) => [
    `[select=\\'v:${i}${hasAudio ? ',a' : ''}\\':f=mp4:movflags=+faststart]${r.file}`,
    ...(hlsDir ? [hlsSlave(`${hlsDir}/${r.label}`, `v:${i}`)] : []),
  ]);
  if (hlsDir && hasAudio) slaves.push(hlsSlave(`${hlsDir}/audio`, 'a'));
  args.push('-f', 'tee', slaves.join('|'));
  if (storyboard) args.push(...spriteOutputArgs('[sb]', storyboard.file));
  return args;
}

/** Where the poster frame is taken: a quarter in, past fades and black leaders. */
export function posterAt(duration: number | null): number {
  return duration && duration > 0 ? Math.round(duration * 0.25 * 1000) / 1000 : 0;
}

/**
 * The input options of each try at the poster, in order: the seek a quarter in, then no
 * seek at all (the first frame the decoder gives). A seek can land past the last frame (a
 * one-frame clip: a quarter of 0.04 s is after its only frame) and ffmpeg then writes
 * nothing and still exits 0; a seek to 0 is never tried, since on some MPEG program streams
 * it too writes nothing.
 */
export function posterSeeks(duration: number | null): string[][] {
  const at = posterAt(duration);
  return at > 0 ? [['-ss', String(at)], []] : [[]];
}

/** One JPEG frame, no taller than 720 px. */
export function posterArgs(file: string): string[] {
  return ['-map', '0:v:0', '-frames:v', '1', '-vf', "scale=-2:'min(720,ih)':flags=bicubic,format=yuvj420p", '-q:v', '3', '-map_metadata', '-1', '-f', 'image2', '-c:v', 'mjpeg', file];
}

export function audioArgs(file: string): string[] {
  return ['-map', '0:a:0', '-vn', '-c:a', 'aac', '-b:a', '128k', '-map_metadata', '-1', '-movflags', '+faststart', '-f', 'mp4', file];
}

/** One frame as lossless PNG at the source's size (a transform of a video at a chosen time resizes it next). */
export function frameArgs(file: string): string[] {
  return ['-map', '0:v:0', '-frames:v', '1', '-vf', 'format=rgb24', '-map_metadata', '-1', '-f', 'image2', '-c:v', 'png', file];
}
