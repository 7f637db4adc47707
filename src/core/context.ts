import type { Config } from '../config/config.js';
import type { Store } from '../db/repositories/index.js';
import type { Clock } from '../lib/clock.js';
import type { PathTokens } from '../lib/path-token.js';
import type { JobQueue } from '../jobs/queue.js';
import type { ImageProber } from '../media/image.js';
import type { MediaTypes } from '../media/kinds.js';
import type { ObjectStorage } from '../storage/object-storage.js';
import type { StoreUrls } from '../storage/store-urls.js';
import type { UploadObserver } from './upload-observer.js';

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What every upload and asset use case is given; wired by hand in main/. */
export interface AppContext {
  store: Store;
  storage: ObjectStorage;
  types: MediaTypes;
  images: ImageProber;
  clock: Clock;
  config: Pick<Config, 'uploads' | 'media' | 'storage' | 'delivery'>;
  /** Where jobs are recorded (inside the transaction of the change that starts them). */
  jobs: JobQueue;
  log: Logger;
  /** Signs the tokens of playback URLs (HLS); absent, asset views carry no playback links. */
  tokens?: PathTokens;
  /** Told when sessions are created, complete or fail (metrics); absent, nobody counts. */
  observer?: UploadObserver;
  /** Intake's own self-authorising upload URLs (`/store/…`); absent where no HTTP is served. */
  storeUrls?: StoreUrls;
}
