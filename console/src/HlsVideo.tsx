/**
 * A video's player on its HLS stream: hls.js over Media Source Extensions where the browser
 * has them, the browser's own HLS otherwise (Safari), the MP4 rendition when neither. hls.js
 * is a chunk of its own, loaded when a video is first opened, and runs without its blob:
 * worker, which the console's CSP (script-src 'self') would refuse.
 */
import { useEffect, useRef, useState } from 'preact/hooks';

export interface Levels {
  /** The rungs hls.js read from the master playlist, tallest first. */
  heights: number[];
  current: number | null;
}

export function HlsVideo(props: { hls: string; fallback?: string; poster?: string; label?: string }) {
  const ref = useRef<HTMLVideoElement>(null);
  // The list is polled while uploads process, and each poll signs the links anew: the player
  // keeps the ones it started with instead of starting over on every fresh token.
  const [source] = useState({ hls: props.hls, fallback: props.fallback });
  const [levels, setLevels] = useState<Levels | null>(null);
  const [engine, setEngine] = useState<'hls.js' | 'native' | 'mp4' | null>(null);

  useEffect(() => {
    const video = ref.current!;
    let destroy = () => {};
    let cancelled = false;
    void import('hls.js').then(({ default: Hls }) => {
      if (cancelled) return;
      if (!Hls.isSupported()) {
        const native = video.canPlayType('application/vnd.apple.mpegurl') !== '';
        video.src = native ? source.hls : (source.fallback ?? '');
        setEngine(native ? 'native' : 'mp4');
        return;
      }
      const hls = new Hls({ enableWorker: false });
      const show = () => setLevels({ heights: hls.levels.map((l) => l.height).sort((a, b) => b - a), current: hls.currentLevel >= 0 ? (hls.levels[hls.currentLevel]?.height ?? null) : null });
      hls.on(Hls.Events.MANIFEST_PARSED, show);
      hls.on(Hls.Events.LEVEL_SWITCHED, show);
      hls.loadSource(source.hls);
      hls.attachMedia(video);
      setEngine('hls.js');
      destroy = () => hls.destroy();
    });
    return () => {
      cancelled = true;
      destroy();
    };
  }, [source]);

  return (
    <>
      <video ref={ref} class="preview" controls preload="metadata" poster={props.poster} data-label={props.label ?? 'hls'} data-engine={engine ?? undefined} data-levels={levels?.heights.length} />
      {levels && (
        <p class="levels" data-testid="hls-levels">
          HLS · {levels.heights.map((h) => `${h}p`).join(', ')}
          {levels.current ? ` · playing ${levels.current}p` : ' · auto'}
        </p>
      )}
    </>
  );
}
