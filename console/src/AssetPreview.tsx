/**
 * What an asset looks like, at the top of its details panel: an image's preview, a video's
 * player (on its HLS stream once it has one, else its tallest MP4 rendition), an audio
 * player.
 */
import { sourceOf, type Asset, type Source } from './api';
import { HlsVideo } from './HlsVideo';

/** The video rendition a player should show: the tallest MP4 rendition, else the original. */
function playable(a: Asset): Source | undefined {
  const renditions = a.sources.filter((s) => s.label !== 'original' && s.mimetype.startsWith('video/'));
  renditions.sort((x, y) => (y.height ?? 0) - (x.height ?? 0));
  return renditions[0] ?? sourceOf(a, 'original');
}

export function AssetPreview(props: { asset: Asset }) {
  const a = props.asset;
  if (a.kind === 'image') {
    const s = sourceOf(a, 'preview') ?? sourceOf(a, 'thumbnail');
    return <div class="preview-frame">{s ? <img class="preview" src={s.url} alt={a.filename} data-label={s.label} /> : <p class="empty">No preview yet ({a.status}).</p>}</div>;
  }
  if (a.kind === 'video') {
    const s = playable(a);
    const poster = sourceOf(a, 'poster');
    if (a.playback.hls) {
      return (
        <div class="preview-frame player">
          <HlsVideo key={a.id} hls={a.playback.hls} fallback={s?.url} poster={poster?.url} />
        </div>
      );
    }
    return <div class="preview-frame">{s ? <video class="preview" controls preload="none" src={s.url} poster={poster?.url} data-label={s.label} /> : <p class="empty">No video yet ({a.status}).</p>}</div>;
  }
  if (a.kind === 'audio') {
    const s = sourceOf(a, 'audio') ?? sourceOf(a, 'original');
    return s ? <audio class="preview-audio" controls preload="none" src={s.url} /> : null;
  }
  return <div class="preview-frame document"><span class="placeholder">{a.mimetype}</span></div>;
}
