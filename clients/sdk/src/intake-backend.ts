/** The backend that calls Intake directly with an API key: Node, scripts, the app's own server. */
import type { UploadBackend } from './backend.js';
import { createIntakeClient, type IntakeClient, type IntakeClientOptions } from './client.js';

/** `intakeBackend({ baseUrl, apiKey })`, or `intakeBackend(client)` to share a client. Never use it in a browser: the key would be readable. */
export function intakeBackend(options: IntakeClientOptions | IntakeClient): UploadBackend {
  const client = 'uploads' in options ? options : createIntakeClient(options);
  return {
    createUpload: (body, signal) => client.uploads.create(body, { signal }),
    signParts: (uploadId, partNumbers, signal) => client.uploads.signParts(uploadId, partNumbers, { signal }),
    listParts: (uploadId, signal) => client.uploads.listParts(uploadId, { signal }),
    completeUpload: (uploadId, body, signal) => client.uploads.complete(uploadId, body, { signal }),
    cancelUpload: async (uploadId, signal) => void (await client.uploads.cancel(uploadId, { signal })),
    getUpload: (uploadId, signal) => client.uploads.get(uploadId, { signal }),
    getAsset: (assetId, signal) => client.assets.get(assetId, { signal }),
  };
}
