/**
 * A video's storyboard: one JPEG sprite of small frames taken at a fixed interval, and a
 * WebVTT file mapping each interval to its tile (`sprite.jpg#xywh=x,y,w,h`), which is what
 * players read for scrubbing previews. The sprite is one more branch of the ladder's own
 * filter graph (fps, scale, tile after the shared decode), so it costs no second decode.
 * The VTT names the sprite relatively: served under a signed path, it hands its token on.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { probeStill } from './ffprobe.js';

/** At most this many tiles: the interval grows with the duration past it. */
export const STORYBOARD_MAX_TILES = 100;
const COLUMNS = 10;
const TILE_WIDTH = 160;
export const SPRITE_NAME = 'sprite.jpg';
export const VTT_NAME = 'storyboard.vtt';

export interface StoryboardPlan {
  /** Seconds between frames (whole seconds, at least 1). */
  interval: number;
  tiles: number;
  columns: number;
  rows: number;
  duration: number;
}

/** The grid for a video of `duration` seconds; null when the duration is unknown. */
export function storyboardPlan(duration: number | null): StoryboardPlan | null {
  if (!duration || !(duration > 0)) return null;
  const interval = Math.max(1, Math.ceil(duration / STORYBOARD_MAX_TILES));
  const tiles = Math.max(1, Math.ceil(duration / interval));
  const columns = Math.min(COLUMNS, tiles);
  return { interval, tiles, columns, rows: Math.ceil(tiles / columns), duration };
}

/** The filter chain from one of the ladder's split outputs to `[out]`: a frame per interval, scaled, tiled. */
export function storyboardFilter(input: string, out: string, plan: StoryboardPlan): string {
  return `${input}fps=1/${plan.interval},scale=${TILE_WIDTH}:-2:flags=bicubic,format=yuvj420p,tile=${plan.columns}x${plan.rows}${out}`;
}

/** The sprite output: the tile filter's first (only) frame as a JPEG; a grid ffmpeg could not fill ends black. */
export function spriteOutputArgs(filterOut: string, file: string): string[] {
  return ['-map', filterOut, '-frames:v', '1', '-q:v', '5', '-map_metadata', '-1', '-f', 'image2', '-c:v', 'mjpeg', file];
}

function timestamp(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}.${pad(ms % 1000, 3)}`;
}

/** The WebVTT for a sprite of `width` × `height` px laid out by `plan`: a cue per tile, the last ending at the duration. */
export function storyboardVtt(plan: StoryboardPlan, width: number, height: number): string {
  const w = Math.floor(width / plan.columns);
  const h = Math.floor(height / plan.rows);
  const cues = ['WEBVTT', ''];
  for (let i = 0; i < plan.tiles; i++) {
    const start = i * plan.interval;
    const end = Math.min((i + 1) * plan.interval, plan.duration);
    cues.push(`${timestamp(start)} --> ${timestamp(end)}`, `${SPRITE_NAME}#xywh=${(i % plan.columns) * w},${Math.floor(i / plan.columns) * h},${w},${h}`, '');
  }
  return cues.join('\n');
}

/**
 * Writes `<dir>/storyboard.vtt` for the sprite ffmpeg left in `<dir>`, read back for its
 * size; false (and nothing written) when ffmpeg wrote no sprite.
 */
export async function writeStoryboardVtt(ffprobe: string, dir: string, plan: StoryboardPlan): Promise<boolean> {
  const sprite = path.join(dir, SPRITE_NAME);
  const size = await fs.stat(sprite).then((s) => s.size, () => 0);
  if (!size) return false;
  const { width, height } = await probeStill(ffprobe, sprite, 'jpeg_pipe');
  if (!width || !height) return false;
  await fs.writeFile(path.join(dir, VTT_NAME), storyboardVtt(plan, width, height));
  return true;
}
