/** The handler for every job in the catalogue; a missing one does not compile. */
import { processAsset } from '../assets/process-asset.js';
import { runVerification } from '../uploads/complete-upload.js';
import { runImport } from '../uploads/import/import-upload.js';
import type { AppContext } from '../core/context.js';
import { deliverWebhook, type DeliveryDeps } from '../webhooks/deliver.js';
import type { Handlers } from '../jobs/catalogue.js';

export function jobHandlers(deps: AppContext, delivery: DeliveryDeps): Handlers {
  return {
    'upload.verify': (p) => runVerification(deps, p.uploadId),
    'upload.import': (p, ctx) => runImport(deps, p.uploadId, ctx.signal),
    'asset.process': (p, ctx) => processAsset(deps, p.assetId, ctx),
    'webhook.deliver': (p, ctx) => deliverWebhook(delivery, p.deliveryId, ctx),
  };
}
