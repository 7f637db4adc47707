/**
 * The lease a verification holds its session under: `lease_token` and `lease_until` on
 * the `processing` row, taken by conditional update, renewed every third of
 * INTAKE_VERIFY_LEASE_SECONDS while the work runs. A holder that dies stops renewing, so
 * the lease runs out within one period and a retried complete, or the `upload.verify`
 * job the takeover scan queues (takeover.ts), takes the verification over.
 */
import { NO_ASSET, type UploadRow } from '../db/schema.js';
import { randomToken } from '../lib/ids.js';
import type { AppContext } from '../core/context.js';

/** When a lease taken or renewed now runs out. */
export function leaseEnd(deps: AppContext): string {
  return new Date(deps.clock.now().getTime() + deps.config.uploads.verifyLeaseMs).toISOString();
}

/**
 * Takes over a session whose verification lease ran out: its holder died mid-verification
 * (a crash, a SIGKILL), or an async complete left it to a job. The conditional update on
 * the lease makes sure only one caller takes it over. The new lease token, or null.
 */
export async function takeOver(deps: AppContext, upload: UploadRow): Promise<string | null> {
  if (upload.lease_until === null || Date.parse(upload.lease_until) > deps.clock.now().getTime()) return null;
  if (!(await stillVerifying(deps, upload))) return null;
  const token = randomToken(16);
  if (!(await deps.store.uploads.takeLease(upload.id, token, deps.clock.now().toISOString(), leaseEnd(deps)))) return null;
  deps.log.info({ upload_id: upload.id }, 'took over a verification whose lease ran out');
  return token;
}

/**
 * Whether a `processing` session is still being verified: its asset is still pending, or,
 * for a detached session (no asset), always — its verification ends in `completed`.
 */
export async function stillVerifying(deps: AppContext, upload: UploadRow): Promise<boolean> {
  if (upload.status !== 'processing') return false;
  if (upload.asset_id === NO_ASSET) return true;
  const asset = await deps.store.assets.find(upload.namespace_id, upload.asset_id);
  return asset?.status === 'pending';
}

/** Runs `work` while renewing the lease `token` holds on `uploadId`; a lost lease is logged (finishing then fails). */
export async function holdingLease<T>(deps: AppContext, uploadId: string, token: string, work: () => Promise<T>): Promise<T> {
  const renew = setInterval(() => {
    deps.store.uploads.renewLease(uploadId, token, leaseEnd(deps)).then(
      (held) => held || deps.log.warn({ upload_id: uploadId }, 'lost the verification lease; another process took it over'),
      (err: unknown) => deps.log.warn({ err, upload_id: uploadId }, 'could not renew the verification lease'),
    );
  }, Math.max(250, Math.floor(deps.config.uploads.verifyLeaseMs / 3)));
  try {
    return await work();
  } finally {
    clearInterval(renew);
  }
}
