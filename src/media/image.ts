import sharp from 'sharp';

export interface ImageInfo {
  width: number;
  height: number;
}

export class ImageDecodeError extends Error {
  constructor(cause: unknown) {
    super('not a decodable image', { cause });
    this.name = 'ImageDecodeError';
  }
}

/** Display width and height (EXIF rotation applied), from the header only. */
export async function probeImage(file: string): Promise<ImageInfo> {
  let meta: sharp.Metadata;
  try {
    meta = await sharp(file, { failOn: 'error' }).metadata();
  } catch (err) {
    // System errors (EMFILE, ENOMEM…) are outages; anything libvips says about the input is bad bytes.
    if ((err as NodeJS.ErrnoException).code) throw err;
    throw new ImageDecodeError(err);
  }
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!width || !height) throw new ImageDecodeError(new Error('no dimensions'));
  return { width, height };
}
