/** Polls an asset until it leaves `pending`/`processing` (webhook-free), with a growing interval. */
import type { Asset } from './api-types.js';
import type { UploadBackend } from './backend.js';
import { IntakeError, WaitTimeoutError } from './errors.js';
import { sleep, withRetry } from './retry.js';
import type { RetryOptions } from './upload-types.js';

export interface WaitOptions {
  /** Give up after this long (WaitTimeoutError). Default 10 minutes. */
  timeoutMs?: number;
  /** The first interval; it grows by half each poll up to 5 s. Default 500 ms. */
  intervalMs?: number;
  retry?: RetryOptions;
  signal?: AbortSignal;
}

/** Answers the asset once `ready`; throws an `IntakeError` with the asset's error once it `failed`. */
export async function waitForReady(backend: UploadBackend, assetId: string, options: WaitOptions = {}): Promise<Asset> {
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  let interval = options.intervalMs ?? 500;
  for (;;) {
    const asset = await withRetry(() => backend.getAsset(assetId, options.signal), options.retry, options.signal);
    if (asset.status === 'ready') return asset;
    if (asset.status === 'failed') {
      const error = asset.error ?? { code: 'processing_failed', message: 'Processing failed.' };
      throw new IntakeError(422, { code: error.code, message: error.message, details: { asset_id: assetId, ...(error as { details?: object }).details } });
    }
    if (Date.now() + interval > deadline) throw new WaitTimeoutError(assetId, asset.status);
    await sleep(interval, options.signal);
    interval = Math.min(5_000, interval * 1.5);
  }
}
