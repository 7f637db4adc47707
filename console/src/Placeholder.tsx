/**
 * An asset's placeholder as a page would show it while the media loads: the ThumbHash drawn
 * on a canvas (a data: URL would need `img-src data:`, which the console's CSP leaves out)
 * beside its dominant colour.
 */
import { useEffect, useRef } from 'preact/hooks';
import { thumbHashToRGBA } from 'thumbhash';

export function Placeholder(props: { thumbhash: string; color: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current!;
    const bytes = Uint8Array.from(atob(props.thumbhash), (c) => c.charCodeAt(0));
    const { w, h, rgba } = thumbHashToRGBA(bytes);
    canvas.width = w;
    canvas.height = h;
    canvas.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(rgba), w, h), 0, 0);
  }, [props.thumbhash]);
  return (
    <div class="placeholder-facts" data-testid="placeholder">
      <canvas ref={ref} class="thumbhash" title="ThumbHash" aria-label="ThumbHash placeholder" />
      <span class="swatch" style={{ backgroundColor: props.color }} aria-hidden="true" />
      <code>{props.color}</code>
    </div>
  );
}
