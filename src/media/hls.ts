/**
 * The HLS master playlist over the rung playlists ffmpeg wrote (media/renditions.ts): one
 * `EXT-X-STREAM-INF` per rung with its peak and average bandwidth (measured from its
 * segments, audio included), resolution and RFC 6381 codecs (the H.264 profile and level
 * read from the rung's own init segment), and the audio-only group when there is audio.
 * Every URI is relative, so a playlist served under a signed path hands its token on.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

export interface HlsRung {
  label: string;
  width: number;
  height: number;
}

/** `avc1.PPCCLL` from the avcC box of an init segment (profile, constraints, level). */
export function avcCodec(init: Buffer): string {
  const at = init.indexOf('avcC');
  if (at < 0 || at + 8 > init.length) return 'avc1.640028';
  return `avc1.${init.subarray(at + 5, at + 8).toString('hex')}`;
}

/** Segment durations and sizes of one media playlist (its files beside it). */
async function segments(dir: string): Promise<Array<{ seconds: number; bytes: number }>> {
  const text = await fs.readFile(path.join(dir, 'index.m3u8'), 'utf8');
  const out: Array<{ seconds: number; bytes: number }> = [];
  let seconds = 0;
  for (const line of text.split('\n')) {
    const m = /^#EXTINF:([\d.]+)/.exec(line);
    if (m) seconds = Number(m[1]);
    else if (line && !line.startsWith('#')) out.push({ seconds, bytes: (await fs.stat(path.join(dir, line))).size });
  }
  return out;
}

async function bandwidth(dir: string): Promise<{ peak: number; average: number }> {
  const segs = await segments(dir);
  const total = segs.reduce((n, s) => n + s.seconds, 0) || 1;
  const peak = Math.max(1, ...segs.map((s) => (s.bytes * 8) / Math.max(s.seconds, 0.5)));
  return { peak: Math.ceil(peak), average: Math.ceil((segs.reduce((n, s) => n + s.bytes, 0) * 8) / total) };
}

/** Writes `<dir>/master.m3u8` for the rungs (tallest first) and, when present, `<dir>/audio`. */
export async function writeMasterPlaylist(dir: string, rungs: HlsRung[], hasAudio: boolean): Promise<void> {
  const audio = hasAudio ? await bandwidth(path.join(dir, 'audio')) : { peak: 0, average: 0 };
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS'];
  if (hasAudio) lines.push('#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Audio",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/index.m3u8"');
  for (const r of [...rungs].sort((a, b) => b.height - a.height)) {
    const bw = await bandwidth(path.join(dir, r.label));
    const codecs = [avcCodec(await fs.readFile(path.join(dir, r.label, 'init.mp4'))), ...(hasAudio ? ['mp4a.40.2'] : [])].join(',');
    lines.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${bw.peak + audio.peak},AVERAGE-BANDWIDTH=${bw.average + audio.average},RESOLUTION=${r.width}x${r.height},CODECS="${codecs}"${hasAudio ? ',AUDIO="audio"' : ''}`,
      `${r.label}/index.m3u8`,
    );
  }
  await fs.writeFile(path.join(dir, 'master.m3u8'), lines.join('\n') + '\n');
}

/** Every file under `dir`, as paths relative to it. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}
